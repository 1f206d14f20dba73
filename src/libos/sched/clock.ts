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

const hrtime = process.hrtime;

/**
 * The monotonic clock as a number of ns, on the same time line as monotonicNs (exact while host
 * uptime stays below 2^53 ns, 104 days). Not used by clock_time_get: measured in bench/wasi
 * (clockFloor), a number read costs about what process.hrtime.bigint() + setBigUint64 does.
 */
export function monotonicNsNumber(): number {
  const t = hrtime();
  return t[0] * 1e9 + t[1];
}

/**
 * Milliseconds on the monotonic clock: the kernel's deadlines, time slices and CPU accounting.
 * Not performance.now(): the first use of `performance` loads perf_hooks (~10 of Node's modules,
 * a few ms of every start), and its time line is per thread (a vCPU worker's differs from the
 * kernel's); process.hrtime is one clock for the whole process and costs the same per read.
 */
export function nowMs(): number {
  const t = hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
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
