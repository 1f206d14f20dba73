/**
 * How many agents (JS threads) the threads of a process started now may run on: one while a
 * single vCPU is configured. The loader asks (it drops atomic.fence for one-agent programs, see
 * loader/instrument); the thread layer answers (process/thread-run.ts installs the vCPU count).
 * A module of its own so that both can import it without a cycle.
 */

let singleAgent: () => boolean = () => false;

/** Install the answer (the default, false, keeps every fence). */
export function setSingleAgent(pred: () => boolean): void {
  singleAgent = pred;
}

/** True when a program compiled now may assume all its threads share one agent. */
export function singleAgentNow(): boolean {
  return singleAgent();
}
