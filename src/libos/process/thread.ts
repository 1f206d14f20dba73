/**
 * Thread: one guest thread, a JSPI coroutine (one per process until wasi-threads lands, issue 6).
 * It is the Interruptible of every wait it makes: interrupt() cancels the current wait (EINTR),
 * kill() also makes the thread unwind at its next return from the kernel.
 *
 * CPU time: a thread is "on CPU" from a resume until its next suspension; dispatch calls
 * offCpu()/onCpu() around real suspensions only, so the accounting costs nothing on the fast path.
 * A switch reads the clock once: offCpu stamps the executor's clock, and the thread resumed next
 * in the same streak starts from that stamp (Executor.resumedAt). Times are performance.now() ms.
 */
import type { Interruptible } from "../sched/wait-queue.ts";
import { executor } from "../sched/executor.ts";
import type { Process } from "./process.ts";

// `performance` is an accessor on globalThis in Node (a getter call per use): read it once.
const perf = performance;

export class Thread implements Interruptible {
  readonly tid: number;
  readonly process: Process;
  interruptPending = false;
  /** Blocked signals, bit sig-1 (process/signals.ts; sigprocmask, inherited by new threads). */
  sigmask = 0n;
  /** Set when the thread must not return to the guest (kill, exit of the process). */
  killed = false;
  private canceller: (() => void) | undefined;
  private cpuMs = 0;
  private onCpuSince = perf.now();
  private running = true;
  /** performance.now() when the thread last got the vCPU (preemption measures its slice from here). */
  sliceStartMs = perf.now();

  constructor(tid: number, process: Process) {
    this.tid = tid;
    this.process = process;
  }

  setCanceller(cancel: (() => void) | undefined): void {
    this.canceller = cancel;
  }

  /** Cancel the current (or next) wait with "interrupted". */
  interrupt(): void {
    this.interruptPending = true;
    const c = this.canceller;
    this.canceller = undefined;
    c?.();
  }

  /** The syscall that saw the interruption consumed it (signal delivery will hook here). */
  clearInterrupt(): void {
    if (!this.killed) this.interruptPending = false;
  }

  kill(): void {
    this.killed = true;
    this.interrupt();
  }

  offCpu(): void {
    if (!this.running) return;
    this.running = false;
    this.cpuMs += executor.stamp() - this.onCpuSince;
  }

  onCpu(): void {
    if (this.running) return;
    this.running = true;
    this.onCpuSince = this.sliceStartMs = executor.resumedAt();
  }

  /** Time this thread spent running guest or kernel code (not parked). */
  cpuTimeNs(): bigint {
    const ms = this.running ? this.cpuMs + (perf.now() - this.onCpuSince) : this.cpuMs;
    return BigInt(Math.round(ms * 1e6));
  }
}
