/**
 * Process life cycle services: spawn (posix_spawn semantics), wait (wait4), exit bookkeeping
 * (zombies, re-parenting of orphans) and signals with their default actions.
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
import { compileProgram, readProgramFile, ExecFormatError } from "../loader/loader.ts";
import { Process } from "./process.ts";
import { runProcess } from "./run.ts";
import type { ExitStatus } from "./exit.ts";
import type { Thread } from "./thread.ts";
import { Wasm } from "../wasm.ts";
import { ThreadKilled } from "./exit.ts";
import { isOutOfMemory, releaseMemory, reserveMemory } from "./user-memory.ts";

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
}

const NOENT = new Set<number>([Errno.NOENT, Errno.NOTDIR]);

/** Find and read the program: a path with a slash is taken as is (relative to cwd), else PATH. */
async function loadExe(parent: Process, req: SpawnRequest): Promise<{ exe: string; bytes: Uint8Array }> {
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
      return { exe, bytes: await readProgramFile(parent.vfs, exe) };
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
  const { exe, bytes } = await loadExe(parent, req);
  let program;
  try {
    program = await compileProgram(bytes);
  } catch (e) {
    if (e instanceof ExecFormatError) throw sysErr(Errno.NOEXEC, e.message);
    throw e;
  }
  const pid = kernel.processes.allocPid();
  const child = new Process(kernel, { pid, ppid: parent.pid, pgid: parent.pgid, exe, argv: req.argv, env: req.env, cwd: parent.cwd });
  // The child's initial memory is reserved now, so running out fails the spawn (ENOMEM).
  try {
    reserveMemory(child, program.imports);
  } catch (e) {
    if (isOutOfMemory(e)) throw sysErr(Errno.NOMEM, e.message);
    throw e;
  }
  child.fds.inheritFrom(parent.fds);
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

/** The end of a process (called by the runner once its fds are closed). */
export function finishProcess(p: Process): void {
  const table = p.kernel.processes;
  p.zombie = true;
  if (p.intervalTimer !== undefined) {
    clearTimeout(p.intervalTimer);
    clearInterval(p.intervalTimer);
    p.intervalTimer = undefined;
  }
  const init = table.get(1);
  const heir = init && init !== p && !init.zombie ? init : undefined;
  for (const c of p.children) {
    c.parent = heir;
    c.ppid = heir?.pid ?? 0;
    if (heir) heir.children.add(c);
    else if (c.zombie) table.remove(c.pid);
  }
  p.children.clear();
  if (heir && [...heir.children].some((c) => c.zombie)) heir.childEvents.notifyAll();
  const parent = p.parent;
  if (parent && !parent.zombie) {
    if (parent.ignored.has(SIGCHLD)) {
      // SIGCHLD set to SIG_IGN: children are reaped at once (POSIX), wait4 then sees ECHILD.
      parent.children.delete(p);
      table.remove(p.pid);
    }
    parent.childEvents.notifyAll();
    signalProcess(parent, SIGCHLD);
  } else {
    table.remove(p.pid);
  }
}

export const SIGCHLD = 17;

/** Which children a wait selects: pid > 0 that one, -1 any, 0 the caller's group, < -1 group -pid. */
function selects(parent: Process, c: Process, pid: number): boolean {
  if (pid > 0) return c.pid === pid;
  if (pid === -1) return true;
  if (pid === 0) return c.pgid === parent.pgid;
  return c.pgid === -pid;
}

export type WaitResult = { pid: 0 } | { pid: number; status: ExitStatus };

/** wait4: reap a zombie child matching `pid`; nohang returns pid 0 when none is ready. */
export async function waitChild(t: Thread, pid: number, nohang: boolean): Promise<WaitResult> {
  const parent = t.process;
  for (;;) {
    let any = false;
    for (const c of parent.children) {
      if (!selects(parent, c, pid)) continue;
      any = true;
      if (c.zombie) {
        parent.children.delete(c);
        parent.kernel.processes.remove(c.pid);
        return { pid: c.pid, status: c.status ?? { kind: "exit", code: 0 } };
      }
    }
    if (!any) throw sysErr(Errno.CHILD);
    if (nohang) return { pid: 0 };
    const reason = await parent.childEvents.wait({ intr: t });
    if (reason === "interrupted") throw sysErr(Errno.INTR);
  }
}

/** Signals whose default action is to do nothing. */
const DEFAULT_IGNORE = new Set([17, 18, 23, 28]); // CHLD, CONT, URG, WINCH
const STOPS = new Set([19, 20, 21, 22]);

/**
 * Send a signal. SIGKILL (and SIGSTOP, lacking job control) act at once. A guest that registered
 * a signal callback (wasix-libc does at start) gets every other signal through it: the libc holds
 * the dispositions (handler, SIG_IGN, SIG_DFL → its default action). The callback runs when the
 * target next returns from the kernel; a thread blocked in the kernel is interrupted (EINTR).
 * Without a callback, the default action applies here.
 */
export function signalProcess(p: Process, signo: number): void {
  if (signo === 0 || p.zombie || p.status) return;
  if (signo === 9) return p.exit({ kind: "signal", signo });
  if (p.ignored.has(signo)) return;
  if (p.signalCallback && typeof p.exports?.[p.signalCallback] === "function") {
    if (!p.pendingSignals.includes(signo)) p.pendingSignals.push(signo); // standard signals do not queue
    // A signal ignored by default does not interrupt a blocked call (no spurious EINTR for a
    // SIGCHLD nobody handles); a handler for it runs at the next return from a blocking call.
    if (!DEFAULT_IGNORE.has(signo)) for (const t of p.threads) t.interrupt();
    return;
  }
  if (DEFAULT_IGNORE.has(signo) || STOPS.has(signo)) return;
  p.exit({ kind: "signal", signo });
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
    if (sig === 9 || sig === 19) continue;
    set(sig, p.ignored.has(sig) ? 1 : 0);
  }
}

