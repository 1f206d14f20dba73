/**
 * How much fuel the next grant gives so that preemption checks come about every `targetMs` of
 * computing. Fuel counts calls and loop work, not time, so a grant is scaled by how long the last
 * one lasted, the time the thread's code held the vCPU (Thread.heldAt, CpuSlot.heldMs; its
 * waits are not what its code costs): by at most 4x either way per check, within [min, max]. Used on the kernel thread while workers run
 * (kernel-imports.ts: checks every 20 µs) and otherwise for every thread, there and on a vCPU
 * worker: checks about CHECKS_PER_SLICE times per slice, whatever the code (a fixed grant lasted
 * µs on call-heavy code and stretched a short slice to its own length on loop-heavy code).
 */
export function scaleGrant(prev: number, elapsedMs: number, targetMs: number, min: number, max: number): number {
  const scale = elapsedMs > 0 ? Math.min(4, Math.max(0.25, targetMs / elapsedMs)) : 4;
  return Math.round(Math.min(max, Math.max(min, prev * scale)));
}

/** A thread aims at checks this many times per slice. */
export const CHECKS_PER_SLICE = 4;

/**
 * A thread's first grant, as a share of the full fuel: its code's cost per unit of fuel is not
 * known yet, and fuel counts calls, so the full grant (the module's initial value) lasted ~20 ms
 * on a loop that calls clock_gettime (each call a trip to the kernel): a thread spinning that way
 * for 20 ms was never checked, and a 5 ms nanosleep of another thread ended after it. The grants
 * after it grow 4x per check toward a quarter slice.
 */
export const FIRST_GRANT_SHARE = 1 / 64;
