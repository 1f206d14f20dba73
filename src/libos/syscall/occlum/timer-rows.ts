/**
 * The `occlum` module's POSIX timers, for sdk/libc/timers.c (wasix-libc has no timer_create and
 * its headers hide the timer functions: "WASI has no timers"). process/timers.ts keeps them.
 *
 * - timer_create(clock, notify, signo, tid, value) -> id: the sigevent's fields (SIGEV_SIGNAL,
 *   SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID with its tid; si_value as 32 bits); a null sigevent
 *   is `notify` with its top bit set (Linux's default: SIGALRM, si_value the timer's id);
 * - timer_settime(id, flags, value_ns, interval_ns, old*): TIMER_ABSTIME, the old setting (two
 *   u64: value, interval) when old is not 0;
 * - timer_gettime(id, out*), timer_getoverrun(id) -> overrun, timer_delete(id);
 * - timer_wait(id) -> overrun: SIGEV_THREAD's notifying thread waits for the next expiry;
 * - setitimer(which, value_ns, interval_ns, old*), getitimer(which, out*): ITIMER_REAL, VIRTUAL
 *   and PROF, for sdk/libc/itimer.c (setitimer, getitimer and so alarm).
 * EINVAL for an unknown id, as Linux.
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { Errno, sysErr } from "../errno.ts";
import type { Thread } from "../../process/thread.ts";
import type { GuestMemory } from "../memory.ts";
import { createTimer, deleteTimer, itimerSetting, setItimer, setTimer, timerOverrun, timerSetting, waitTimer, type TimerSetting } from "../../process/timers.ts";

/** A timer's setting at `ptr` as the libc reads it: two u64, the time left and the period (ns). */
export function writeSetting(t: Thread, ptr: number, s: TimerSetting): void {
  const m = t.process.memory as GuestMemory | undefined;
  if (!m) throw sysErr(Errno.FAULT);
  try {
    m.check(ptr, 16);
  } catch {
    throw sysErr(Errno.FAULT);
  }
  m.dv.setBigUint64(ptr, s.valueNs, true);
  m.dv.setBigUint64(ptr + 8, s.intervalNs, true);
}

/** The libc's mark on `notify` for timer_create(clock, NULL, ...): SIGEV_SIGNAL, SIGALRM, si_value the id. */
const NULL_SIGEVENT = 0x80000000;

function occlum_timer_create(t: Thread, clock: number, notify: number, signo: number, tid: number, value: number): number {
  if ((notify & NULL_SIGEVENT) !== 0) return createTimer(t, clock, notify & ~NULL_SIGEVENT, signo, tid, undefined);
  return createTimer(t, clock, notify, signo, tid, value);
}

function occlum_timer_settime(t: Thread, id: number, flags: number, valueNs: bigint, intervalNs: bigint, oldPtr: number): void {
  const old = setTimer(t.process, id, flags, valueNs, intervalNs);
  if (oldPtr !== 0) writeSetting(t, oldPtr, old);
}

function occlum_timer_gettime(t: Thread, id: number, outPtr: number): void {
  writeSetting(t, outPtr, timerSetting(t.process, id));
}

function occlum_timer_getoverrun(t: Thread, id: number): number {
  return timerOverrun(t.process, id);
}

function occlum_timer_delete(t: Thread, id: number): void {
  deleteTimer(t.process, id);
}

function occlum_timer_wait(t: Thread, id: number): Promise<number> {
  return waitTimer(t, id);
}

function occlum_setitimer(t: Thread, which: number, valueNs: bigint, intervalNs: bigint, oldPtr: number): void {
  const old = setItimer(t.process, which, valueNs, intervalNs);
  if (oldPtr !== 0) writeSetting(t, oldPtr, old);
}

function occlum_getitimer(t: Thread, which: number, outPtr: number): void {
  writeSetting(t, outPtr, itimerSetting(t.process, which));
}

export const occlumTimerRows: readonly SyscallRow[] = [
  row("setitimer", [A.u32, A.u64, A.u64, A.u32], R.none, occlum_setitimer, { note: "ITIMER_REAL, VIRTUAL or PROF (the process's CPU time): value ns (0: disarm), interval ns, old* (left, interval: 2 x u64; 0: none); SIGALRM, SIGVTALRM or SIGPROF with SI_KERNEL" }),
  row("getitimer", [A.u32, A.u32], R.none, occlum_getitimer, { note: "ITIMER_REAL, VIRTUAL or PROF: out* (time left, interval: 2 x u64)" }),
  row("timer_create", [A.u32, A.u32, A.u32, A.u32, A.u32], R.size, occlum_timer_create, { note: "clock (REALTIME, MONOTONIC, BOOTTIME, or a CPU-time clock: the process's, the thread's, one by id), sigev_notify, signo, tid (SIGEV_THREAD_ID), si_value -> timer id" }),
  row("timer_settime", [A.u32, A.u32, A.u64, A.u64, A.u32], R.none, occlum_timer_settime, { note: "id, TIMER_ABSTIME, value ns (0: disarm), interval ns, old* (value, interval: 2 x u64; 0: none)" }),
  row("timer_gettime", [A.u32, A.u32], R.none, occlum_timer_gettime, { note: "id, out* (time left, interval: 2 x u64)" }),
  row("timer_getoverrun", [A.u32], R.size, occlum_timer_getoverrun, { note: "the overrun of the timer's last delivered expiry" }),
  row("timer_delete", [A.u32], R.none, occlum_timer_delete),
  row("timer_wait", [A.u32], R.size, occlum_timer_wait, { blocking: true, note: "SIGEV_THREAD: the next expiry of the timer -> overrun; EINVAL once it is deleted" }),
];
