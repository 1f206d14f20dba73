/**
 * Time sources of the kernel, in nanoseconds (bigint, as WASI timestamps are).
 *
 * monotonicNs: process.hrtime (never goes back). realtimeNs: the wall clock with sub-millisecond
 * resolution, anchored once to Date.now() and advanced by the monotonic clock, so successive
 * readings never go backwards within one run. Deadlines are monotonic ns; `msUntil` converts one
 * into a setTimeout delay.
 */

export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

const originNs = Number(process.hrtime.bigint()) - Math.round(performance.now() * 1e6);

/**
 * The monotonic clock as a number of ns (exact: it stays below 2^53 for 104 days of host uptime
 * after the origin), on the same time line as monotonicNs. The syscall fast path uses it: no
 * BigInt allocation per clock_time_get.
 */
export function monotonicNsNumber(): number {
  return originNs + Math.round(performance.now() * 1e6);
}

const anchorMono = process.hrtime.bigint();
const anchorReal = BigInt(Date.now()) * 1_000_000n;

export function realtimeNs(): bigint {
  return anchorReal + (process.hrtime.bigint() - anchorMono);
}

/** Milliseconds from now until a monotonic deadline (0 when passed), rounded up so timers never fire early. */
export function msUntil(deadlineNs: bigint): number {
  const d = deadlineNs - monotonicNs();
  if (d <= 0n) return 0;
  return Math.ceil(Number(d) / 1e6);
}

/** Resolution we report for the clocks (hrtime is ns-granular; 1 µs is honest for Date-derived values). */
export const CLOCK_RES_NS = 1_000n;
