/**
 * CPU-time clocks by id, as Linux numbers them: CLOCK_PROCESS_CPUTIME_ID (2) and
 * CLOCK_THREAD_CPUTIME_ID (3) for the caller, and the ids pthread_getcpuclockid and
 * clock_getcpuclockid give: (~tid << 3) | CPUCLOCK_PERTHREAD | kind for a thread of the caller's
 * process, (~pid << 3) | kind for a process (pid 0: the caller's), kind PROF 0, VIRT 1 or SCHED 2
 * (user and system, user only, the scheduler's: one number here, the time on the vCPU). Read by
 * clock_gettime (syscall/wasi/clock.ts) and CPU-time timers (timers.ts).
 */
import type { Process } from "./process.ts";
import type { Thread } from "./thread.ts";

const CLOCK_PROCESS_CPUTIME_ID = 2;
const CLOCK_THREAD_CPUTIME_ID = 3;
const CPUCLOCK_PERTHREAD = 4;
const CPUCLOCK_MAX = 3;

/** Whose CPU time a clock counts: a thread's or a process's (all its threads'). */
export type CpuClockOwner = { readonly thread: Thread } | { readonly process: Process };

/** The owner of CPU clock `id` as `t` sees it; undefined for no such clock or owner (Linux: EINVAL). */
export function cpuClockOwner(t: Thread, id: number): CpuClockOwner | undefined {
  if (id === CLOCK_PROCESS_CPUTIME_ID) return { process: t.process };
  if (id === CLOCK_THREAD_CPUTIME_ID) return { thread: t };
  const v = id | 0;
  if (v >= 0 || (v & CPUCLOCK_MAX) === CPUCLOCK_MAX) return undefined;
  const who = ~(v >> 3);
  if ((v & CPUCLOCK_PERTHREAD) !== 0) {
    for (const x of t.process.threads) if (x.tid === who && !x.killed) return { thread: x };
    return undefined;
  }
  const p = who === 0 ? t.process : t.process.kernel.processes.get(who);
  return p ? { process: p } : undefined;
}

/** The CPU time a clock's owner has used so far. */
export function cpuTimeOf(o: CpuClockOwner): bigint {
  return "thread" in o ? o.thread.cpuTimeNs() : o.process.cpuTimeNs();
}

/** Whether the owner still counts: a thread ends with its clock; a process's counts until it is reaped. */
export function cpuClockLive(o: CpuClockOwner): boolean {
  return "thread" in o ? !o.thread.killed && o.thread.process.threads.has(o.thread) : !o.process.zombie;
}
