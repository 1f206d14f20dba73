/**
 * Starting and running a process: create it with its fds (stdio at 0-2, the root preopen "/" at
 * 3, moved out of the fd numbers for a libc that asks: fd-table.ts ROOT_DIRFD), instantiate its
 * program with the thread's import object, run `_start` as a JSPI coroutine,
 * and turn however it ended into an ExitStatus:
 *   returned from _start → exit 0;  proc_exit(n) → exit n;  proc_raise / kill → that signal;
 *   a trap → SIGSEGV for memory faults and stack exhaustion, SIGFPE for arithmetic, SIGILL
 *   otherwise, with the trap message and the wasm function it happened in.
 * A guest fault never escapes this function: other processes keep running.
 */
import type { Kernel } from "../kernel.ts";
import type { OpenFile } from "../fs/types.ts";
import { ProcessVfs } from "../fs/index.ts";
import { Rights, RIGHTS_ALL, Signal } from "../syscall/abi.ts";
import { GuestMemory, GuestTrap } from "../syscall/memory.ts";
import { SyscallContext } from "../syscall/dispatch.ts";
import { linkImports, type Program } from "../loader/loader.ts";
import { Wasm, isWasmMemory } from "../wasm.ts";
import { Process } from "./process.ts";
import { ProcessExit, ThreadKilled, type ExitStatus } from "./exit.ts";
import type { Thread } from "./thread.ts";
import { admitThread, joinThreads, lastThreadExitCode, releaseThread, startThreadGroup, threadTrap, ThreadExit } from "./thread-spawn.ts";
import { threadRunner } from "./thread-run.ts";
import { finishProcess, initGuestSignals } from "./spawn.ts";
import { threadExports } from "./signals.ts";
import { threadLeft } from "./job-control.ts";
import { attachMemory, isOutOfMemory, releaseMemory, reserveMemory } from "./user-memory.ts";
import { nowMs } from "../sched/clock.ts";

export interface SpawnOptions {
  exe: string;
  argv: string[];
  env: string[];
  /** stdin, stdout, stderr descriptions (fds 0-2). */
  stdio: readonly [OpenFile, OpenFile, OpenFile];
  /** More descriptions installed after the preopen (fd 4, 5...), with their rights. */
  extraFiles?: readonly { file: OpenFile; rights: number }[];
  ppid?: number;
}

export interface Trap {
  message: string;
  /** The wasm function the fault happened in (name section name, or wasm-function[N]). */
  func: string | undefined;
}

export interface ProcessResult {
  status: ExitStatus;
  trap?: Trap;
}

const STDIN_RIGHTS = Rights.FD_READ | Rights.POLL_FD_READWRITE;
const STDOUT_RIGHTS = Rights.FD_WRITE | Rights.POLL_FD_READWRITE;

/** Create a process and its fd table (not yet running). */
export async function createProcess(kernel: Kernel, opts: SpawnOptions): Promise<Process> {
  const pid = kernel.processes.allocPid();
  const p = new Process(kernel, { pid, ppid: opts.ppid ?? 0, exe: opts.exe, argv: opts.argv, env: opts.env });
  kernel.processes.add(p);
  try {
    p.fds.insert(opts.stdio[0], STDIN_RIGHTS, 0);
    p.fds.insert(opts.stdio[1], STDOUT_RIGHTS, 0);
    p.fds.insert(opts.stdio[2], STDOUT_RIGHTS, 0);
    // The table's reference is the only one: closing fd 3 releases the root description.
    p.fds.insert(await p.vfs.openRoot(), RIGHTS_ALL, RIGHTS_ALL, { preopen: "/" });
    for (const x of opts.extraFiles ?? []) p.fds.insert(x.file, x.rights, x.rights);
  } catch (e) {
    kernel.processes.remove(pid);
    await p.fds.closeAll();
    throw e;
  }
  return p;
}

