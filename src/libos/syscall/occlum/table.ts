/**
 * The `occlum` import module: our own calls, for what neither WASI nor WASIX has. occlum-cc links
 * small libc overrides (sdk/libc/signals.c, sdk/libc/pgroup.c) that make them, so ordinary POSIX
 * programs get kernel-enforced signal masks, SA_RESTART, sigsuspend, process groups and
 * sessions. Same row format as the other tables; the loader's own instrumentation imports
 * (yield_check, futex_*, memory_grow) share the module name and are not rows.
 *
 * Signal sets are u64 values, bit sig-1 (the first 8 bytes of musl's sigset_t).
 */
import { A, R, type ArgCodec, type RetCodec } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import type { Thread } from "../../process/thread.ts";
import { deliveringNow, setSigAction, sigpending, sigprocmask, sigsuspend, sigtimedwait, type SigInfo, type SigTaken } from "../../process/signals.ts";
import { nowMs } from "../../sched/clock.ts";
import { Errno, sysErr } from "../errno.ts";
import { sigqueue, spawnAttrs, tgsigqueue } from "../../process/spawn.ts";
import { getpgid, getsid, setpgid, setsid } from "../../process/session.ts";
import { occlumSockRows } from "./sock-rows.ts";
import { occlumPollRows } from "./poll-rows.ts";
import { occlumLockRows } from "./lock-rows.ts";
import { occlumFutexRows } from "./futex-rows.ts";
import { occlumSchedRows } from "./sched-rows.ts";
import { occlumThreadNameRows } from "./thread-name-rows.ts";
import { occlumResourceRows } from "./resource-rows.ts";
import { occlumTimerRows } from "./timer-rows.ts";
import { occlumTimerfdRows } from "./timerfd-rows.ts";
import { occlumSignalfdRows } from "./signalfd-rows.ts";
import { occlumPdeathRows } from "./pdeath-rows.ts";
import { occlumRootRows } from "./root-rows.ts";
import { occlumWaitRows } from "./wait-rows.ts";
import { occlumSysinfoRows } from "./sysinfo-rows.ts";
import { occlumMqueueRows } from "./mqueue-rows.ts";

export const OCCLUM_MODULE = "occlum";

const i32: ArgCodec<number> = { kind: "i32", wasm: ["i32"], decode: (_m, p, i) => (p[i] as number) | 0, show: (v) => String(v) };
const signoOut: RetCodec<number> = { kind: "signo", wasm: ["i32"], encode: (m, p, i, v) => m.setU32((p[i] as number) >>> 0, v), show: (v) => String(v) };
const pidOut: RetCodec<number> = { kind: "pid", wasm: ["i32"], encode: (m, p, i, v) => m.setU32((p[i] as number) >>> 0, v), show: (v) => String(v) };
const sigset: ArgCodec<bigint> = { ...A.u64, kind: "sigset", show: (v) => showSet(v) };
const sigsetOut: RetCodec<bigint> = { ...R.u64, kind: "sigset", show: (v) => showSet(v) };

function showSet(v: bigint): string {
  const out: number[] = [];
  for (let s = 1; s <= 64; s++) if ((v >> BigInt(s - 1)) & 1n) out.push(s);
  return `{${out.join(",")}}`;
}

/** sigaction(sig, kind 0 default / 1 ignore / 2 handler, sa_flags, sa_mask): after the libc installed it. */
function occlum_sigaction(t: Thread, sig: number, kind: number, flags: number, mask: bigint): void {
  setSigAction(t, sig, { kind, flags, mask });
}

/** sigprocmask(how, set, has_set) -> old mask; an unblocked pending signal runs before it returns. */
function occlum_sigprocmask(t: Thread, how: number, set: bigint, hasSet: number): bigint | Promise<bigint> {
  return sigprocmask(t, how, hasSet !== 0 ? set : undefined);
}

function occlum_sigpending(t: Thread): bigint {
  return sigpending(t);
}

function occlum_sigsuspend(t: Thread, mask: bigint): Promise<never> {
  return sigsuspend(t, mask);
}

/** A wait without a limit: timeouts at or past 2^63 ns (a negative i64), as the other waits'. */
const NO_TIMEOUT = 1n << 63n;

/** sigtimedwait(set, timeout_ns) -> signo: take a pending signal of `set`, waiting up to the timeout. */
async function occlum_sigtimedwait(t: Thread, set: bigint, timeoutNs: bigint): Promise<number> {
  return (await takeSignal(t, set, timeoutNs)).signo;
}

function takeSignal(t: Thread, set: bigint, timeoutNs: bigint): Promise<SigTaken> {
  const ns = BigInt.asUintN(64, timeoutNs);
  return sigtimedwait(t, set, ns >= NO_TIMEOUT ? undefined : nowMs() + Number(ns) / 1e6);
}

/**
 * sigtimedwait_v2(set, timeout_ns, info) -> signo: sigtimedwait that also writes how the signal
 * was sent at `info`: four i32, si_code, si_pid, si_status and si_value (process/signals.ts SigInfo).
 */
async function occlum_sigtimedwait_v2(t: Thread, set: bigint, timeoutNs: bigint, infoPtr: number): Promise<number> {
  const { signo, info } = await takeSignal(t, set, timeoutNs);
  writeSigInfo(t, infoPtr, info);
  return signo;
}

/**
 * siginfo(info) -> signo: inside a signal's callback (an SA_SIGINFO handler), the signal and how it
 * was sent, as sigtimedwait_v2 writes it; EINVAL outside one.
 */
function occlum_siginfo(t: Thread, infoPtr: number): number {
  const d = deliveringNow(t);
  if (!d) throw sysErr(Errno.INVAL, "not running a signal handler");
  writeSigInfo(t, infoPtr, d.info);
  return d.signo;
}

