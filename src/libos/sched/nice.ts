/**
 * Nice values as time-slice lengths. Linux's CFS gives a runnable thread CPU in proportion to its
 * weight (kernel/sched/core.c sched_prio_to_weight: nice 0 is 1024, each step ~1.25x). Here the
 * run queue is round robin, so a thread's slice is the base slice times its weight over nice 0's:
 * CPU-bound threads sharing a vCPU then get shares in proportion to their weights (within the
 * clamp: 0.5 ms to 100 ms, so nice 19 gets at least 1/20 of a nice-0 thread's share, where Linux
 * gives 1/68, and nice -20 at most 10x, where Linux gives 87x).
 */
const WEIGHTS = [
  88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277,
  1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
];
const MIN_SLICE_MS = 0.5;
const MAX_SLICE_MS = 100;

/** Linux's SCHED_IDLE policy and its weight (WEIGHT_IDLEPRIO), below nice 19's 15. */
export const SCHED_IDLE = 5;
const IDLE_WEIGHT = 3;

/**
 * The slice of a thread of nice `nice` (-20..19) and scheduling policy `policy` when nice 0's is
 * `baseMs`. SCHED_IDLE weighs 3 whatever the nice value, as in Linux; the other policies weigh by
 * nice value (real-time policies are not scheduled apart: README, Threads).
 */
export function niceSliceMs(baseMs: number, nice: number, policy = 0): number {
  if (nice === 0 && policy !== SCHED_IDLE) return baseMs;
  const w = policy === SCHED_IDLE ? IDLE_WEIGHT : WEIGHTS[Math.max(-20, Math.min(19, nice)) + 20]!;
  return Math.max(MIN_SLICE_MS, Math.min(MAX_SLICE_MS, (baseMs * w) / 1024));
}
