/**
 * Process life cycle services: spawn (posix_spawn semantics, with the process group and signal
 * mask of its attributes), wait (wait4, by pid or group), exit bookkeeping (zombies, re-parenting
 * of orphans) and kill. Signal delivery, masks and default actions: signals.ts; process groups
 * and sessions: session.ts.
 *
 * A child is its own WebAssembly instance and memory, started from the compile cache (keyed on
 * the program's content hash), with a copy of its parent's fd table (FD_CLOEXEC fds left out)
 * on which the spawn's file actions then run in order. It runs as an independent coroutine; when
 * it ends its fds are closed (readers of its pipes see EOF) and it stays a zombie, visible in
 * procfs, until its parent waits for it. Orphans go to init (pid 1) while it lives; with no init
 * left the kernel reaps them itself.
 */
import path from "node:path";
import { Errno, SysError, sysErr } from "../syscall/errno.ts";
import { FileType, type OpenFile } from "../fs/types.ts";
import { compileProgram, readProgram, ExecFormatError } from "../loader/loader.ts";
import { Process } from "./process.ts";
import { runProcess } from "./run.ts";
import type { Thread } from "./thread.ts";
import { cleanMask, MAX_QUEUED, SIGCHLD, SigCode, signalProcess, type SigInfo } from "./signals.ts";
import { isOutOfMemory, releaseMemory, reserveMemory } from "./user-memory.ts";
import { holdIfStopped } from "./job-control.ts";
import { inheritRlimits } from "./rlimits.ts";
import { clearTimers } from "./timers.ts";
import { parentDied } from "./pdeath.ts";
import { checkGroup, hangUpOrphaned } from "./session.ts";

// Signal services live in signals.ts, waits in wait.ts; these names are re-exported for the syscall layer.
export { DefaultIgnored, deliverSignals, initGuestSignals, onDefaultAction, SIGCHLD, signalProcess } from "./signals.ts";
export { selectorOf, waitChild, type WaitFor, type WaitResult } from "./wait.ts";

export const SpawnFdOp = { CLOSE: 0, DUP2: 1, OPEN: 2, CHDIR: 3, FCHDIR: 4 } as const;

export interface FdAction {
  cmd: number;
  fd: number;
  srcFd: number;
  path: string;
  dirflags: number;
  oflags: number;
  rightsBase: number;
  rightsInheriting: number;
  fdflags: number;
}

export interface SpawnRequest {
  name: string;
  argv: string[];
  env: string[];
  /** posix_spawnp: search `pathVar` when `name` has no slash. */
  searchPath: boolean;
  pathVar: string;
  fdActions: readonly FdAction[];
  /** Signal dispositions for the child: signo → ignore (true) or default (false). */
  dispositions: ReadonlyMap<number, boolean>;
  /** Rights an opened file gets at most (the syscall layer knows the ABI's rights). */
  rightsFor: (f: OpenFile) => number;
  /** POSIX_SPAWN_SETPGROUP: the child's group (0: a new group led by the child); absent: the parent's. */
  pgroup?: number;
  /** POSIX_SPAWN_SETSIGMASK: the child's mask; absent: the calling thread's (as across execve). */
  sigmask?: bigint;
  /** POSIX_SPAWN_SETSID: the child leads a new session (and group); absent: the parent's session. */
  setsid?: boolean;
}

const NOENT = new Set<number>([Errno.NOENT, Errno.NOTDIR]);

/** posix_spawn's attribute flags the kernel applies (musl's values). */
export const SpawnFlag = { SETPGROUP: 2, SETSIGMASK: 8, SETSID: 0x80 } as const;
export interface SpawnAttrs {
  flags: number;
  pgroup: number;
  mask: bigint;
}
/**
 * Attributes for a thread's next proc_spawn2 (WASIX's call has no place for them): the libc's
 * posix_spawn wrapper (sdk/libc/pgroup.c) sets them through occlum.spawn_attrs just before.
 */
export const spawnAttrs = new WeakMap<Thread, SpawnAttrs>();