/** si_code, si_pid, si_status, si_value as four i32 at `ptr`. */
function writeSigInfo(t: Thread, ptr: number, info: SigInfo): void {
  const m = t.process.memory!;
  m.refresh();
  m.check(ptr, 16);
  m.dv.setInt32(ptr, info.code, true);
  m.dv.setInt32(ptr + 4, info.pid, true);
  m.dv.setInt32(ptr + 8, info.status, true);
  m.dv.setInt32(ptr + 12, info.value ?? 0, true);
}

/** sigqueue(pid, sig, value): the signal with a value (SI_QUEUE) to one process. */
function occlum_sigqueue(t: Thread, pid: number, sig: number, value: number): void | Promise<void> {
  return sigqueue(t, pid, sig, value);
}

function occlum_tgsigqueue(t: Thread, tid: number, sig: number, value: number): void | Promise<void> {
  return tgsigqueue(t, tid, sig, value);
}

/** spawn_attrs(flags, pgroup, sigmask): posix_spawn's attributes for this thread's next proc_spawn2. */
function occlum_spawn_attrs(t: Thread, flags: number, pgroup: number, mask: bigint): void {
  spawnAttrs.set(t, { flags, pgroup, mask });
}

function occlum_getpgid(t: Thread, pid: number): number {
  return getpgid(t, pid);
}

function occlum_setpgid(t: Thread, pid: number, pgid: number): void {
  setpgid(t, pid, pgid);
}

function occlum_getsid(t: Thread, pid: number): number {
  return getsid(t, pid);
}

function occlum_setsid(t: Thread): number {
  return setsid(t);
}

const B = { blocking: true } as const;

/** Rows by import name (the handlers carry an `occlum_` prefix so strace and stacks say whose they are). */
export const occlumTable: readonly SyscallRow[] = [
  row("sigaction", [A.u32, A.u32, A.u32, sigset], R.none, occlum_sigaction, { note: "tells the kernel a disposition the libc installed: handler/ignore/default, SA_RESTART, SA_NODEFER, sa_mask" }),
  row("sigprocmask", [A.u32, sigset, A.u32], sigsetOut, occlum_sigprocmask, { ...B, note: "the calling thread's mask (SIG_BLOCK 0, SIG_UNBLOCK 1, SIG_SETMASK 2); SIGKILL/SIGSTOP dropped; an unblocked pending signal is delivered before it returns" }),
  row("sigpending", [], sigsetOut, occlum_sigpending, { note: "pending signals the calling thread blocks" }),
  row("sigsuspend", [sigset], R.none, occlum_sigsuspend, { ...B, note: "waits with the given mask until a handler ran; always EINTR, the old mask restored" }),
  row("sigtimedwait", [sigset, A.u64], signoOut, occlum_sigtimedwait, { ...B, note: "takes a pending signal of the set (lowest first) without its handler; EAGAIN past the timeout (ns, >= 2^63: none), EINTR when another signal's handler ran" }),
  row("sigtimedwait_v2", [sigset, A.u64, A.u32], signoOut, occlum_sigtimedwait_v2, { ...B, note: "sigtimedwait that also writes si_code, si_pid, si_status, si_value (4 x i32) at its third argument" }),
  row("siginfo", [A.u32], signoOut, occlum_siginfo, { note: "in a signal's callback: the signal, and si_code, si_pid, si_status, si_value (4 x i32) at its argument; EINVAL outside one" }),
  row("tgsigqueue", [i32, i32, i32], R.none, occlum_tgsigqueue, { ...B, note: "pthread_sigqueue: the signal with a value (SI_QUEUE) to one thread of the caller's process; ESRCH, EINVAL as Linux" }),
  row("sigqueue", [i32, i32, i32], R.none, occlum_sigqueue, { ...B, note: "the signal with a value (SI_QUEUE) to one process; real-time signals queue (EAGAIN past 4096 pending); ESRCH, EINVAL as Linux; to the caller: its handler runs, or it stops, before the call returns" }),
  row("spawn_attrs", [A.u32, i32, sigset], R.none, occlum_spawn_attrs, { note: "posix_spawn attributes (POSIX_SPAWN_SETPGROUP, POSIX_SPAWN_SETSID, POSIX_SPAWN_SETSIGMASK) for the thread's next proc_spawn2; SETSID with SETPGROUP fails the spawn with EPERM, as glibc and musl" }),
  row("getpgid", [i32], pidOut, occlum_getpgid, { note: "0 = the caller; ESRCH for an unknown pid" }),
  row("setpgid", [i32, i32], R.none, occlum_setpgid, { note: "the caller or a child (ESRCH); pgid 0 = the target's pid; EINVAL for pgid < 0; EPERM for a child of another session, a session leader, a group with no process in the caller's session" }),
  row("getsid", [i32], pidOut, occlum_getsid, { note: "0 = the caller; ESRCH for an unknown pid" }),
  row("setsid", [], pidOut, occlum_setsid, { note: "a new session and group led by the caller (ids = its pid), returned; EPERM for a group leader or when its pid names a group" }),
  ...occlumSockRows,
  ...occlumPollRows,
  ...occlumLockRows,
  ...occlumFutexRows,
  ...occlumSchedRows,
  ...occlumThreadNameRows,
  ...occlumResourceRows,
  ...occlumTimerRows,
  ...occlumTimerfdRows,
  ...occlumSignalfdRows,
  ...occlumPdeathRows,
  ...occlumRootRows,
  ...occlumWaitRows,
  ...occlumSysinfoRows,
  ...occlumMqueueRows,
];

export const occlumRows: ReadonlyMap<string, SyscallRow> = new Map(occlumTable.map((r) => [r.name, r]));
