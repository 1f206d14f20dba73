/**
 * wasix_32v1 rows for processes: ids, exit, spawn (posix_spawn), join (waitpid), signals with
 * their default actions. Handlers decode nothing themselves: codecs.ts does, process/spawn.ts
 * does the work.
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { X, XR, type JoinResult, type OptionPid } from "./codecs.ts";
import { Errno, sysErr } from "../errno.ts";
import { ProcessExit } from "../../process/exit.ts";
import { kill, onDefaultAction, selectorOf, spawnProcess, takeSpawnAttrs, waitChild, type FdAction } from "../../process/spawn.ts";
import { setLibcBlocked } from "../../process/signals.ts";
import { Itimer, setItimer } from "../../process/timers.ts";
import type { Thread } from "../../process/thread.ts";
import { rightsFor } from "../wasi/fd.ts";
import { encodeUtf8 } from "../memory.ts";
import { FileType } from "../../fs/types.ts";
import path from "node:path";

/** proc_join's flags: WNOHANG, and WUNTRACED (wasix-libc passes it; a stopped child is reported once). */
const JOIN_NON_BLOCKING = 1;
const JOIN_WAKE_STOPPED = 2;

function proc_id(t: Thread): number {
  return t.process.pid;
}

function proc_parent(t: Thread, pid: number): number {
  const self = t.process;
  if (pid === self.pid || pid === 0) return self.ppid;
  const p = self.kernel.processes.get(pid);
  if (!p) throw sysErr(Errno.SRCH);
  return p.ppid;
}

function proc_exit2(t: Thread, code: number): never {
  t.process.exit({ kind: "exit", code });
  throw new ProcessExit(code);
}

function proc_spawn2(
  t: Thread, name: string, argv: string[], env: string[], fdActions: FdAction[],
  dispositions: Map<number, boolean>, searchPath: number, pathVar: string,
): Promise<number> {
  const attrs = takeSpawnAttrs(t);
  return spawnProcess(t, { name, argv: argv.length > 0 ? argv : [name], env, fdActions, dispositions, searchPath: searchPath !== 0, pathVar, rightsFor, ...attrs });
}

async function proc_join(t: Thread, opt: OptionPid, flags: number): Promise<JoinResult> {
  const r = await waitChild(t, selectorOf(t, opt.pid ?? -1), {
    exited: true, stopped: (flags & JOIN_WAKE_STOPPED) !== 0, continued: false, nohang: (flags & JOIN_NON_BLOCKING) !== 0, keep: false,
  });
  if (!("event" in r)) return { pid: 0, status: undefined };
  const e = r.event;
  // WASIX has no "continued" status; this wait never asks for one.
  return { pid: r.pid, status: e.kind === "ended" ? e.status : e.kind === "stopped" ? { kind: "stopped", signo: e.signo } : undefined };
}

function proc_signal(t: Thread, pid: number, sig: number): void | Promise<void> {
  return kill(t, pid, sig);
}

/**
 * callback_signal: the export the kernel calls with each signal. wasix-libc switches it to
 * "__wasm_signal_blocked" (an export it does not have) to block every signal of the calling
 * thread (__block_all_sigs) and back to "__wasm_signal" (__restore_sigs): the kernel keeps the
 * callback and blocks that thread instead. Inside a delivery the switch is the libc's SIG_DFL
 * path: the kernel applies the default action there (onDefaultAction). Not a blocking row: the
 * libc calls it outside `promising` too (its sigaction, which the kernel runs before _start), so
 * signals the restore unblocks run at the thread's next blocking call or preemption check.
 */
function callback_signal(t: Thread, name: string): void {
  if (name === BLOCKED_CALLBACK) {
    onDefaultAction(t);
    setLibcBlocked(t, true);
    return;
  }
  setLibcBlocked(t, false);
  t.process.signalCallback = name === "" ? undefined : name;
}
const BLOCKED_CALLBACK = "__wasm_signal_blocked";

