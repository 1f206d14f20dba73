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
 * Wall-clock deadlines are kept on the monotonic clock (a CLOCK_REALTIME TIMER_ABSTIME time is
 * converted when set; the wall clock is not stepped here) and fire from host timers, at ms
 * resolution. A timer on a CPU-time clock (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID or a
 * thread's or process's clock id: cpu-clocks.ts) counts that CPU time: its host timer is set for
 * the least wall time the rest can take (a thread's CPU time goes at most as fast as the wall
 * clock, a process's at most vCPU times as fast) and looks again when it fires; a thread's stops
 * with the thread. The interval timers (setitimer, alarm) are three more per process (setItimer):
 * ITIMER_REAL on the wall clock (SIGALRM), ITIMER_VIRTUAL (SIGVTALRM) and ITIMER_PROF (SIGPROF) on
 * the process's CPU time, their signals SI_KERNEL.
 */
import { Errno, sysErr } from "../syscall/errno.ts";
import { monotonicNs, realtimeNs } from "../sched/clock.ts";
import { WaitQueue } from "../sched/wait-queue.ts";
import type { Process } from "./process.ts";
import type { Thread } from "./thread.ts";
import { dropPendingInfo, isPendingInfo, signalProcess, SigCode, type SigInfo } from "./signals.ts";
import { cpuClockLive, cpuClockOwner, cpuTimeOf, type CpuClockOwner } from "./cpu-clocks.ts";
import { vcpuCount } from "../vcpu/index.ts";

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
  /** A CPU-time timer's clock (deadlines in its ns); undefined: the monotonic clock. */
  readonly cpu: CpuClockOwner | undefined;
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
  const wall = clock === CLOCK_REALTIME || clock === CLOCK_MONOTONIC || clock === CLOCK_BOOTTIME;
  const cpu = wall ? undefined : cpuClockOwner(t, clock);
  if (!wall && !cpu) throw sysErr(Errno.INVAL);
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
    id, clock, notify, signo, target, cpu, info: { code: SigCode.TIMER, pid: id, status: 0, value: value ?? id }, // no sigevent: si_value is the id
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

/** The timer's clock now: CPU time, or the monotonic clock. */
function now(tm: PosixTimer): bigint {
  return tm.cpu ? cpuTimeOf(tm.cpu) : monotonicNs();
}

function settingOf(tm: PosixTimer): TimerSetting {
  if (tm.deadlineNs === undefined) return { valueNs: 0n, intervalNs: tm.intervalNs };
  const left = tm.deadlineNs - now(tm);
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
  if ((flags & TIMER_ABSTIME) === 0) deadline += now(tm);
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

/** setitimer's timers: which → its clock (the monotonic one, or the process's CPU time) and signal. */
export const Itimer = { REAL: 0, VIRTUAL: 1, PROF: 2 } as const;
const ITIMER_SIGNALS = [SIGALRM, 26 /* SIGVTALRM */, 27 /* SIGPROF */];
const itimers = new WeakMap<Process, (PosixTimer | undefined)[]>();
const ITIMER_ID = -1;

function itimerOf(p: Process, which: number, signo = ITIMER_SIGNALS[which]!): PosixTimer {
  let all = itimers.get(p);
  if (!all) itimers.set(p, (all = []));
  let tm = all[which];
  if (tm && tm.signo !== signo) {
    disarm(tm);
    tm = undefined;
  }
  if (!tm) {
    tm = {
      id: ITIMER_ID, clock: which === Itimer.REAL ? CLOCK_MONOTONIC : 2, notify: SigevNotify.SIGNAL, signo, target: undefined,
      cpu: which === Itimer.REAL ? undefined : { process: p },
      info: { code: SigCode.KERNEL, pid: 0, status: 0 }, deadlineNs: undefined, intervalNs: 0n, host: undefined,
      lastOverrun: 0, sent: false, fired: 0, waiters: new WaitQueue(),
    };
    all[which] = tm;
  }
  return tm;
}

/**
 * setitimer: the first expiry after `valueNs` (0: disarm) on the timer's clock, then every
 * `intervalNs`; returns the old setting. WASIX's proc_raise_interval (ITIMER_REAL) may name
 * another signal than SIGALRM.
 */
export function setItimer(p: Process, which: number, valueNs: bigint, intervalNs: bigint, signo?: number): TimerSetting {
  if (which !== Itimer.REAL && which !== Itimer.VIRTUAL && which !== Itimer.PROF) throw sysErr(Errno.INVAL);
  const old = settingOf(itimerOf(p, which));
  const tm = itimerOf(p, which, signo);
  disarm(tm);
  tm.intervalNs = valueNs === 0n ? 0n : intervalNs;
  if (valueNs === 0n) return old;
  tm.deadlineNs = now(tm) + valueNs;
  schedule(p, tm);
  return old;
}

/** getitimer: the time left and the period. */
export function itimerSetting(p: Process, which: number): TimerSetting {
  if (which !== Itimer.REAL && which !== Itimer.VIRTUAL && which !== Itimer.PROF) throw sysErr(Errno.INVAL);
  return settingOf(itimerOf(p, which));
}

/** The process ended: every timer stops. */
export function clearTimers(p: Process): void {
  for (const it of itimers.get(p) ?? []) if (it) disarm(it);
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
  // CPU time goes at most as fast as the wall clock on each vCPU its owner's threads may use.
  const rate = tm.cpu && "process" in tm.cpu ? vcpuCount() : 1;
  const ms = Math.min(MAX_TIMER_MS, Math.max(tm.cpu ? 1 : 0, Math.ceil(Number(tm.deadlineNs! - now(tm)) / 1e6 / rate)));
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
  if (tm.cpu && !cpuClockLive(tm.cpu)) return disarm(tm); // its thread has ended: its clock stopped
  const at = now(tm);
  if (at < tm.deadlineNs) return schedule(p, tm); // not yet (a CPU clock's owner waited meanwhile)
  // Expiries due now: one, plus those a late host timer missed (each an overrun).
  let expiries = 1;
  if (tm.intervalNs > 0n) {
    const missed = (at - tm.deadlineNs) / tm.intervalNs;
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
