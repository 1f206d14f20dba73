/**
 * Boot: run a program of a built instance, as `occlum run <path> [args]` does.
 *
 *   runInstance({ instanceDir, path, args, stdio, env }) => Promise<number>   (the exit code)
 *
 * Steps: check the instance is built (build/.Occlum_sys.json, Occlum's internal config); read
 * its app stage (entry points, mounts) and env; mount the file systems (createVfs); check the
 * program path as Occlum's LibOS does (absolute, no `..`, inside an entry point, exists, is a
 * WebAssembly command) else exit 127 with a one-line message; build the environment (env.default,
 * then the host variables env.untrusted names); wire stdio to the host streams; run; shut down.
 *
 * Exit code (Occlum's occlum-run, spec §3.6): a normal exit gives `status & 0x7F` (exit(200) → 72:
 * kept as Occlum does, so codes above 127 always mean a signal), death by signal N gives 128 + N.
 * A trap kills the process with SIGSEGV/SIGFPE/SIGILL (139/136/132) after one line naming the trap
 * and the wasm function. A guest never crashes the host; a LibOS failure is exit 1.
 */
import { readFileSync, statSync } from "node:fs";
import { startBootCalls, writeFile } from "./async-fs.ts";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { createVfs, type MountSpec, type VfsService } from "./fs/index.ts";
import { ConsoleInput, ConsoleOutput, type ConsoleSink } from "./fs/console.ts";
import { HostFdWriter } from "./fs/host-fd-writer.ts";
import { FileType } from "./fs/types.ts";
import type { OpenFile } from "./fs/types.ts";
import type { FileSystemService, Kernel } from "./kernel.ts";
import { Logger, LogLevel } from "./log.ts";
import { ProcessTable } from "./process/process-table.ts";
import { createProcess, runProcess, type ProcessResult } from "./process/run.ts";
import { hostExitCode } from "./process/exit.ts";
import { mqueueFsSource } from "./ipc/mqueue-fs.ts";
import { bootThreadBudget, readThreadLimits, setThreadBudget } from "./process/thread-spawn.ts";
import { bootVm } from "./vm-boot.ts";
import { fsCacheHeap, HeapOwner, ramfsBudget } from "./vm-charge.ts";
import type { Vm } from "./vm/index.ts";
import { killAll } from "./process/spawn.ts";
import type { Process } from "./process/process.ts";
import { SIGCONT, SigCode, signalProcess } from "./process/signals.ts";
import { compileProgram, readProgramFile, ExecFormatError, usePrecompiled } from "./loader/loader.ts";
import { openPrecompiled } from "./loader/precompiled.ts";
import { Errno, SysError, errnoName } from "./syscall/errno.ts";
import { Signal } from "./syscall/abi.ts";
import { monotonicNs } from "./sched/clock.ts";
import { MAX_VCPUS, setVcpuCount } from "./vcpu/index.ts";

export interface RunOptions {
  /** The Occlum instance directory (the one `occlum new`/`init` made and `occlum build` built). */
  instanceDir: string;
  /** Program path inside the instance's file system (absolute, under an entry point). */
  path: string;
  /** Arguments after the path (argv[0] is the path). */
  args?: readonly string[];
  /** Host streams for the guest's stdio (default: this process's). stdin may be fixed bytes. */
  stdio?: { stdin?: Readable | Uint8Array | string; stdout?: Writable; stderr?: Writable };
  /** The host environment env.untrusted picks from (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Logger (default: OCCLUM_LOG_LEVEL from `env`, to this process's stderr). */
  logger?: Logger;
  /**
   * Kill the program when aborted: with the signal number given as the abort reason
   * (`ac.abort(2)` for a host SIGINT → exit 130), else SIGKILL (exit 137). A blocked guest is
   * woken at once; a computing one at its next preemption check.
   */
  signal?: AbortSignal;
  /** Extra open files installed at fds 4, 5... (sockets the host hands in). */
  extraFiles?: readonly { file: OpenFile; rights: number }[];
  /**
   * The program stopped (job control: SIGSTOP, or SIGTSTP/SIGTTIN/SIGTTOU at their default
   * action) and, having no parent in the LibOS, has nobody inside to continue it. Called with the
   * signal once its output so far is flushed; when it returns (or its Promise settles) the
   * program gets SIGCONT, as a shell's `fg` sends it. `occlum run` stops itself with the same
   * signal here, so the host's shell sees the stop and `fg` continues both. Without it the program
   * stays stopped until another process of the instance sends it SIGCONT (or it is killed), and
   * one line on stderr says so.
   */
  onStop?: (signo: number) => void | Promise<void>;
  /** Recompute the image layer's MAC at boot (default true). */
  verifyImage?: boolean;
  /** Called with the booted memory manager (tests, --mem-report); not called without one. */
  onVm?: (vm: Vm) => void;
  /** Share of the host's RAM user space may commit, in bytes (default 90% of os.totalmem()). */
  hostCap?: number;
  /**
   * Where to write the sizing report (vm.report(): peaks against Init/Max and recommended
   * Occlum.json values) when the program exits: a host path, or "-" for stderr. Default: the
   * host variable OCCLUM_MEM_REPORT of `env`; none when unset.
   */
  memReport?: string;
}