/**
 * Run the guest's callback for each pending signal (dispatch calls this on the way out of a
 * blocking call). The callback runs on its own JSPI stack (`promising`), so a handler, or the
 * libc's default action, may itself make blocking calls; the returned promise settles when all
 * pending signals ran. undefined: nothing to run.
 */
export function deliverSignals(t: Thread): Promise<void> | undefined {
  const p = t.process;
  const name = p.signalCallback;
  const cb = name ? p.exports?.[name] : undefined;
  if (typeof cb !== "function") {
    p.pendingSignals.length = 0;
    return undefined;
  }
  let run = p.signalRunners.get(name!);
  if (!run) {
    run = Wasm.promising(cb as (sig: number) => unknown) as (sig: number) => Promise<unknown>;
    p.signalRunners.set(name!, run);
  }
  const runner = run;
  const next = (): Promise<void> | undefined => {
    const s = p.pendingSignals.shift();
    if (s === undefined || t.killed) return undefined;
    p.delivering = s;
    return runner(s).then(
      () => {
        p.delivering = undefined;
        return next();
      },
      (e: unknown) => {
        p.delivering = undefined;
        if (!(e instanceof DefaultIgnored)) throw e;
        p.signalCallback = name; // the libc's routine was cut short before it restored this
        return next();
      },
    );
  };
  return next();
}

/** Thrown through the libc's default-action routine for a signal whose default is to ignore. */
export class DefaultIgnored extends Error {}

/**
 * wasix-libc's `__wasm_signal` switches its callback to "__wasm_signal_blocked" only on its
 * SIG_DFL path, right before its default routine (which prints a message and aborts, for every
 * signal). The kernel applies Linux's default action there instead: ignore (CHLD, CONT, URG,
 * WINCH) or terminate with the signal as the wait status.
 */
export function onDefaultAction(t: Thread): void {
  const p = t.process;
  const s = p.delivering;
  if (s === undefined) return;
  if (DEFAULT_IGNORE.has(s) || STOPS.has(s)) throw new DefaultIgnored();
  p.exit({ kind: "signal", signo: s });
  throw new ThreadKilled();
}

/** kill(): pid > 0 one process, 0 the caller's group, -1 everyone but init and the caller, < -1 a group. */
export function kill(t: Thread, pid: number, signo: number): void {
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
  for (const p of targets) if (p !== t.process) signalProcess(p, signo);
  if (targets.includes(t.process)) signalProcess(t.process, signo);
}

/** setpgid(pid, pgid): the caller or one of its children. */
export function setpgid(t: Thread, pid: number, pgid: number): void {
  const self = t.process;
  const target = pid === 0 || pid === self.pid ? self : self.kernel.processes.get(pid);
  if (!target || (target !== self && target.parent !== self)) throw sysErr(Errno.SRCH);
  if (pgid < 0) throw sysErr(Errno.INVAL);
  target.pgid = pgid === 0 ? target.pid : pgid;
}

/** Kill every process still running in a kernel and wait for them (the app's main exited). */
export async function killAll(procs: Iterable<Process>): Promise<void> {
  const running = [...procs].filter((p) => !p.zombie);
  for (const p of running) p.exit({ kind: "signal", signo: 9 });
  await Promise.all(running.map((p) => p.done));
}
