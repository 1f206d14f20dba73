/**
 * What the loader and the kernel's preemption check need to know about the agents (JS threads)
 * guest threads run on, answered by the layers above (a module of its own so that both sides can
 * import it without a cycle):
 *
 * - singleAgentNow: may a program compiled now drop atomic.fence (loader/instrument)? Its threads
 *   on the kernel thread then run it as is (process/thread-run.ts installs vcpu/index.ts's
 *   fenceFreeNow: one vCPU, or affine placement on x86-64).
 * - vcpuRequests: are threads running on vCPU workers, and is one of their syscalls waiting for
 *   the kernel thread (vcpu/pool.ts installs it; loader/kernel-imports.ts reads it)?
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

/**
 * The vCPU workers as the kernel thread's preemption check sees them (vcpu/pool.ts installs it).
 * While threads run on workers, a guest thread computing on the kernel thread delays every
 * syscall they make; the check then runs more often and yields as soon as a request waits.
 */
export interface VcpuRequests {
  /** Threads are running on workers. */
  live(): boolean;
  /** A worker rang the kernel since the kernel last served the rings. */
  waiting(): boolean;
  /** Workers with live threads: each may need a core of its own (the kernel's busy polling asks). */
  busyAgents(): number;
}

let requests: VcpuRequests = { live: () => false, waiting: () => false, busyAgents: () => 0 };

/**
 * This agent's rings as its run queue sees them: on the kernel thread the workers' submission
 * rings (vcpu/pool.ts), on a worker its completion ring (vcpu/worker.ts). Such a ring is served
 * from the event loop (a doorbell's Atomics.waitAsync), which does not turn while coroutines
 * keep switching through microtasks (a streak, up to its slice): the executor asks `due` as it
 * reads the clock in a streak and, if so, runs `serve` from a microtask of its own, a point
 * where no kernel code is half done (serveRingsIfDue, from sched/executor.ts `young`).
 */
export interface RingService {
  /** The doorbell rang since the rings were last served. */
  due(): boolean;
  /** Serve the rings now. */
  serve(): void;
}

let ringService: RingService | undefined;

export function setRingService(r: RingService | undefined): void {
  ringService = r;
}

/** A microtask serving this agent's rings is queued (serveRingsIfDue). */
let servingRings = false;
const serveRings = (): void => {
  servingRings = false;
  ringService?.serve();
};

/**
 * Another agent rang this one's doorbell while a streak keeps its event loop from the wait that
 * would serve it: serve it from a microtask (queued now, so it runs between coroutine runs,
 * never inside kernel code). The executor asks once every 16 resumes at most (ring checks share
 * the streak's clock reads). Without this a worker's futex wake waited for the streak's end, up
 * to its slice, behind threads yielding to each other on the kernel thread.
 */
export function serveRingsIfDue(): void {
  if (ringService === undefined || servingRings || !ringService.due()) return;
  servingRings = true;
  queueMicrotask(serveRings);
}

export function setVcpuRequests(r: VcpuRequests): void {
  requests = r;
}

export function vcpuRequests(): VcpuRequests {
  return requests;
}