/** The parts of build/.Occlum_sys.json the LibOS reads. */
interface SysConfig {
  resource_limits?: { num_of_cpus?: unknown };
  env: { default: string[]; untrusted: string[] };
  app: { stage: string; entry_points: unknown; mount: MountSpec[] }[];
}

/** A user-caused failure to start: one line on stderr, exit code. */
class StartError extends Error {
  readonly code: number;
  constructor(message: string, code: number) {
    super(message);
    this.code = code;
  }
}

const NOT_BUILT = 'Error: the Occlum image and enclave are not built yet. Need to run "occlum build" first.';

export async function runInstance(opts: RunOptions): Promise<number> {
  const hostEnv = opts.env ?? process.env;
  // This process's stdout/stderr through their descriptors, not process.stdout/stderr, whose
  // streams cost ~10 ms of every start (fs/host-fd-writer.ts); flushed before we return.
  const hostOut = opts.stdio?.stdout ? undefined : new HostFdWriter(1);
  const hostErr = opts.stdio?.stderr ? undefined : new HostFdWriter(2);
  const stdout: ConsoleSink = opts.stdio?.stdout ?? hostOut!;
  const stderr: TextSink & ConsoleSink = opts.stdio?.stderr ?? hostErr!;
  const log = opts.logger ?? Logger.fromEnv(hostEnv as NodeJS.ProcessEnv);
  let vfs: VfsService | undefined;
  // Until the program starts, the host file calls of the mounts and of the program's lookup are
  // synchronous (async-fs.ts: no guest runs yet, a pool round trip per call only delays us).
  const endBootCalls = startBootCalls();
  try {
    const sys = await readSysConfig(opts.instanceDir);
    useNumOfCpus(sys, hostEnv);
    const app = sys.app.find((a) => a.stage === "app");
    if (!app) throw new StartError("Error: build/.Occlum_sys.json has no app stage", 1);
    const entryPoints = checkEntryPoints(app.entry_points);
    const exe = checkProgramPath(opts.path, entryPoints);
    const env = mergeEnv(sys.env, hostEnv);

    usePrecompiled(openPrecompiled(path.join(opts.instanceDir, "build", "precompiled"), (m) => stderr.write(`warning: ${m}\n`)));
    const processes = new ProcessTable(monotonicNs());
    // The memory manager: Init (EDMM) or the static size is committed from here on, by the I/O
    // threads while we mount and compile (vm-boot.ts); awaited before the first process.
    const booted = await bootVm(opts.instanceDir, hostEnv, opts.hostCap);
    if (!booted.ok) throw new StartError(booted.message, 1);
    // Warnings (an EDMM build run without EDMM) go to the terminal; info lines to the log only.
    for (const m of booted.messages) {
      if (m.startsWith("info:")) log.info(m.slice(6));
      else stderr.write(m + "\n");
    }
    const vm = booted.vm;
    if (vm) {
      // max_num_of_threads: the Vm's thread budget (TCSNum prepared at boot, EAGAIN past TCSMaxNum).
      setThreadBudget(processes, vm.threads);
      processes.vm = vm;
      opts.onVm?.(vm);
    } else {
      const threadLimits = await readThreadLimits(opts.instanceDir);
      if (threadLimits) setThreadBudget(processes, bootThreadBudget(threadLimits));
    }
    try {
      const budget = ramfsBudget(vm); // ramfs contents are kernel heap (ENOSPC past it)
      const cacheHeap = fsCacheHeap(vm); // so are the VFS's name caches, which shrink first
      const dentryHeap = fsCacheHeap(vm, HeapOwner.DENTRY); // and its dentry cache
      vfs = await createVfs(app.mount, { instanceDir: opts.instanceDir, processInfo: processes, ...(budget ? { ramfsBudget: budget } : {}), ...(cacheHeap ? { cacheHeap } : {}), ...(dentryHeap ? { dentryHeap } : {}), ...(opts.verifyImage !== undefined ? { verifyImage: opts.verifyImage } : {}) });
    } catch (e) {
      throw new StartError(`Error: failed to mount the file systems: ${messageOf(e)}`, 1);
    }
    const code = await runProgram({
      committed: booted.committed,
      fs: vfs, processes, exe, argv: [exe, ...(opts.args ?? [])], env, log, stderr, ...(vm ? { vm } : {}),
      stdio: [
        opts.stdio?.stdin !== undefined ? new ConsoleInput(opts.stdio.stdin, "/dev/stdin") : new ConsoleInput(() => process.stdin, "/dev/stdin", stdinType()),
        new ConsoleOutput(stdout, "/dev/stdout"),
        new ConsoleOutput(stderr, "/dev/stderr"),
      ],
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.extraFiles ? { extraFiles: opts.extraFiles } : {}),
      ...(opts.onStop ? { onStop: flushedFirst(opts.onStop, [hostOut, hostErr]) } : {}),
      beforeStart: endBootCalls,
    });
    const reportTo = opts.memReport ?? (hostEnv["OCCLUM_MEM_REPORT"] || undefined);
    if (reportTo !== undefined) {
      if (!vm) stderr.write("warning: no memory report: the instance has no build/Enclave.xml with its memory layout\n");
      else if (reportTo === "-") stderr.write(vm.report());
      else await writeFile(reportTo, vm.report()).catch((e: unknown) => stderr.write(`warning: cannot write the memory report to ${reportTo}: ${messageOf(e)}\n`));
    }
    return code;
  } catch (e) {
    if (e instanceof StartError) {
      stderr.write(e.message + "\n");
      return e.code;
    }
    log.error(`LibOS failure: ${(e as Error)?.stack ?? String(e)}`);
    stderr.write(`Error: ${messageOf(e)}\n`);
    return 1;
  } finally {
    endBootCalls();
    await vfs?.close().catch((e: unknown) => log.error(`unmount failed: ${messageOf(e)}`));
    await flushUnlessKilled([hostOut, hostErr], opts.signal);
  }
}

