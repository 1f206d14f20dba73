/**
 * POSIX per-process timers (timer_create, timer_settime, timer_gettime, timer_getoverrun,
 * timer_delete), as Linux has them (kernel/time/posix-timers.c): a timer counts down on
 * CLOCK_REALTIME, CLOCK_MONOTONIC or CLOCK_BOOTTIME (the same line here), once or periodically,
 * and at each expiry notifies as its sigevent says:
 * - SIGEV_SIGNAL: the signal to the process, si_code SI_TIMER, si_timerid, si_value, si_overrun;
 * - SIGEV_THREAD_ID: the same, to one thread of the process;
 * - SIGEV_NONE: nothing (timer_gettime still counts down);
 * - SIGEV_THREAD: a libc thread waiting in `waitTimer` (sdk/libc/timers.c) calls the function.
 * As Linux, a timer's signal is queued once: an expiry while it is still pending counts an
 * overrun instead, which the delivered si_overrun and timer_getoverrun then report.
 * Deadlines are kept on the monotonic clock (a CLOCK_REALTIME TIMER_ABSTIME time is converted when
 * set; the wall clock is not stepped here) and fire from host timers, at ms resolution.
 * CPU-time clocks are EINVAL: no timer counts a thread's CPU time here. ITIMER_REAL (setitimer,
 * alarm) is one more such timer per process (setItimer).
 */
import { Errno, sysErr } from "../syscall/errno.ts";
import { monotonicNs, realtimeNs } from "../sched/clock.ts";
import { WaitQueue } from "../sched/wait-queue.ts";
import type { Process } from "./process.ts";
import type { Thread } from "./thread.ts";
import { dropPendingInfo, isPendingInfo, signalProcess, SigCode, type SigInfo } from "./signals.ts";

