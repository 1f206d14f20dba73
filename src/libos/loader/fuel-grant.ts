/**
 * How much fuel the next grant gives so that preemption checks come about every `targetMs` of
 * computing. Fuel counts calls and loop work, not time, so a grant is scaled by how long the last
 * one lasted: by at most 4x either way per check (an interval that held a wait or a preemption
 * is not what the code costs), within [min, max]. Used on the kernel thread while workers run
 * (kernel-imports.ts) and for threads whose nice value makes their slice shorter than the base
 * (there and on a vCPU worker), whose slices would otherwise last as long as a full grant does.
 */
export function scaleGrant(prev: number, elapsedMs: number, targetMs: number, min: number, max: number): number {
  const scale = elapsedMs > 0 ? Math.min(4, Math.max(0.25, targetMs / elapsedMs)) : 4;
  return Math.round(Math.min(max, Math.max(min, prev * scale)));
}

/** A thread with a slice shorter than the base aims at checks this many times per slice. */
export const CHECKS_PER_SHORT_SLICE = 4;