/** onStop once what the guest wrote so far has reached the host (the shell shows it before "Stopped"). */
function flushedFirst(onStop: (signo: number) => void | Promise<void>, writers: (HostFdWriter | undefined)[]): (signo: number) => Promise<void> {
  return async (signo) => {
    await Promise.all(writers.map((w) => w?.flush()));
    await onStop(signo);
  };
}

/**
 * Waits until what the guest wrote has reached the host descriptors, as an exiting Linux
 * process's bytes are in the pipe; but a run killed by a host signal (SIGTERM/SIGINT forwarded
 * as an abort) exits at once, as a killed process does, even when a reader has stalled.
 */
async function flushUnlessKilled(writers: (HostFdWriter | undefined)[], signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return;
  const flushed = Promise.all(writers.map((w) => w?.flush()));
  if (!signal) return void (await flushed);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => signal.addEventListener("abort", (onAbort = () => resolve()), { once: true }));
  try {
    await Promise.race([flushed, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort!);
  }
}

/** Where start-up errors, warnings and trap reports go: a Writable or a HostFdWriter. */
export interface TextSink {
  write(text: string): unknown;
}

/** stdin's file type without building process.stdin: a terminal (or another character device) or not. */
function stdinType(): FileType {
  try {
    return process.getBuiltinModule("node:fs").fstatSync(0).isCharacterDevice() ? FileType.CHARACTER_DEVICE : FileType.UNKNOWN;
  } catch {
    return FileType.UNKNOWN;
  }
}

export interface ProgramOptions {
  /** The mounted file systems. */
  fs: FileSystemService;
  /** The process table to use (procfs of `fs` should read this one); a new one by default. */
  processes?: ProcessTable;
  exe: string;
  argv: string[];
  env: string[];
  stdio: readonly [OpenFile, OpenFile, OpenFile];
  /** Where start-up errors and trap reports go. */
  stderr: TextSink;
  log: Logger;
  signal?: AbortSignal;
  extraFiles?: readonly { file: OpenFile; rights: number }[];
  /** The memory manager the kernel charges processes to (none: uncharged memories). */
  vm?: Vm;
  /**
   * Resolves when the Vm's boot commitment is committed (bootVm overlaps it with the mount and
   * the first compile); the process is created only after. A rejection is a start-up error.
   */
  committed?: Promise<void>;
  /** Called once the program is loaded, before its process is created (runInstance ends its boot phase). */
  beforeStart?: () => void;
  /** The program stopped with nobody in the LibOS to continue it (RunOptions.onStop). */
  onStop?: (signo: number) => void | Promise<void>;
}

