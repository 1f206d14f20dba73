/**
 * Signals: sending, masks, pending sets, delivery through the guest's callback, and the default
 * actions. The kernel is the authority on masks and pending sets (sigprocmask, sigpending,
 * sigsuspend); the guest's libc keeps the handlers and calls them from its `__wasm_signal`
 * export (WASIX callback_signal), and tells the kernel each disposition with its flags and mask
 * (occlum.sigaction, linked into every POSIX program by occlum-cc: sdk/libc/signals.c).
 *
 * State: each thread has a mask (Thread.sigmask, bit sig-1, 64 signals); pending signals are in
 * Process.pendingSignals (arrival order; standard signals do not queue), process-directed (kill)
 * or directed at one thread (raise, pthread_kill: Process.pendingTo), with their siginfo
 * (Process.pendingInfo). As Linux, the process's set and each thread's hold a standard signal once
 * each; real-time signals (32-64) queue every instance (sigqueue's values in order), up to
 * MAX_QUEUED.
 * A signal is delivered by a thread that does not block it, when that thread next leaves the
 * kernel: at the return of a blocking call (dispatch), at a preemption check (loader), or inside
 * sigprocmask/sigsuspend. A thread blocked in the kernel is interrupted only for a signal it
 * may take and that would run a handler or kill: EINTR, or a transparent restart of a
 * restartable call when every handler that ran had SA_RESTART (syscall/blocking.ts, dispatch).
 *
 * While a handler runs, the thread's mask is its mask | sa_mask | the signal (unless SA_NODEFER),
 * restored when the handler returns, as Linux's signal frame does.
 *
 * Job control (job-control.ts) happens as a signal is sent, whatever its disposition or mask, as
 * Linux's prepare_signal: SIGCONT continues a stopped process and discards its pending stop
 * signals; a stop signal discards a pending SIGCONT. A stop signal whose action is to stop stops
 * the process at once unless every thread that may take it blocks it (then it stops when one
 * unblocks it and takes it, in deliverSignals). A stopped process interrupts nobody for the
 * signals it gets: they stay pending until SIGCONT (SIGKILL still kills). In an orphaned process
 * group (session.ts) SIGTSTP, SIGTTIN and SIGTTOU are discarded where they would stop.
 */