/** Run the process's main thread to the end; never rejects for guest faults. */
export async function runProcess(p: Process, program: Program): Promise<ProcessResult> {
  p.wasix = program.imports.some((i) => i.module === "wasix_32v1");
  // A libc that knows the root's own fd frees fd 3 for the program (fd-table.ts ROOT_DIRFD).
  if (program.imports.some((i) => i.module === "occlum" && i.name === "root_dirfd")) p.fds.hideRoot();
  else p.fds.exposeRoot();
  p.reportsSigactions = program.imports.some((i) => i.module === "occlum" && i.name === "sigaction");
  // wasix-libc passes absolute paths with the root preopen: resolve them from the root.
  if (p.wasix && p.vfs instanceof ProcessVfs) p.vfs.absolutePathsFromRoot = true;
  const t = p.newThread();
  let trap: Trap | undefined;
  try {
    admitThread(t);
  } catch {
    // The main thread is counted when there is room; a process is never refused for it.
  }
  try {
    trap = await runThread(t, program);
    // Every thread of the process ends before its fds close (issue 6: thread-spawn.ts).
    p.removeThread(t);
    threadLeft(t); // pthread_exit in main while the others stop: it holds up no stop
    releaseThread(t);
    await joinThreads(p);
    trap ??= threadTrap(p);
  } finally {
    p.removeThread(t);
    releaseThread(t);
    await p.fds.closeAll();
    releaseMemory(p); // every thread has ended: no code of the process can touch it any more
    finishProcess(p);
    p.reap();
  }
  const status = p.status ?? { kind: "exit", code: lastThreadExitCode(p) };
  return trap ? { status, trap } : { status };
}

async function runThread(t: Thread, program: Program): Promise<Trap | undefined> {
  const p = t.process;
  const log = p.kernel.log;
  const ctx = new SyscallContext(t, log);
  try {
    const own = reserveMemory(p, program.imports);
    const linked = linkImports(program, ctx, log, p.kernel.trace, own);
    if (linked.memory) ctx.mem = new GuestMemory(linked.memory);
    const instance = new Wasm.Instance(program.module, linked.imports);
    const mem = linked.memory ?? instance.exports.memory;
    if (!isWasmMemory(mem)) {
      p.exit({ kind: "signal", signo: Signal.SEGV });
      return { message: "the module neither exports nor imports a memory", func: undefined };
    }
    if (!linked.memory) attachMemory(p, mem);
    ctx.mem ??= new GuestMemory(mem);
    p.memory = ctx.mem;
    if (linked.memory && linked.memory.buffer instanceof SharedArrayBuffer) startThreadGroup(p, threadRunner(program, linked.memory));
    linked.kernel.exports = instance.exports;
    p.exports = instance.exports;
    threadExports.set(t, instance.exports);
    initGuestSignals(p);
    linked.kernel.mem = ctx.mem;
    linked.kernel.running = true;
    linked.kernel.begin?.();
    t.sliceStartMs = nowMs();
    const start = Wasm.promising(instance.exports._start as Function);
    await start();
    p.exit({ kind: "exit", code: 0 });
    return undefined;
  } catch (e) {
    if (e instanceof ThreadExit) return undefined; // pthread_exit in main: the others go on
    if (isOutOfMemory(e)) {
      // The user-space budget cannot hold the program's memory: as an enclave out of EPC.
      p.exit({ kind: "signal", signo: Signal.KILL });
      return { message: `out of memory: ${e.message}`, func: undefined };
    }
    if (e instanceof ProcessExit || e instanceof ThreadKilled) {
      p.exit({ kind: "exit", code: e instanceof ProcessExit ? e.code : 0 });
      return undefined;
    }
    const trap = describeTrap(e, program);
    p.exit({ kind: "signal", signo: trapSignal(e, trap.message) });
    if (!(e instanceof GuestTrap) && !(e instanceof Wasm.RuntimeError) && !(e instanceof RangeError)) {
      log.error(`pid ${p.pid}: unexpected error in guest thread: ${(e as Error)?.stack ?? String(e)}`);
    }
    return trap;
  }
}

export function trapSignal(e: unknown, message: string): number {
  if (e instanceof GuestTrap || e instanceof RangeError) return Signal.SEGV;
  if (/out of bounds|stack|null|dereferenc/i.test(message)) return Signal.SEGV;
  if (/divi|remainder|integer overflow|float unrepresentable|convert/i.test(message)) return Signal.FPE;
  return Signal.ILL;
}

const wasmFrame = /at (?:(\S+) \()?wasm:\/\/wasm\/[^\s)]*?:wasm-function\[(\d+)\]/;

export function describeTrap(e: unknown, program: Program): Trap {
  const err = e as Error;
  const message = err?.message ?? String(e);
  let func: string | undefined;
  for (const line of String(err?.stack ?? "").split("\n")) {
    const m = wasmFrame.exec(line);
    if (m) {
      func = program.functionName(Number(m[2])) ?? m[1] ?? `wasm-function[${m[2]}]`;
      break;
    }
  }
  return { message, func };
}