/**
 * Load and run one program on already-mounted file systems (the part of runInstance after the
 * config; also what tests and `occlum exec` use). Returns the host exit code.
 */
export async function runProgram(o: ProgramOptions): Promise<number> {
  const { exe, log, stderr } = o;
  const processes = o.processes ?? new ProcessTable(monotonicNs());
  const kernel: Kernel = {
    fs: o.fs, log, processes, trace: log.enabled(LogLevel.trace), ...(o.vm ? { vm: o.vm } : {}),
    onParentlessStop: (p, signo) => parentlessStop(p, signo, o),
  };
  o.fs.bindMqueue?.(mqueueFsSource(kernel));
  try {
    let bytes: Uint8Array;
    try {
      bytes = await readProgramFile(o.fs.forProcess(0), exe);
    } catch (e) {
      throw new StartError(`Error: ${exe}: cannot execute: ${describeErrno(e)}`, 127);
    }
    let program;
    try {
      program = await compileProgram(bytes);
    } catch (e) {
      if (e instanceof ExecFormatError) throw new StartError(`Error: ${exe}: ${e.message}`, 127);
      throw e;
    }
    // The boot commitment, faulted in by the I/O threads meanwhile: no process before it.
    try {
      await o.committed;
    } catch (e) {
      throw new StartError(messageOf(e), 1);
    }
    o.beforeStart?.();
    const proc = await createProcess(kernel, { exe, argv: o.argv, env: o.env, stdio: o.stdio, ...(o.extraFiles ? { extraFiles: o.extraFiles } : {}) });
    log.info(`pid ${proc.pid}: ${exe} started`);
    const onAbort = (): void => {
      const reason: unknown = o.signal?.reason;
      const signo = typeof reason === "number" && Number.isInteger(reason) && reason > 0 && reason < 65 ? reason : Signal.KILL;
      proc.exit({ kind: "signal", signo });
    };
    o.signal?.addEventListener("abort", onAbort, { once: true });
    if (o.signal?.aborted) onAbort();
    let result: ProcessResult;
    try {
      const running = runProcess(proc, program);
      proc.done = running;
      // The app's first process is instantiated (and ran to its first suspension): start-up is over.
      o.vm?.markStarted();
      result = await running;
      // The app's main process is gone: the rest of its processes die with it.
      await killAll(processes.pids().map((pid) => processes.get(pid)!));
    } finally {
      o.signal?.removeEventListener("abort", onAbort);
    }
    if (result.trap) {
      const where = result.trap.func ? ` in wasm function ${result.trap.func}` : "";
      stderr.write(`Error: ${exe} (pid ${proc.pid}) killed by ${signalName(result.status)}: ${result.trap.message}${where}\n`);
    }
    log.info(`pid ${proc.pid}: exited ${JSON.stringify(result.status)}`);
    return hostExitCode(result.status);
  } catch (e) {
    if (e instanceof StartError) {
      stderr.write(e.message + "\n");
      return e.code;
    }
    throw e;
  } finally {
    for (const f of o.stdio) await f.release();
  }
}

async function readSysConfig(instanceDir: string): Promise<SysConfig> {
  const file = path.join(instanceDir, "build", ".Occlum_sys.json");
  let text: string;
  try {
    // Read at once (a small file, before anything runs): cheaper than five thread-pool trips.
    if (!statSync(file).isFile()) throw new Error();
    text = readFileSync(file, "utf8");
  } catch {
    throw new StartError(NOT_BUILT, 1);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new StartError(`Error: build/.Occlum_sys.json is not valid JSON: ${messageOf(e)}`, 1);
  }
  const c = raw as Partial<SysConfig>;
  const env = c.env as Partial<SysConfig["env"]> | undefined;
  if (!env || !Array.isArray(env.default) || !Array.isArray(env.untrusted)) {
    throw new StartError('Error: build/.Occlum_sys.json: "env" needs "default" and "untrusted" arrays', 1);
  }
  if (!Array.isArray(c.app)) throw new StartError('Error: build/.Occlum_sys.json: missing "app"', 1);
  return c as SysConfig;
}