/** Take the thread's pending spawn attributes as SpawnRequest fields. */
export function takeSpawnAttrs(t: Thread): { pgroup?: number; sigmask?: bigint; setsid?: boolean } {
  const a = spawnAttrs.get(t);
  if (!a) return {};
  spawnAttrs.delete(t);
  if (a.pgroup < 0 && (a.flags & SpawnFlag.SETPGROUP) !== 0) throw sysErr(Errno.INVAL);
  return {
    ...((a.flags & SpawnFlag.SETPGROUP) !== 0 ? { pgroup: a.pgroup } : {}),
    ...((a.flags & SpawnFlag.SETSIGMASK) !== 0 ? { sigmask: a.mask } : {}),
    ...((a.flags & SpawnFlag.SETSID) !== 0 ? { setsid: true } : {}),
  };
}

/** Find and read the program: a path with a slash is taken as is (relative to cwd), else PATH. */
async function loadExe(parent: Process, req: SpawnRequest): Promise<{ exe: string; execPath: string; bytes: Uint8Array }> {
  const candidates: string[] = [];
  if (req.name === "") throw sysErr(Errno.NOENT);
  if (req.name.includes("/") || !req.searchPath) {
    candidates.push(path.posix.resolve(parent.cwd, req.name));
  } else {
    for (const dir of req.pathVar.split(":")) candidates.push(path.posix.resolve(parent.cwd, dir === "" ? "." : dir, req.name));
  }
  let firstOther: unknown;
  for (const exe of candidates) {
    try {
      const { bytes, path: real } = await readProgram(parent.vfs, exe);
      return { exe: real, execPath: exe, bytes };
    } catch (e) {
      if (e instanceof SysError && NOENT.has(e.errno)) continue;
      firstOther ??= e;
    }
  }
  throw firstOther ?? sysErr(Errno.NOENT);
}

/** posix_spawn: returns the child's pid once it is set up (it then runs on its own). */
export async function spawnProcess(t: Thread, req: SpawnRequest): Promise<number> {
  const parent = t.process;
  const kernel = parent.kernel;
  // glibc's and musl's child calls setsid before setpgid: a session leader cannot change group.
  if (req.setsid && req.pgroup !== undefined) throw sysErr(Errno.PERM);
  if (req.pgroup !== undefined && req.pgroup !== 0) checkGroup(parent, req.pgroup);
  const { exe, execPath, bytes } = await loadExe(parent, req);
  let program;
  try {
    program = await compileProgram(bytes);
  } catch (e) {
    if (e instanceof ExecFormatError) throw sysErr(Errno.NOEXEC, e.message);
    throw e;
  }
  const pid = kernel.processes.allocPid();
  const pgid = req.setsid || req.pgroup === 0 ? pid : (req.pgroup ?? parent.pgid);
  const sid = req.setsid ? pid : parent.sid;
  const child = new Process(kernel, { pid, ppid: parent.pid, pgid, sid, exe, execPath, argv: req.argv, env: req.env, cwd: parent.cwd });
  child.initialSigmask = cleanMask(req.sigmask ?? t.sigmask);
  child.spawner = t; // its parent-death signal comes when this thread ends (pdeath.ts)
  // The child's initial memory is reserved now, so running out fails the spawn (ENOMEM).
  try {
    reserveMemory(child, program.imports);
  } catch (e) {
    if (isOutOfMemory(e)) throw sysErr(Errno.NOMEM, e.message);
    throw e;
  }
  child.fds.inheritFrom(parent.fds);
  inheritRlimits(child, parent);
  for (const s of parent.ignored) child.ignored.add(s);
  try {
    for (const a of req.fdActions) await applyFdAction(child, a, req);
    await child.fds.closeOnExec();
  } catch (e) {
    await child.fds.closeAll();
    releaseMemory(child);
    throw e;
  }
  for (const [sig, ignore] of req.dispositions) {
    if (ignore) child.ignored.add(sig);
    else child.ignored.delete(sig);
  }
  kernel.processes.add(child);
  child.parent = parent;
  parent.children.add(child);
  child.done = runProcess(child, program).then((r) => {
    if (r.trap) kernel.log.warn(`pid ${child.pid} (${exe}) killed by signal ${r.status.kind === "signal" ? r.status.signo : 0}: ${r.trap.message}${r.trap.func ? ` in ${r.trap.func}` : ""}`);
  }, (e: unknown) => kernel.log.error(`pid ${child.pid}: ${(e as Error)?.stack ?? String(e)}`));
  return pid;
}

