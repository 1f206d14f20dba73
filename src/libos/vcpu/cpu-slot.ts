/**
 * A vCPU thread's CPU time, kept by its worker and read by the kernel thread (CLOCK_THREAD_CPUTIME_ID,
 * the process's clock, a waker's wakeup preemption).
 *
 * Only the worker knows when one of its coroutines runs: it switches them on its own run queue
 * (local yields, preemption, completions of kernel calls), and the kernel sees a thread only
 * through its ring requests. Counted on the kernel's side, every thread of a worker was "on the
 * CPU" whenever it was not parked in the kernel, so three threads computing on one worker showed
 * three times the wall time between them, and a thread's CPU time began with its worker's
 * start-up. One SharedArrayBuffer per thread: the worker is the only writer, under a sequence
 * count (odd while it writes), so a reader never mixes an old total with a new start. The wall
 * time held is charged at the rate the worker really ran on a host CPU (sched/cpu-rate.ts, the
 * worker's own), published beside the start for a reader's running total.
 */
import { nowMs } from "../sched/clock.ts";
import { cpuRate, type CpuRate } from "../sched/cpu-rate.ts";

/**
 * [0] Int32 sequence count; [1] Float64 ms accumulated; [2] Float64 nowMs() when it got the vCPU,
 * -1 off it; [3] Float64 the rate the current interval is charged at.
 */
const BYTES = 32;

export class CpuSlot {
  readonly buffer: SharedArrayBuffer;
  private readonly seq: Int32Array;
  private readonly f: Float64Array;
  /** Writer-side copies (the worker). */
  private total = 0;
  private since = -1;
  /** Wall time on the vCPU, unscaled (heldMs: the worker's fuel grants). */
  private held = 0;
  /** Reader side (the kernel): the largest value returned, so the clock never goes back. */
  private lastRead = 0;

  private readonly rates: Pick<CpuRate, "rate" | "rateAt">;

  /** `rates`: the writer's agent's rate (tests pass their own). */
  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(BYTES), rates: Pick<CpuRate, "rate" | "rateAt"> = cpuRate) {
    this.buffer = buffer;
    this.rates = rates;
    this.seq = new Int32Array(buffer, 0, 1);
    this.f = new Float64Array(buffer, 8, 3);
    this.f[1] = -1;
    this.f[2] = 1;
  }

  /** The thread got the vCPU (worker). */
  on(now: number = nowMs()): void {
    if (this.since >= 0) return;
    this.since = now;
    this.publish();
  }

  /** The thread left the vCPU (worker): suspended, preempted, ended. */
  off(now: number = nowMs()): void {
    if (this.since < 0) return;
    this.total += Math.max(0, now - this.since) * this.rates.rateAt(now);
    this.held += Math.max(0, now - this.since);
    this.since = -1;
    this.publish();
  }

  private publish(): void {
    Atomics.add(this.seq, 0, 1);
    this.f[0] = this.total;
    this.f[1] = this.since;
    this.f[2] = this.rates.rate;
    Atomics.add(this.seq, 0, 1);
  }

  /** Wall time the thread has held the vCPU up to `now` (worker: its fuel grants follow how long its code ran, not its waits). */
  heldMs(now: number): number {
    return this.since >= 0 ? this.held + Math.max(0, now - this.since) : this.held;
  }

  /** CPU time in ms, as of now (kernel). */
  readMs(): number {
    let total: number;
    let since: number;
    let rate: number;
    let now: number;
    for (;;) {
      const s = Atomics.load(this.seq, 0);
      now = nowMs();
      total = this.f[0]!;
      since = this.f[1]!;
      rate = this.f[2]!;
      if ((s & 1) === 0 && Atomics.load(this.seq, 0) === s) break;
    }
    // The worker may have read its clock for an `off` just before our `now`: never go back.
    const v = since >= 0 ? total + Math.max(0, now - since) * rate : total;
    if (v > this.lastRead) this.lastRead = v;
    return this.lastRead;
  }
}
