/**
 * proc_exit, proc_raise, sched_yield.
 *
 * proc_raise follows Linux's default dispositions (there are no handlers in preview 1):
 * ignored signals (CHLD, CONT, URG, WINCH) return success, stop signals (STOP, TSTP, TTIN, TTOU)
 * stop the process as raise() does on Linux (job control: the call returns once another process
 * sends SIGCONT, or `occlum run` is continued on the host), every other signal terminates the
 * process as killed by it (exit status 128 + the Linux number). wasmtime traps instead; a signal
 * death gives the caller the right status.
 */
import { ProcessExit } from "../../process/exit.ts";
import type { Thread } from "../../process/thread.ts";
import { executor } from "../../sched/executor.ts";
import type { Completion } from "../table.ts";
import { holdIfStopped, stopProcess } from "../../process/job-control.ts";

export function proc_exit(t: Thread, code: number): never {
  t.process.exit({ kind: "exit", code });
  throw new ProcessExit(code);
}

/** WASI signal numbers diverge from Linux's from 16 on (Linux has STKFLT there). */
export function wasiToLinuxSignal(sig: number): number {
  return sig < 16 ? sig : sig + 1;
}

// WASI numbering: CHLD 16, CONT 17, STOP 18, TSTP 19, TTIN 20, TTOU 21, URG 22, WINCH 27.
const ignored = new Set([16, 17, 22, 27]);
const stops = new Set([18, 19, 20, 21]);

export function proc_raise(t: Thread, sig: number): void | Promise<void> {
  if (sig === 0 || ignored.has(sig)) return;
  const signo = wasiToLinuxSignal(sig);
  if (stops.has(sig)) {
    stopProcess(t.process, signo);
    return holdIfStopped(t);
  }
  t.process.exit({ kind: "signal", signo });
  throw new ProcessExit(128 + signo);
}

/** A direct row (dispatch.ts "Direct resumes"): the switch back completes the call. */
export function sched_yield(t: Thread, done: Completion<void> | undefined): Promise<void | number> {
  // A real-time thread goes behind the ready threads of its priority, still before the others.
  const rt = t.rtPriority;
  if (rt > 0) return done === undefined ? executor.yieldRt<void>(undefined, rt, false, t) : executor.yieldRt<unknown>(done(undefined), rt, false, t) as Promise<number>;
  return done === undefined ? executor.yieldNow(t) : executor.yieldWith(done(undefined), t);
}