import type { Process } from "./process.ts";
import type { Thread } from "./thread.ts";
import { Wasm } from "../wasm.ts";
import { ThreadKilled } from "./exit.ts";
import { EAGAIN_ERROR, EINTR_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { waitAny, type WakeReason } from "../sched/wait-queue.ts";
import { nowMs } from "../sched/clock.ts";
import { continueProcess, parkStopped, stopProcess } from "./job-control.ts";
import { isOrphanedGroup } from "./session.ts";

export const SIGKILL = 9;
export const SIGSTOP = 19;
export const SIGCONT = 18;
export const SIGCHLD = 17;
/** musl's SIGCANCEL, the signal pthread_cancel sends (sdk/libc/threads.c): see Thread.armCancelWake. */
export const SIGCANCEL = 33;

/**
 * How a signal was sent, as siginfo_t tells a sigwaitinfo caller (Linux's si_code values): kill()
 * (SI_USER, the sender's pid), sigqueue (SI_QUEUE, the sender's pid and a value),
 * tgkill/pthread_kill/raise (SI_TKILL), a message queue's mq_notify (SI_MESGQ, the sender's pid and
 * the registration's value), the kernel (SI_KERNEL: timers, faults), a child's end (SIGCHLD: CLD_EXITED or CLD_KILLED, the child's pid and its exit code or
 * signal as status; no core dumps here, so never CLD_DUMPED), or its stop and continue
 * (CLD_STOPPED with the stop signal, CLD_CONTINUED with SIGCONT). Every process runs as uid 0.
 */
export interface SigInfo {
  readonly code: number;
  readonly pid: number;
  readonly status: number;
  /** sigqueue's value (si_value, an int or a pointer: 32 bits here). */
  readonly value?: number;
}
export const SigCode = { USER: 0, KERNEL: 0x80, QUEUE: -1, TIMER: -2, MESGQ: -3, TKILL: -6, CLD_EXITED: 1, CLD_KILLED: 2, CLD_STOPPED: 5, CLD_CONTINUED: 6 } as const;

/** Linux's SIGRTMIN: signals from here on queue, one entry per sending (musl's SIGCANCEL, 33, does not). */
const SIGRT_FIRST = 32;
/** Queued signal instances a process may hold (Linux's RLIMIT_SIGPENDING: ~95000 by default). */
export const MAX_QUEUED = 4096;

/** Is one more instance of `signo` to be queued beside one already pending (a real-time signal)? */
function queues(signo: number): boolean {
  return signo >= SIGRT_FIRST && signo !== SIGCANCEL;
}
const KERNEL_INFO: SigInfo = { code: SigCode.KERNEL, pid: 0, status: 0 };

/** sigaction flags the kernel acts on (musl's values). */
export const SA_RESTART = 0x10000000;
export const SA_NODEFER = 0x40000000;

/** A disposition as the libc reported it (occlum.sigaction). */
export const SigKind = { DEFAULT: 0, IGNORE: 1, HANDLER: 2 } as const;
export interface SigAction {
  kind: number;
  flags: number;
  mask: bigint;
}

export function sigbit(sig: number): bigint {
  return 1n << BigInt(sig - 1);
}
/** SIGKILL and SIGSTOP cannot be blocked (sigprocmask silently drops them, as Linux does). */
export const UNBLOCKABLE = sigbit(SIGKILL) | sigbit(SIGSTOP);
const ALL64 = (1n << 64n) - 1n;

export function cleanMask(m: bigint): bigint {
  return m & ALL64 & ~UNBLOCKABLE;
}

/** Signals whose default action is to do nothing. */
const DEFAULT_IGNORE = new Set([17, 18, 23, 28]); // CHLD, CONT, URG, WINCH
/** Signals whose default action is to stop the process: STOP, TSTP, TTIN, TTOU. */
export const STOPS = new Set([19, 20, 21, 22]);

const DEFAULT_ACTION: SigAction = { kind: SigKind.DEFAULT, flags: 0, mask: 0n };
const IGNORE_ACTION: SigAction = { kind: SigKind.IGNORE, flags: 0, mask: 0n };

/**
 * The disposition of `sig`: as the libc reported it; for a program that reports every change
 * (it imports occlum.sigaction) one never reported is the default or the inherited SIG_IGN;
 * otherwise undefined (unknown: the libc may hold a handler the kernel was never told about).
 */
function actionOf(p: Process, sig: number): SigAction | undefined {
  const a = p.sigactions.get(sig);
  if (a || !p.reportsSigactions) return a;
  return p.ignored.has(sig) ? IGNORE_ACTION : DEFAULT_ACTION;
}

function ignoredByDefault(a: SigAction | undefined, sig: number): boolean {
  return a?.kind === SigKind.DEFAULT && DEFAULT_IGNORE.has(sig);
}

/** Does taking `sig` stop the process: SIGSTOP, or a stop signal at SIG_DFL? */
function stopsByDefault(a: SigAction | undefined, sig: number): boolean {
  return sig === SIGSTOP || (a?.kind === SigKind.DEFAULT && STOPS.has(sig));
}

/**
 * Take a stop signal's action to stop `p`. SIGTSTP, SIGTTIN and SIGTTOU do nothing when p's group
 * is orphaned (session.ts: nobody of the session would continue it), as Linux discards them as it
 * delivers them; SIGSTOP always stops.
 */
function stopFor(p: Process, sig: number): void {
  if (sig !== SIGSTOP && isOrphanedGroup(p.kernel.processes, p.pgid)) return;
  stopProcess(p, sig);
}

/**
 * Would delivering `sig` run a handler or end the process (then a blocked call is interrupted)?
 * A stop signal at SIG_DFL stops the process where it is sent or unblocked, and interrupts no
 * call; one of unknown disposition may have a handler.
 */
function acts(p: Process, sig: number): boolean {
  const a = actionOf(p, sig);
  if (a?.kind === SigKind.HANDLER) return true;
  if (STOPS.has(sig)) return a === undefined;
  return !DEFAULT_IGNORE.has(sig);
}

/**
 * Send a signal. SIGKILL acts at once. A guest that registered a signal callback (wasix-libc
 * does at start) gets every other signal through it: the libc holds the handlers (SIG_DFL leads
 * to onDefaultAction below). The signal stays pending until a thread that does not block it
 * leaves the kernel; one such thread, if blocked in the kernel, is interrupted. Without a
 * callback the default action applies here.
 */
export function signalProcess(p: Process, signo: number, target?: Thread, info: SigInfo = KERNEL_INFO): void {
  if (signo === 0 || p.zombie || p.status) return;
  if (signo === SIGKILL) return p.exit({ kind: "signal", signo });
  if (signo === SIGCONT) {
    dropPending(p, STOPS);
    // Signals that came while it was stopped interrupted nobody: a thread may take them now.
    if (continueProcess(p)) for (let i = 0; i < p.pendingSignals.length; i++) wakeTaker(p, p.pendingSignals[i]!, p.pendingTo[i]);
  } else if (STOPS.has(signo)) {
    dropPending(p, CONT_ONLY);
  }
  if (p.ignored.has(signo)) return;
  if (p.signalCallback && typeof p.exports?.[p.signalCallback] === "function") {
    const bit = sigbit(signo);
    const takers = target ? [target] : [...p.threads];
    // Known to do nothing (SIGCHLD at SIG_DFL): discarded unless blocked, as Linux does; the
    // guest's callback would only run the libc's default routine to ignore it. A thread waiting
    // for it in sigtimedwait keeps it (Linux: a signal in real_blocked is never ignored).
    const waiter = takers.find((t) => (t.sigwaitSet & bit) !== 0n);
    const act = actionOf(p, signo);
    if (!waiter && stopsByDefault(act, signo)) {
      // A stop: now, unless every thread that may take it blocks it (SIGSTOP cannot be blocked).
      if (signo === SIGSTOP || takers.some((t) => !blocks(t, bit))) return stopFor(p, signo);
    } else if (!waiter && ignoredByDefault(act, signo) && takers.some((t) => !blocks(t, bit))) {
      return;
    }
    if (queues(signo) ? p.pendingSignals.length < MAX_QUEUED : findPending(p, signo, target) < 0) {
      p.pendingSignals.push(signo);
      p.pendingTo.push(target);
      p.pendingInfo.push(info);
      for (const h of pendingHooks) h(p);
    }
    if (p.stopSignal === 0) wakeTaker(p, signo, target);
    return;
  }
  if (STOPS.has(signo)) return stopFor(p, signo);
  if (DEFAULT_IGNORE.has(signo)) return;
  p.exit({ kind: "signal", signo });
}

/**
 * Interrupt the thread that will take pending `signo` (sent to `target`, or to the process): one
 * in sigtimedwait for it (the set counts as unblocked for the wait), else the first that does not
 * block it, if taking it acts (no spurious EINTR for a SIGCHLD nobody handles).
 */
function wakeTaker(p: Process, signo: number, target: Thread | undefined): void {
  const bit = sigbit(signo);
  const takers = target ? [target] : p.threads;
  for (const t of takers) if ((t.sigwaitSet & bit) !== 0n) return t.interrupt();
  if (!acts(p, signo)) return;
  for (const t of takers) {
    if (!blocks(t, bit)) {
      if (target && signo === SIGCANCEL) t.armCancelWake();
      else t.interrupt();
      break;
    }
  }
}

const CONT_ONLY: ReadonlySet<number> = new Set([SIGCONT]);

/** Discard every pending instance of the signals of `set` (the process's and each thread's). */
function dropPending(p: Process, set: ReadonlySet<number>): void {
  for (let i = p.pendingSignals.length - 1; i >= 0; i--) if (set.has(p.pendingSignals[i]!)) removePending(p, i);
}

/**
 * Threads inside a libc section that blocks every signal (wasix-libc's __block_all_sigs, e.g. in
 * pthread_kill and abort, switches its callback to "__wasm_signal_blocked" until __restore_sigs).
 */
const libcBlocked = new WeakSet<Thread>();

/** callback_signal: the libc blocks (`on`) or restores the calling thread's signals. */
export function setLibcBlocked(t: Thread, on: boolean): void {
  if (on) libcBlocked.add(t);
  else libcBlocked.delete(t);
}

function blocks(t: Thread, bit: bigint): boolean {
  return (t.sigmask & bit) !== 0n || libcBlocked.has(t);
}

/** The pending entry of `signo` sent to `to` (undefined: the process's own); -1 if none. */
function findPending(p: Process, signo: number, to: Thread | undefined): number {
  const q = p.pendingSignals;
  for (let i = 0; i < q.length; i++) if (q[i] === signo && p.pendingTo[i] === to) return i;
  return -1;
}

/** Called when a signal becomes pending in a process (signalfd.ts: its readers wake). */
const pendingHooks: ((p: Process) => void)[] = [];
export function onSignalPending(hook: (p: Process) => void): void {
  pendingHooks.push(hook);
}

/** Is a signal of `set` pending for some thread of `p` (its own or the process's)? */
export function pendingIn(p: Process, set: bigint): boolean {
  for (const s of p.pendingSignals) if ((set & sigbit(s)) !== 0n) return true;
  return false;
}

/** Is this very record (a timer's: timers.ts) pending? */
export function isPendingInfo(p: Process, info: SigInfo): boolean {
  return p.pendingInfo.includes(info);
}

/** Discard the pending signal sent with this very record (a deleted timer's), if any. */
export function dropPendingInfo(p: Process, info: SigInfo): void {
  const i = p.pendingInfo.indexOf(info);
  if (i >= 0) removePending(p, i);
}

/** Take pending entry `i` off the set: the signal and how it was sent. */
function removePending(p: Process, i: number): SigTaken {
  const taken = { signo: p.pendingSignals[i]!, info: p.pendingInfo[i]! };
  p.pendingSignals.splice(i, 1);
  p.pendingTo.splice(i, 1);
  p.pendingInfo.splice(i, 1);
  return taken;
}

/** Is pending entry `i` for `t`: sent to it, or to the process? */
function forThread(t: Thread, i: number): boolean {
  const to = t.process.pendingTo[i];
  return to === undefined || to === t;
}

/** May `t` take pending entry `i` now: for it, and not blocked. */
function mayTake(t: Thread, i: number): boolean {
  return forThread(t, i) && !blocks(t, sigbit(t.process.pendingSignals[i]!));
}

/** The first pending signal `t` may take, removed from the pending set; undefined if none. */
function takeDeliverable(t: Thread): SigTaken | undefined {
  const n = t.process.pendingSignals.length;
  for (let i = 0; i < n; i++) if (mayTake(t, i)) return removePending(t.process, i);
  return undefined;
}

export function hasDeliverable(t: Thread): boolean {
  const n = t.process.pendingSignals.length;
  for (let i = 0; i < n; i++) if (mayTake(t, i)) return true;
  return false;
}

/**
 * Each thread's own instance exports: a handler runs in the instance of the thread that takes
 * the signal (its stack pointer and TLS globals), not in the main thread's.
 */
export const threadExports = new WeakMap<Thread, Record<string, unknown>>();
/**
 * The signal whose callback a thread is running, with how it was sent (the default-action hook
 * below needs the number; an SA_SIGINFO handler's siginfo_t the rest: occlum.siginfo).
 */
const delivering = new WeakMap<Thread, SigTaken>();
function setDelivering(t: Thread, s: SigTaken | undefined): void {
  if (s === undefined) delivering.delete(t);
  else delivering.set(t, s);
}

/** The signal `t` is running the callback of, and how it was sent; undefined outside one. */
export function deliveringNow(t: Thread): SigTaken | undefined {
  return delivering.get(t);
}
/** The callbacks wrapped for JSPI, per thread and export name. */
const runners = new WeakMap<Thread, Map<string, (sig: number) => Promise<unknown>>>();

/**
 * Run the guest's callback for each pending signal `t` may take. The callback runs on its own
 * JSPI stack (`promising`), so a handler, or the libc's default action, may itself make blocking
 * calls. Resolves to true when an interrupted call must fail with EINTR: a handler ran without
 * SA_RESTART (or with flags the kernel was never told); false when every handler that ran asked
 * for a restart. undefined: nothing to deliver now.
 */
export function deliverSignals(t: Thread, stats?: { handled: number }): Promise<boolean> | undefined {
  const p = t.process;
  // Stopped: park first (job-control.ts); what is pending is delivered after SIGCONT.
  if (p.stopSignal !== 0 && !t.killed) return parkStopped(t).then(() => deliverSignals(t, stats) ?? false);
  const name = p.signalCallback;
  const cb = name ? (threadExports.get(t) ?? p.exports)?.[name] : undefined;
  if (typeof cb !== "function") {
    p.pendingSignals.length = 0;
    p.pendingTo.length = 0;
    p.pendingInfo.length = 0;
    return undefined;
  }
  if (!hasDeliverable(t)) return undefined;
  let byName = runners.get(t);
  if (!byName) runners.set(t, (byName = new Map()));
  let run = byName.get(name!);
  if (!run) {
    run = Wasm.promising(cb as (sig: number) => unknown) as (sig: number) => Promise<unknown>;
    byName.set(name!, run);
  }
  const runner = run;
  const exports = threadExports.get(t) ?? p.exports;
  let eintr = false;
  const next = (): Promise<boolean> | boolean => {
    if (t.killed) return eintr;
    if (p.stopSignal !== 0) return parkStopped(t).then(next); // a handler (or the libc) stopped it
    const got = takeDeliverable(t);
    if (got === undefined) return eintr;
    const s = got.signo;
    const act = actionOf(p, s);
    if (ignoredByDefault(act, s)) return next(); // nothing would run
    if (stopsByDefault(act, s)) {
      // A stop signal that was blocked everywhere, taken now: the process stops here.
      stopFor(p, s);
      return next();
    }
    if (!act || (act.kind === SigKind.HANDLER && (act.flags & SA_RESTART) === 0)) eintr = true;
    // Unknown: a handler unless the default ignores it (then nothing ran, as far as we know).
    if (stats && (act ? act.kind === SigKind.HANDLER : !DEFAULT_IGNORE.has(s))) stats.handled++;
    const saved = t.sigmask;
    const outer = delivering.get(t);
    if (!act || act.kind === SigKind.HANDLER) {
      const self = act && (act.flags & SA_NODEFER) !== 0 ? 0n : sigbit(s);
      t.sigmask = cleanMask(saved | (act?.mask ?? 0n) | self);
    }
    delivering.set(t, got);
    return runnerFor(t, s, exports, runner)(s).then(
      () => {
        t.sigmask = saved;
        setDelivering(t, outer);
        return next();
      },
      (e: unknown) => {
        t.sigmask = saved;
        setDelivering(t, outer);
        if (!(e instanceof DefaultIgnored)) throw e;
        p.signalCallback = name; // the libc's routine was cut short before it restored this
        return next();
      },
    );
  };
  const r = next();
  return r instanceof Promise ? r : Promise.resolve(r);
}

/**
 * A thread ended: the signals sent to it alone go with it, as Linux frees a thread's own pending
 * set (no other thread may take them; left in place they would be pending for nobody).
 */
export function dropThreadSignals(p: Process, t: Thread): void {
  for (let i = p.pendingTo.length - 1; i >= 0; i--) if (p.pendingTo[i] === t) removePending(p, i);
}

/**
 * The export that takes signal `s` on `t`: the libc's callback, except for SIGCANCEL when the
 * program exports `__occlum_cancel_signal` (sdk/libc/threads.c: the libc's callback ignores the
 * signal; this one ends a thread that asked for asynchronous cancellation, wherever it computes).
 */
function runnerFor(t: Thread, s: number, exports: Record<string, unknown> | undefined, libc: (sig: number) => Promise<unknown>): (sig: number) => Promise<unknown> {
  if (s !== SIGCANCEL) return libc;
  const fn = exports?.[CANCEL_EXPORT];
  if (typeof fn !== "function") return libc;
  const byName = runners.get(t)!;
  let run = byName.get(CANCEL_EXPORT);
  if (!run) byName.set(CANCEL_EXPORT, (run = Wasm.promising(fn as (sig: number) => unknown) as (sig: number) => Promise<unknown>));
  return run;
}
const CANCEL_EXPORT = "__occlum_cancel_signal";

/** Thrown through the libc's default-action routine for a signal whose default is to ignore. */
export class DefaultIgnored extends Error {}

/**
 * wasix-libc's `__wasm_signal` switches its callback to "__wasm_signal_blocked" only on its
 * SIG_DFL path, right before its default routine (which prints a message and aborts, for every
 * signal). The kernel applies Linux's default action there instead: ignore (CHLD, CONT, URG,
 * WINCH), stop (STOP, TSTP, TTIN, TTOU: a program that never told the kernel its disposition;
 * the routine is cut short and the delivery parks) or terminate with the signal as the wait
 * status.
 */
export function onDefaultAction(t: Thread): void {
  const p = t.process;
  const s = delivering.get(t)?.signo;
  if (s === undefined) return;
  if (STOPS.has(s)) stopFor(p, s);
  if (DEFAULT_IGNORE.has(s) || STOPS.has(s)) throw new DefaultIgnored();
  p.exit({ kind: "signal", signo: s });
  throw new ThreadKilled();
}

/**
 * Tell a wasix-libc guest its initial dispositions through its `__wasm_sigaction(sig, disp)`
 * export (0 default, 1 ignore), as a WASIX runtime does for inherited dispositions. Besides
 * recording SIG_IGN from the spawn, this installs the libc's default-action routine, which its
 * `__wasm_signal` calls for SIG_DFL signals. Runs before _start (the export touches only libc data).
 */
export function initGuestSignals(p: Process): void {
  const set = p.exports?.["__wasm_sigaction"];
  if (typeof set !== "function") return;
  for (let sig = 1; sig < 32; sig++) {
    if (sig === SIGKILL || sig === SIGSTOP) continue;
    set(sig, p.ignored.has(sig) ? 1 : 0);
  }
}

/** occlum.sigaction: the libc reports a disposition it installed (sigaction, signal). */
export function setSigAction(t: Thread, sig: number, act: SigAction): void {
  if (sig < 1 || sig > 64 || sig === SIGKILL || sig === SIGSTOP) throw sysErr(Errno.INVAL);
  if (act.kind !== SigKind.DEFAULT && act.kind !== SigKind.IGNORE && act.kind !== SigKind.HANDLER) throw sysErr(Errno.INVAL);
  const p = t.process;
  p.sigactions.set(sig, { kind: act.kind, flags: act.flags, mask: cleanMask(act.mask) });
  if (act.kind === SigKind.IGNORE) {
    p.ignored.add(sig);
    // POSIX: setting SIG_IGN discards the pending instances of the signal.
    for (let i = p.pendingSignals.length - 1; i >= 0; i--) if (p.pendingSignals[i] === sig) removePending(p, i);
  } else {
    p.ignored.delete(sig);
  }
}

export const SigHow = { BLOCK: 0, UNBLOCK: 1, SETMASK: 2 } as const;

/**
 * sigprocmask/pthread_sigmask: change the calling thread's mask and return the old one. A
 * signal this unblocks is delivered before the call returns (POSIX), so the call may wait for
 * the handler (a Promise).
 */
export function sigprocmask(t: Thread, how: number, set: bigint | undefined): bigint | Promise<bigint> {
  const old = t.sigmask;
  if (set !== undefined) {
    if (how === SigHow.BLOCK) t.sigmask = cleanMask(old | set);
    else if (how === SigHow.UNBLOCK) t.sigmask = cleanMask(old & ~set);
    else if (how === SigHow.SETMASK) t.sigmask = cleanMask(set);
    else throw sysErr(Errno.INVAL);
  }
  const d = deliverSignals(t);
  return d ? d.then(() => old) : old;
}

/** sigpending: the pending signals the calling thread blocks. */
export function sigpending(t: Thread): bigint {
  let m = 0n;
  const q = t.process.pendingSignals;
  for (let i = 0; i < q.length; i++) if (forThread(t, i)) m |= sigbit(q[i]!);
  return m & t.sigmask;
}

/**
 * Deliver the signals `t` may take now, in its context; true when a handler ran (a wait that lets
 * signals through then ends with EINTR). A signal whose action is to ignore runs none.
 */
async function handledNow(t: Thread): Promise<boolean> {
  const stats = { handled: 0 };
  const d = deliverSignals(t, stats);
  if (d) await d;
  if (t.killed) throw new ThreadKilled();
  return stats.handled > 0;
}

/**
 * The lowest pending signal of `set` that `t` may take (its own, or process-directed), taken off
 * the pending set; undefined when none. Linux's next_signal also takes the lowest number first,
 * and a thread's own instance before the process's.
 */
export function takePending(t: Thread, set: bigint): SigTaken | undefined {
  const p = t.process;
  const q = p.pendingSignals;
  let best = -1;
  for (let i = 0; i < q.length; i++) {
    const s = q[i]!;
    if ((set & sigbit(s)) === 0n || !forThread(t, i)) continue;
    if (best < 0 || s < q[best]! || (s === q[best]! && p.pendingTo[i] === t)) best = i;
  }
  return best < 0 ? undefined : removePending(p, best);
}

/** A signal sigtimedwait took, with how it was sent. */
export interface SigTaken {
  readonly signo: number;
  readonly info: SigInfo;
}

/**
 * sigtimedwait / sigwaitinfo / sigwait: take a pending signal of `set` (the thread's own or the
 * process's, lowest first) without running its handler, waiting for one until `deadlineMs` (a
 * nowMs() value; undefined: no limit). While it waits the set counts as unblocked when a
 * process-directed signal looks for a thread (signalProcess). Another signal that runs a handler
 * ends the wait with EINTR (never restarted); the deadline with EAGAIN.
 */
export async function sigtimedwait(t: Thread, set: bigint, deadlineMs: number | undefined): Promise<SigTaken> {
  const want = cleanMask(set);
  for (;;) {
    if (t.killed) throw new ThreadKilled();
    const got = takePending(t, want);
    if (got) return got;
    if (hasDeliverable(t)) {
      if (await handledNow(t)) throw EINTR_ERROR;
      t.clearInterrupt();
      continue;
    }
    if (deadlineMs !== undefined && nowMs() >= deadlineMs) throw EAGAIN_ERROR;
    t.sigwaitSet = want;
    let reason: WakeReason;
    try {
      reason = await waitAny([], deadlineMs === undefined ? { intr: t } : { intr: t, deadlineMs });
    } finally {
      t.sigwaitSet = 0n;
    }
    if (reason === "timeout") {
      const late = takePending(t, want);
      if (late) return late;
      throw EAGAIN_ERROR;
    }
    if (t.takeCancelWake()) throw EINTR_ERROR; // a cancellation point: the libc acts on it
    t.clearInterrupt();
  }
}

/**
 * The wait of ppoll, pselect and epoll_pwait, with `mask` as the thread's signal mask for its
 * duration, atomically as Linux has it: a signal `mask` lets through that is pending at the start
 * (or arrives during the wait) ends the call with EINTR, its handler run with `mask` in effect;
 * then the old mask is back. A signal whose action is to ignore does not end it. The libc used to
 * swap the mask around the wait, so a signal already pending ran its handler before the wait,
 * which then waited out its whole timeout (the race pselect exists to close).
 */
export async function waitWithMask<T>(t: Thread, mask: bigint, wait: () => T | Promise<T>): Promise<T> {
  const old = t.sigmask;
  t.sigmask = cleanMask(mask);
  try {
    for (;;) {
      if (t.killed) throw new ThreadKilled();
      if (hasDeliverable(t)) {
        if (await handledNow(t)) throw EINTR_ERROR;
        t.clearInterrupt();
        continue;
      }
      try {
        return await wait();
      } catch (e) {
        // Interrupted by a signal the mask lets through: delivered above. Anything else (a
        // cancellation wake, a kill, an error of the call) is the call's result.
        if (e !== EINTR_ERROR || !hasDeliverable(t)) throw e;
      }
    }
  } finally {
    t.sigmask = old;
  }
}

/**
 * sigsuspend: atomically replace the mask and wait for a signal; the handlers run with that
 * mask in effect, then the old mask is back and the call fails with EINTR (never restarted).
 */
export function sigsuspend(t: Thread, mask: bigint): Promise<never> {
  return waitWithMask(t, mask, () => untilSignal(t));
}

/**
 * Park until a signal interrupts: EINTR, which waitWithMask delivers. A cancellation wake keeps
 * the interruption pending through clearInterrupt (Thread.armCancelWake): EINTR too, which the
 * call's end consumes.
 */
async function untilSignal(t: Thread): Promise<never> {
  for (;;) {
    await waitAny([], { intr: t });
    t.clearInterrupt();
    if (t.interruptPending || hasDeliverable(t)) throw EINTR_ERROR;
  }
}