async function applyFdAction(child: Process, a: FdAction, req: SpawnRequest): Promise<void> {
  switch (a.cmd) {
    case SpawnFdOp.CLOSE:
      // musl's child ignores close errors (closing a closed fd is no failure of the spawn).
      if (child.fds.has(a.fd)) await child.fds.close(a.fd);
      return;
    case SpawnFdOp.DUP2:
      // posix_spawn: adddup2(fd, fd) clears FD_CLOEXEC so the fd survives the exec.
      if (a.srcFd === a.fd) child.fds.get(a.fd).cloexec = false;
      else await child.fds.duplicateTo(a.srcFd, a.fd);
      return;
    case SpawnFdOp.OPEN: {
      const p = path.posix.resolve(child.cwd, a.path);
      const read = (a.rightsBase & (1 << 1)) !== 0 || a.rightsBase === 0;
      const write = (a.rightsBase & (1 << 6)) !== 0;
      const file = await child.vfs.openAbsolute(p, { oflags: a.oflags, fdflags: a.fdflags, read, write, followSymlinks: (a.dirflags & 1) !== 0 });
      try {
        const rights = req.rightsFor(file);
        // The table's reference is the only one (as path_open's insert).
        await child.fds.installAt(a.fd, file, (a.rightsBase || rights) & rights, a.rightsInheriting || rights);
      } catch (e) {
        await file.release();
        throw e;
      }
      return;
    }
    case SpawnFdOp.CHDIR: {
      const p = path.posix.resolve(child.cwd, a.path);
      const d = await child.vfs.openAbsolute(p, { oflags: 0, fdflags: 0, read: true, write: false, followSymlinks: true });
      const isDir = d.filetype === FileType.DIRECTORY;
      await d.release();
      if (!isDir) throw sysErr(Errno.NOTDIR);
      child.cwd = p;
      return;
    }
    case SpawnFdOp.FCHDIR: {
      const f = child.fds.get(a.srcFd).file;
      if (f.filetype !== FileType.DIRECTORY || !f.path) throw sysErr(Errno.NOTDIR);
      child.cwd = f.path;
      return;
    }
    default:
      throw sysErr(Errno.INVAL);
  }
}

/**
 * The end of a process (called by the runner once its fds are closed): a zombie for its parent
 * (SIGCHLD), its children to init, and the groups that leaves orphaned hung up (session.ts).
 */
export function finishProcess(p: Process): void {
  const table = p.kernel.processes;
  p.zombie = true;
  clearTimers(p);
  parentDied(p);
  const init = table.get(1);
  const heir = init && init !== p && !init.zombie ? init : undefined;
  const children = [...p.children];
  for (const c of children) {
    c.parent = heir;
    c.ppid = heir?.pid ?? 0;
    if (heir) heir.children.add(c);
    else if (c.zombie) table.remove(c.pid);
  }
  p.children.clear();
  if (heir && [...heir.children].some((c) => c.zombie)) heir.childEvents.notifyAll();
  hangUpOrphaned(p, children);
  const parent = p.parent;
  if (parent && !parent.zombie) {
    if (parent.ignored.has(SIGCHLD)) {
      // SIGCHLD set to SIG_IGN: children are reaped at once (POSIX), wait4 then sees ECHILD.
      parent.children.delete(p);
      table.remove(p.pid);
    }
    parent.childEvents.notifyAll();
    signalProcess(parent, SIGCHLD, undefined, childInfo(p));
  } else {
    table.remove(p.pid);
  }
}