export const SigevNotify = { SIGNAL: 0, NONE: 1, THREAD: 2, THREAD_ID: 4 } as const;
const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;
const CLOCK_BOOTTIME = 7;
const TIMER_ABSTIME = 1;
const SIGALRM = 14;
/** Linux's DELAYTIMER_MAX: an overrun count stops here. */
const DELAYTIMER_MAX = 2 ** 31 - 1;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Timers a process may create (Linux's bound is RLIMIT_SIGPENDING; EAGAIN past it). */
const MAX_TIMERS = 4096;

/** A timer's signal record: one per timer, so a pending one is found again (and overruns counted). */
interface TimerInfo extends SigInfo {
  status: number;
}

interface PosixTimer {
  readonly id: number;
  readonly clock: number;
  readonly notify: number;
  readonly signo: number;
  readonly target: Thread | undefined;
  readonly info: TimerInfo;
  /** Next expiry (monotonic ns) and period (ns, 0: once); undefined: disarmed. */
  deadlineNs: bigint | undefined;
  intervalNs: bigint;
  host: ReturnType<typeof setTimeout> | undefined;
  /** timer_getoverrun: the overrun of the last expiry delivered; `sent`: a signal went out since. */
  lastOverrun: number;
  sent: boolean;
  /** SIGEV_THREAD: expiries not yet taken by the notifying thread, and where it waits. */
  fired: number;
  readonly waiters: WaitQueue;
}

const timers = new WeakMap<Process, Map<number, PosixTimer>>();

function table(p: Process): Map<number, PosixTimer> {
  let m = timers.get(p);
  if (!m) timers.set(p, (m = new Map()));
  return m;
}

function timerOf(p: Process, id: number): PosixTimer {
  const tm = timers.get(p)?.get(id);
  if (!tm) throw sysErr(Errno.INVAL);
  return tm;
}

/** timer_create: returns the new timer's id (the lowest free one, as Linux hands them out); `value` undefined: the id. */
export function createTimer(t: Thread, clock: number, notify: number, signo: number, tid: number, value: number | undefined): number {
  const p = t.process;
  if (clock !== CLOCK_REALTIME && clock !== CLOCK_MONOTONIC && clock !== CLOCK_BOOTTIME) throw sysErr(Errno.INVAL);
  if (notify !== SigevNotify.SIGNAL && notify !== SigevNotify.NONE && notify !== SigevNotify.THREAD && notify !== SigevNotify.THREAD_ID) throw sysErr(Errno.INVAL);
  const signals = notify === SigevNotify.SIGNAL || notify === SigevNotify.THREAD_ID;
  if (signals && (signo < 1 || signo > 64)) throw sysErr(Errno.INVAL);
  let target: Thread | undefined;
  if (notify === SigevNotify.THREAD_ID) {
    for (const x of p.threads) if (x.tid === tid && !x.killed) target = x;
    if (!target) throw sysErr(Errno.INVAL);
  }
  const m = table(p);
  if (m.size >= MAX_TIMERS) throw sysErr(Errno.AGAIN);
  let id = 0;
  while (m.has(id)) id++;
  m.set(id, {
    id, clock, notify, signo, target, info: { code: SigCode.TIMER, pid: id, status: 0, value: value ?? id }, // no sigevent: si_value is the id
    deadlineNs: undefined, intervalNs: 0n, host: undefined, lastOverrun: 0, sent: false, fired: 0, waiters: new WaitQueue(),
  });
  return id;
}

export interface TimerSetting {
  /** Time to the next expiry (0: disarmed) and the period, in ns. */
  valueNs: bigint;
  intervalNs: bigint;
}

/** timer_gettime: what is left until the next expiry, and the period. */
export function timerSetting(p: Process, id: number): TimerSetting {
  return settingOf(timerOf(p, id));
}

function settingOf(tm: PosixTimer): TimerSetting {
  if (tm.deadlineNs === undefined) return { valueNs: 0n, intervalNs: tm.intervalNs };
  const left = tm.deadlineNs - monotonicNs();
  return { valueNs: left > 0n ? left : 1n, intervalNs: tm.intervalNs }; // due now: Linux reports 1 ns, not "disarmed"
}

/** timer_settime: arm (value > 0) or disarm (0); returns the previous setting. */
export function setTimer(p: Process, id: number, flags: number, valueNs: bigint, intervalNs: bigint): TimerSetting {
  const tm = timerOf(p, id);
  const old = timerSetting(p, id);
  disarm(tm);
  tm.intervalNs = valueNs === 0n ? 0n : intervalNs; // a disarmed timer reports no period either
  if (valueNs === 0n) return old;
  let deadline = valueNs;
  if ((flags & TIMER_ABSTIME) === 0) deadline += monotonicNs();
  else if (tm.clock === CLOCK_REALTIME) deadline += monotonicNs() - realtimeNs();
  tm.deadlineNs = deadline;
  schedule(p, tm);
  return old;
}

/** timer_getoverrun. */
export function timerOverrun(p: Process, id: number): number {
  const tm = timerOf(p, id);
  settleDelivered(p, tm);
  return tm.lastOverrun;
}

/** timer_delete: the timer stops, its signal no longer pending, its notifying thread woken. */
export function deleteTimer(p: Process, id: number): void {
  const tm = timerOf(p, id);
  disarm(tm);
  dropPendingInfo(p, tm.info);
  timers.get(p)!.delete(id);
  tm.waiters.notifyAll();
}

/**
 * SIGEV_THREAD's notifying thread: wait for the next expiry of timer `id`; returns the expiries
 * since the last call less one (the overrun), EINVAL once the timer is deleted.
 */
export async function waitTimer(t: Thread, id: number): Promise<number> {
  const p = t.process;
  for (;;) {
    const tm = timerOf(p, id);
    if (tm.notify !== SigevNotify.THREAD) throw sysErr(Errno.INVAL);
    if (tm.fired > 0) {
      const overrun = Math.min(tm.fired - 1, DELAYTIMER_MAX);
      tm.fired = 0;
      tm.lastOverrun = overrun;
      return overrun;
    }
    if ((await tm.waiters.wait({ intr: t })) === "interrupted") throw sysErr(Errno.INTR);
  }
}

/**
 * ITIMER_REAL (setitimer, getitimer, alarm; WASIX proc_raise_interval): one more timer per
 * process, apart from timer_create's ids, whose SIGALRM says SI_KERNEL as Linux's does.
 */
const itimers = new WeakMap<Process, PosixTimer>();
const ITIMER_ID = -1;

function itimerOf(p: Process, signo = SIGALRM): PosixTimer {
  let tm = itimers.get(p);
  if (tm && tm.signo !== signo) {
    disarm(tm);
    tm = undefined;
  }
  if (!tm) {
    tm = {
      id: ITIMER_ID, clock: CLOCK_MONOTONIC, notify: SigevNotify.SIGNAL, signo, target: undefined,
      info: { code: SigCode.KERNEL, pid: 0, status: 0 }, deadlineNs: undefined, intervalNs: 0n, host: undefined,
      lastOverrun: 0, sent: false, fired: 0, waiters: new WaitQueue(),
    };
    itimers.set(p, tm);
  }
  return tm;
}

/**
 * setitimer(ITIMER_REAL): the first expiry after `valueNs` (0: disarm), then every `intervalNs`;
 * returns the old setting. WASIX's proc_raise_interval may name another signal than SIGALRM.
 */
export function setItimer(p: Process, valueNs: bigint, intervalNs: bigint, signo = SIGALRM): TimerSetting {
  const old = settingOf(itimerOf(p));
  const tm = itimerOf(p, signo);
  disarm(tm);
  tm.intervalNs = valueNs === 0n ? 0n : intervalNs;
  if (valueNs === 0n) return old;
  tm.deadlineNs = monotonicNs() + valueNs;
  schedule(p, tm);
  return old;
}

/** getitimer(ITIMER_REAL): the time left and the period. */
export function itimerSetting(p: Process): TimerSetting {
  return settingOf(itimerOf(p));
}

/** The process ended: every timer stops. */
export function clearTimers(p: Process): void {
  const it = itimers.get(p);
  if (it) disarm(it);
  const m = timers.get(p);
  if (!m) return;
  for (const tm of m.values()) disarm(tm);
  timers.delete(p);
}

function disarm(tm: PosixTimer): void {
  if (tm.host !== undefined) clearTimeout(tm.host);
  tm.host = undefined;
  tm.deadlineNs = undefined;
}

function schedule(p: Process, tm: PosixTimer): void {
  const ms = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(Number(tm.deadlineNs! - monotonicNs()) / 1e6)));
  // Not unref'd: a process waiting in pause() or sigsuspend() waits for nothing else.
  tm.host = setTimeout(() => expire(p, tm), ms);
}

