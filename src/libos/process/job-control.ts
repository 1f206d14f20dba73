/**
 * Job control: stopped and continued processes, as Linux has them (man 7 signal, man 2 waitpid).
 *
 * Stop. A stop signal whose action is to stop (SIGSTOP always; SIGTSTP, SIGTTIN, SIGTTOU at
 * SIG_DFL outside an orphaned process group, session.ts; signals.ts decides, at sending or at
 * delivery when it was blocked) begins a group stop
 * of the whole process: Process.stopSignal is set, and every thread that could still run guest
 * code is asked into the kernel: on a vCPU worker its attention word is raised (Thread.remotePoke)
 * and any kernel call it makes parks before it runs (vcpu/pool.ts); on the kernel thread its next
 * fuel check is made to come at once (Thread.forceCheck) and it is interrupted, so that a wait it
 * starts before that ends at once, as Linux's pending stop makes an interruptible sleep return.
 * (A thread resumed directly just before the stop may reach a blocking call before its next fuel
 * check: dispatch parks it before the call starts (syscall/dispatch.ts stopFirst), so the
 * interruption cannot end a timed sleep or poll with EINTR where Linux's stopped thread just
 * sleeps on; test/guest/process/stop_race.c.) Such a thread parks
 * (parkStopped) at its next way out of the kernel: signal delivery
 * (signals.ts deliverSignals, which dispatch and the preemption check call whenever signals are
 * pending or the process is stopped), a preemption check, the start of a spawned thread. A thread
 * blocked in the kernel (Thread.inKernelWait) is left alone: it stays blocked, and parks when its
 * wait ends while the process is still stopped. Timers go on (a sleep that ends while stopped
 * returns after SIGCONT). A parked thread waits on a queue, not in a loop: no CPU is used.
 *
 * The stop is complete when the last thread asked in has parked (or ended): then the parent
 * learns of it, as Linux reports a group stop once every thread stopped: its wait4/waitid with
 * WUNTRACED/WSTOPPED reports it once (JobState.report), and it gets SIGCHLD with CLD_STOPPED
 * unless its SIGCHLD action has SA_NOCLDSTOP.
 *
 * Continue. SIGCONT, whatever its disposition or mask, ends a stop (signals.ts calls
 * continueProcess as it sends it): parked threads go on, WCONTINUED reports it once, SIGCHLD says
 * CLD_CONTINUED. Signals sent to a stopped process interrupted nobody: they stayed pending, and
 * signals.ts hands them to a thread once it is continued. SIGKILL ends a stopped process like any
 * other (Process.exit kills the parked threads, which unwind).
 *
 * A process with no parent in the LibOS (the instance's first process) that completes a stop has
 * nobody to continue it: the kernel's onParentlessStop decides (boot.ts: `occlum run` stops
 * itself the same way and continues the guest when the host continues it).
 *
 * Kernel code between two awaits is atomic, so a stop begins, and a continue happens, with no
 * guest code running meanwhile; but a thread resumed directly just before (its wait completed by
 * a futex wake or a yield) and a vCPU worker's thread run guest code until they notice, which is
 * why a stop is complete only when every thread asked in has parked.
 */
import type { Process } from "./process.ts";
import type { Thread } from "./thread.ts";
import type { Interruptible } from "../sched/wait-queue.ts";
import { WaitQueue } from "../sched/wait-queue.ts";
import { ThreadKilled } from "./exit.ts";
import { deliveringNow, hasDeliverable, SigCode, signalProcess, SIGCHLD, SIGCONT } from "./signals.ts";

/** sigaction's SA_NOCLDSTOP (musl's value): no SIGCHLD for a child's stop or continue. */
export const SA_NOCLDSTOP = 1;

/** What a parent's wait may report once about a live child: its latest stop, or its continue. */
export type JobReport = { readonly kind: "stopped"; readonly signo: number } | { readonly kind: "continued" };

/** A process's job-control state (Process.job); Process.stopSignal says whether it is stopped. */
export class JobState {
  /** Every thread asked in has parked: the stop is complete and the parent was told. */
  stopped = false;
  /** Threads that may still run guest code before they park (the stop completes without any). */
  readonly unparked = new Set<Thread>();
  /** Parked threads wait here for SIGCONT (or their kill). */
  readonly resumed = new WaitQueue();
  /** The report a parent's wait has not taken yet (Linux keeps one: a new event replaces it). */
  report: JobReport | undefined = undefined;
}

/**
 * Begin a group stop by `signo` (see the header). A process already stopping or stopped stays so
 * (Linux leaves a second stop signal pending for a stopped process; SIGCONT then discards it).
 */