/** SIGCHLD's siginfo for a child that ended: how, its pid, its exit code or signal. */
function childInfo(c: Process): SigInfo {
  const s = c.status ?? { kind: "exit", code: 0 };
  return s.kind === "exit" ? { code: SigCode.CLD_EXITED, pid: c.pid, status: s.code } : { code: SigCode.CLD_KILLED, pid: c.pid, status: s.signo };
}

/**
 * sigqueue(): `signo` with a value to one process (SI_QUEUE, the sender's pid); a real-time signal
 * queues beside earlier instances, EAGAIN past MAX_QUEUED. Signal 0 only checks the pid. A stop of
 * the caller's own process parks it before the call returns (job-control.ts).
 */
export function sigqueue(t: Thread, pid: number, signo: number, value: number): void | Promise<void> {
  if (signo < 0 || signo > 64) throw sysErr(Errno.INVAL);
  const p = pid > 0 ? t.process.kernel.processes.get(pid) : undefined;
  if (!p || p.zombie) throw sysErr(Errno.SRCH);
  if (signo === 0) return;
  if (signo >= 32 && p.pendingSignals.length >= MAX_QUEUED) throw sysErr(Errno.AGAIN, "signal queue full");
  signalProcess(p, signo, undefined, { code: SigCode.QUEUE, pid: t.process.pid, status: 0, value });
  return holdIfStopped(t);
}

/**
 * rt_tgsigqueueinfo (pthread_sigqueue): a signal with a value to one thread of the caller's
 * process, as sigqueue's to a process; ESRCH for a thread that is not one of them.
 */
export function tgsigqueue(t: Thread, tid: number, signo: number, value: number): void | Promise<void> {
  if (signo < 0 || signo > 64) throw sysErr(Errno.INVAL);
  const p = t.process;
  let target: Thread | undefined;
  for (const x of p.threads) if (x.tid === tid && !x.killed) target = x;
  if (!target) throw sysErr(Errno.SRCH);
  if (signo === 0) return;
  if (signo >= 32 && p.pendingSignals.length >= MAX_QUEUED) throw sysErr(Errno.AGAIN, "signal queue full");
  signalProcess(p, signo, target, { code: SigCode.QUEUE, pid: p.pid, status: 0, value });
  return holdIfStopped(t);
}

/**
 * kill(): pid > 0 one process, 0 the caller's group, -1 everyone but init and the caller, < -1 a
 * group. A stop of the caller's own process parks it before the call returns, as Linux stops it
 * on its way back to user space.
 */
export function kill(t: Thread, pid: number, signo: number): void | Promise<void> {
  if (signo < 0 || signo > 64) throw sysErr(Errno.INVAL);
  const table = t.process.kernel.processes;
  let targets: Process[];
  if (pid > 0) {
    const p = table.get(pid);
    if (!p || p.zombie) throw sysErr(Errno.SRCH);
    targets = [p];
  } else {
    const all = table.pids().map((n) => table.get(n)!).filter((p) => !p.zombie);
    const group = pid === 0 ? t.process.pgid : -pid;
    targets = pid === -1 ? all.filter((p) => p.pid !== 1 && p !== t.process) : all.filter((p) => p.pgid === group);
    if (targets.length === 0) throw sysErr(Errno.SRCH);
  }
  // The caller last: killing itself unwinds it, after the others got the signal.
  const info: SigInfo = { code: SigCode.USER, pid: t.process.pid, status: 0 };
  for (const p of targets) if (p !== t.process) signalProcess(p, signo, undefined, info);
  if (targets.includes(t.process)) signalProcess(t.process, signo, undefined, info);
  return holdIfStopped(t);
}

/** Kill every process still running in a kernel and wait for them (the app's main exited). */
export async function killAll(procs: Iterable<Process>): Promise<void> {
  const running = [...procs].filter((p) => !p.zombie);
  for (const p of running) p.exit({ kind: "signal", signo: 9 });
  await Promise.all(running.map((p) => p.done));
}
