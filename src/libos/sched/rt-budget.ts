/**
 * Linux's real-time throttling (sched_rt_runtime_us / sched_rt_period_us, 950000 / 1000000 by
 * default): real-time threads may hold a CPU for 950 ms of every 1 s period, and then wait for
 * the next period while the other threads run, so a SCHED_FIFO thread that spins for good
 * slows its process down instead of starving every other thread of its CPU. One per vCPU
 * (the executor's): the time real-time threads held it, counted from their starts on the CPU to
 * their leaving it, in periods that begin when the first real-time run of a quiet spell does.
 */
export const RT_PERIOD_MS = 1000;
export const RT_RUNTIME_MS = 950;

export class RtBudget {
  private periodStart = -Infinity;
  private used = 0;
  /** When the running real-time thread got the CPU (-1: none runs). */
  private since = -1;
  /** The period's budget is spent: real-time threads wait for its end (throttledUntil). */
  throttled = false;

  private readonly periodMs: number;
  private readonly runtimeMs: number;

  constructor(periodMs = RT_PERIOD_MS, runtimeMs = RT_RUNTIME_MS) {
    this.periodMs = periodMs;
    this.runtimeMs = runtimeMs;
  }

  /** A real-time thread got the CPU at `now` (again, after a suspension that was no switch: no change). */
  running(now: number): void {
    if (this.since < 0) this.since = now;
  }

  /** The real-time thread left the CPU at `now`. */
  stopped(now: number): void {
    this.charge(now);
    this.since = -1;
  }

  /** Is budget left in the period at `now` (the running thread's time charged so far)? */
  left(now: number): boolean {
    this.charge(now);
    return this.used < this.runtimeMs;
  }

  /** When the current period ends (a nowMs() value). */
  get periodEnd(): number {
    return this.periodStart + this.periodMs;
  }

  private charge(now: number): void {
    if (now - this.periodStart >= this.periodMs) {
      this.periodStart = this.since >= 0 ? Math.min(now, Math.max(this.since, this.periodStart + this.periodMs)) : now;
      this.used = 0;
      this.throttled = false;
    }
    if (this.since >= 0) {
      this.used += Math.max(0, now - Math.max(this.since, this.periodStart));
      this.since = now;
    }
  }
}