/**
 * resource_limits.num_of_cpus (Occlum 1.0's field, written only when Occlum.json sets it): the
 * vCPU count, unless the host variable OCCLUM_VCPUS names one (a run-time override).
 */
function useNumOfCpus(sys: SysConfig, hostEnv: Record<string, string | undefined>): void {
  const n = sys.resource_limits?.num_of_cpus;
  if (n === undefined) return;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_VCPUS) {
    throw new StartError(`Error: build/.Occlum_sys.json: resource_limits.num_of_cpus must be an integer from 1 to ${MAX_VCPUS}, not ${JSON.stringify(n)}`, 1);
  }
  if ((hostEnv["OCCLUM_VCPUS"] ?? "").trim() !== "") return;
  setVcpuCount(n);
}

function checkEntryPoints(v: unknown): string[] {
  if (!Array.isArray(v) || v.some((e) => typeof e !== "string")) {
    throw new StartError("Error: entry_points must be an array of absolute paths", 1);
  }
  for (const e of v as string[]) if (!e.startsWith("/")) throw new StartError(`Error: entry point must be an absolute path: ${e}`, 1);
  return v as string[];
}

function components(p: string): string[] {
  return p.split("/").filter((c) => c !== "" && c !== ".");
}

/** Occlum's checks, in its order: absolute, no "..", under an entry point (component-wise). */
export function checkProgramPath(p: string, entryPoints: readonly string[]): string {
  if (!p.startsWith("/")) throw new StartError(`Error: ${p}: program path must be absolute`, 127);
  const parts = components(p);
  if (parts.includes("..")) throw new StartError(`Error: ${p}: program path must not contain ".."`, 127);
  const ok = entryPoints.some((e) => {
    const ep = components(e);
    return ep.length <= parts.length && ep.every((c, i) => parts[i] === c);
  });
  if (!ok) throw new StartError(`Error: ${p}: program path is NOT a valid entry point`, 127);
  return "/" + parts.join("/");
}

/** env.default entries not overridden, then the host's values of the env.untrusted names (spec §3.5). */
export function mergeEnv(cfg: SysConfig["env"], host: Readonly<Record<string, string | undefined>>): string[] {
  const trusted = new Map<string, string>();
  for (const kv of cfg.default) {
    const i = kv.indexOf("=");
    if (i > 0) trusted.set(kv.slice(0, i), kv);
  }
  const untrusted: string[] = [];
  for (const name of cfg.untrusted) {
    const value = host[name];
    if (value === undefined) continue;
    trusted.delete(name);
    untrusted.push(`${name}=${value}`);
  }
  return [...trusted.values(), ...untrusted];
}

function describeErrno(e: unknown): string {
  if (e instanceof SysError) {
    const text: Partial<Record<number, string>> = {
      [Errno.NOENT]: "No such file or directory", [Errno.ACCES]: "Permission denied",
      [Errno.NOTDIR]: "Not a directory", [Errno.LOOP]: "Too many levels of symbolic links",
    };
    return text[e.errno] ?? errnoName(e.errno);
  }
  return messageOf(e);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const signalNames: Record<number, string> = {
  4: "SIGILL", 6: "SIGABRT", 8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU",
};

/**
 * A process with no parent in the LibOS stopped (the program itself; its orphans are adopted by
 * it while it lives). With onStop the host decides when it goes on (then SIGCONT, from outside
 * the instance: SI_USER, pid 0); without, it waits for a SIGCONT from inside, and says so.
 */
function parentlessStop(p: Process, signo: number, o: ProgramOptions): void {
  const onStop = o.onStop;
  if (!onStop) {
    o.stderr.write(`occlum: pid ${p.pid} (${p.exe}) stopped by ${signalNames[signo] ?? `signal ${signo}`}; it has no parent to continue it: it goes on when another process sends it SIGCONT\n`);
    return;
  }
  void Promise.resolve()
    .then(() => onStop(signo))
    .then(
      () => signalProcess(p, SIGCONT, undefined, { code: SigCode.USER, pid: 0, status: 0 }),
      (e: unknown) => o.log.error(`onStop failed: ${messageOf(e)}`),
    );
}

function signalName(s: ProcessResult["status"]): string {
  return s.kind === "signal" ? (signalNames[s.signo] ?? `signal ${s.signo}`) : `exit ${s.code}`;
}