/** The last signal sent has been taken: its overrun is timer_getoverrun's now. */
function settleDelivered(p: Process, tm: PosixTimer): void {
  if (tm.sent && !isPendingInfo(p, tm.info)) {
    tm.lastOverrun = tm.info.status;
    tm.sent = false;
  }
}

function expire(p: Process, tm: PosixTimer): void {
  tm.host = undefined;
  if (p.status || tm.deadlineNs === undefined) return;
  const now = monotonicNs();
  if (now < tm.deadlineNs) return schedule(p, tm); // a host timer that fired early
  // Expiries due now: one, plus those a late host timer missed (each an overrun).
  let expiries = 1;
  if (tm.intervalNs > 0n) {
    const missed = (now - tm.deadlineNs) / tm.intervalNs;
    expiries += Number(missed);
    tm.deadlineNs += (missed + 1n) * tm.intervalNs;
  } else {
    tm.deadlineNs = undefined;
  }
  notify(p, tm, expiries);
  if (tm.deadlineNs !== undefined) schedule(p, tm);
}

function notify(p: Process, tm: PosixTimer, expiries: number): void {
  switch (tm.notify) {
    case SigevNotify.NONE:
      return;
    case SigevNotify.THREAD:
      tm.fired += expiries;
      tm.waiters.notifyAll();
      return;
    default: {
      if (isPendingInfo(p, tm.info)) {
        tm.info.status = Math.min(DELAYTIMER_MAX, tm.info.status + expiries); // still queued: overruns
        return;
      }
      settleDelivered(p, tm);
      // A thread's timer whose thread has ended signals nobody (Linux finds no task).
      if (tm.target && (!p.threads.has(tm.target) || tm.target.killed)) return;
      tm.info.status = Math.min(DELAYTIMER_MAX, expiries - 1);
      tm.sent = true;
      signalProcess(p, tm.signo, tm.target, tm.info);
    }
  }
}