/** getcwd: the path and its length (without NUL) through the in/out length; EOVERFLOW if it does not fit with its NUL. */
function getcwd(t: Thread, ptr: number, lenPtr: number): void {
  const m = t.process.memory!;
  const max = m.u32(lenPtr);
  const bytes = encodeUtf8(t.process.cwd);
  m.setU32(lenPtr, bytes.byteLength);
  if (bytes.byteLength >= max) throw sysErr(Errno.OVERFLOW);
  m.writeText(ptr, bytes, max);
  m.u8[ptr + bytes.byteLength] = 0;
}

async function chdir(t: Thread, dir: string): Promise<void> {
  const p = t.process;
  const target = path.posix.resolve(p.cwd, dir);
  const f = await t.vfs.openAbsolute(target, { oflags: 0, fdflags: 0, read: true, write: false, followSymlinks: true });
  const isDir = f.filetype === FileType.DIRECTORY;
  await f.release();
  if (!isDir) throw sysErr(Errno.NOTDIR);
  p.cwd = target;
}

/**
 * proc_raise_interval: alarm()/setitimer(ITIMER_REAL) of WASIX binaries: the process's interval
 * timer (process/timers.ts setItimer), once after `interval` or every `interval` (`repeat`); 0
 * cancels it. The signal goes through signalProcess as kill's does, so a handler runs when the
 * process next leaves the kernel and a blocked call is interrupted.
 */
function proc_raise_interval(t: Thread, sig: number, interval: bigint, repeat: number): void {
  if (sig < 1 || sig > 64) throw sysErr(Errno.INVAL);
  setItimer(t.process, Itimer.REAL, interval, repeat ? interval : 0n, sig);
}

const B = { blocking: true } as const;

export const procRows: readonly SyscallRow[] = [
  row("proc_id", [], XR.u32, proc_id),
  row("proc_parent", [X.i32], XR.u32, proc_parent),
  row("proc_exit2", [X.u32], R.none, proc_exit2, { noreturn: true }),
  row("proc_spawn2", [X.str, X.lines, X.lines, X.fdOps, X.dispositions, X.u32, X.str], XR.u32, proc_spawn2, {
    ...B, note: "posix_spawn(p): PATH search, argv/envp, file actions, signal defaults; process group and signal mask from occlum.spawn_attrs",
  }),
  row("proc_join", [X.optionPid, X.u32], XR.join, proc_join, { ...B, note: "waitpid: one pid, any child, 0 = own group, < -1 = group (the pid is signed); WNOHANG; WAKE_STOPPED reports a stopped child once (no continued status in WASIX: occlum-cc's waitpid uses occlum.waitpid); restarted under SA_RESTART" }),
  row("proc_signal", [X.i32, X.u32], R.none, proc_signal, { ...B, note: "kill(pid, -pgid, 0, -1); a signal to the caller runs its handler, or stops it, before kill returns; stop signals and SIGCONT as Linux (job control)" }),
  row("proc_raise_interval", [X.u32, A.u64, X.u32], R.none, proc_raise_interval, { note: "alarm/setitimer(ITIMER_REAL): the process's interval timer (interval in ns, ms resolution); occlum-cc's setitimer uses occlum.setitimer (sdk/libc/itimer.c)" }),
  row("proc_signals_sizes_get", [], XR.u32, () => 0, { note: "no host-provided dispositions" }),
  row("proc_signals_get", [X.u32], R.none, () => undefined),
  row("getcwd", [X.u32, X.u32], R.none, getcwd, { note: "the process's cwd (chdir, spawn's chdir action)" }),
  row("chdir", [X.str], R.none, chdir, { ...B, note: "sets the cwd spawn and getcwd use; path calls still resolve from the preopen" }),
  row("callback_signal", [X.str], R.none, callback_signal, { note: "the export is called with the signal number when the process next leaves the kernel; \"__wasm_signal_blocked\" blocks the caller's signals until the next call" }),
];