export function stopProcess(p: Process, signo: number): void {
  if (p.stopSignal !== 0 || p.status !== undefined || p.zombie) return;
  p.stopSignal = signo;
  const job = p.job;
  job.stopped = false;
  for (const t of p.threads) {
    if (t.killed) continue;
    // Blocked in the kernel: its wait's end passes a check. A thread running a signal handler
    // (the handler's kernel calls come and go under the delivery) is asked in like a running one.
    if (t.inKernelWait() && deliveringNow(t) === undefined) continue;
    job.unparked.add(t);
    if (t.remotePoke !== undefined) {
      // A vCPU worker's thread: its attention word; a kernel call it makes first parks before
      // it runs (vcpu/pool.ts), so it never starts a wait unparked.
      t.remotePoke();
    } else {
      // On the kernel thread: the caller (it parks on its way out), one resumed directly that has
      // not run yet, one not started, one running a handler. Its next fuel check comes at once;
      // the interruption ends a wait it might start first (see the header).
      t.interrupt();
      t.forceCheck?.();
    }
  }
  stopDone(p);
}

/** The stop completes when no thread is left to park: tell the parent. */
function stopDone(p: Process): void {
  const job = p.job;
  if (p.stopSignal === 0 || job.stopped || job.unparked.size > 0) return;
  job.stopped = true;
  job.report = { kind: "stopped", signo: p.stopSignal };
  tellParent(p, SigCode.CLD_STOPPED, p.stopSignal);
}

/**
 * SIGCONT: end a stop (complete or still in progress). Returns whether the process was stopped.
 * A stop cut short before it completed was never reported, so nothing is reported (Linux would
 * send a CLD_STOPPED SIGCHLD then; no wait reports it either way).
 */
export function continueProcess(p: Process): boolean {
  if (p.stopSignal === 0) return false;
  const job = p.job;
  const was = job.stopped;
  p.stopSignal = 0;
  job.stopped = false;
  // The stop's interruption of a thread that never got to park is withdrawn (unless a signal
  // it may take is pending: then that interruption is what delivers it).
  for (const t of job.unparked) if (!hasDeliverable(t)) t.clearInterrupt();
  job.unparked.clear();
  job.resumed.notifyAll();
  if (was) {
    job.report = { kind: "continued" };
    tellParent(p, SigCode.CLD_CONTINUED, SIGCONT);
  }
  return true;
}

/** A kill-only Interruptible for `t`: its parked wait ends for a kill, not for a signal's interruption. */
function killOnly(t: Thread): Interruptible {
  return {
    get interruptPending() {
      return t.killed;
    },
    setCanceller: (c) => t.setCanceller(c),
  };
}

/**
 * Park `t` until its process is continued; throws ThreadKilled if it is killed meanwhile. The
 * caller is on its way out of the kernel and off the CPU's books while parked.
 * Preconditions: the process is stopped (stopSignal != 0).
 */
export async function parkStopped(t: Thread): Promise<void> {
  const p = t.process;
  const job = p.job;
  job.unparked.delete(t);
  // The stop's interruption did its work: the thread is here. A signal's interruption, if any,
  // is served by the delivery that follows the park.
  t.clearInterrupt();
  stopDone(p);
  t.offCpu();
  const intr = killOnly(t);
  while (p.stopSignal !== 0 && !t.killed) await job.resumed.wait({ intr });
  t.onCpu();
  if (t.killed) throw new ThreadKilled();
}

/** parkStopped when the process is stopped; undefined otherwise (no Promise on the way out). */
export function holdIfStopped(t: Thread): Promise<void> | undefined {
  return t.process.stopSignal === 0 ? undefined : parkStopped(t);
}

/** A thread ended: it no longer holds up a stop. */
export function threadLeft(t: Thread): void {
  const p = t.process;
  if (p.job.unparked.delete(t)) stopDone(p);
}

/** The process ends (Process.exit): no stop, nothing to report but the exit. */
export function endJob(p: Process): void {
  p.stopSignal = 0;
  p.job.stopped = false;
  p.job.unparked.clear();
  p.job.report = undefined;
}

/**
 * The report a wait takes from child `c` (wait4/waitid): a stop if `stopped` (WUNTRACED,
 * WSTOPPED), a continue if `continued` (WCONTINUED); taken once unless `keep` (WNOWAIT).
 */
export function takeReport(c: Process, stopped: boolean, continued: boolean, keep: boolean): JobReport | undefined {
  const r = c.job.report;
  if (r === undefined || !(r.kind === "stopped" ? stopped : continued)) return undefined;
  if (!keep) c.job.report = undefined;
  return r;
}

/**
 * Tell the parent of a stop or a continue: its waits look again, and it gets SIGCHLD unless its
 * SIGCHLD action has SA_NOCLDSTOP (or is SIG_IGN: signalProcess drops it). Linux wakes the
 * waiters and sends the signal together; the waiters first (a wait4 that finds the child returns
 * it, and the handler runs on the way out, as Linux's do_wait scans before it looks at signals).
 */
function tellParent(p: Process, code: number, status: number): void {
  const parent = p.parent;
  if (parent === undefined || parent.zombie) {
    if (code === SigCode.CLD_STOPPED) p.kernel.onParentlessStop?.(p, status);
    return;
  }
  parent.childEvents.notifyAll();
  const a = parent.sigactions.get(SIGCHLD);
  if (a !== undefined && (a.flags & SA_NOCLDSTOP) !== 0) return;
  signalProcess(parent, SIGCHLD, undefined, { code, pid: p.pid, status });
}
