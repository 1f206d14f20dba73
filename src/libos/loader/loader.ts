/**
 * The loader: from a program file in the VFS to a compiled module plus its import object.
 *
 * - Validation: a file that is not WebAssembly is an exec format error (ENOEXEC; the runner exits
 *   127 as Occlum does for a program it cannot start); a module that fails to compile is too.
 * - Compile cache: modules are compiled once per content hash (SHA-256) and shared by every
 *   process that runs the same program, in every kernel of this Node process.
 * - Instrumentation (loader/instrument): fuel checks for preemption (a guest that computes
 *   without syscalls is preempted every time slice and can be killed), atomic waits and
 *   memory.grow (charged to the user-space budget, process/user-memory.ts) rewritten into kernel
 *   calls. A module the instrumenter cannot handle runs uninstrumented (logged).
 * - Precompiled programs: `occlum build` instruments the image's modules ahead of time
 *   (precompiled.ts); a verified one replaces the instrumenter run at load.
 * - Imports: every `wasi_snapshot_preview1` function comes from the syscall table; any other
 *   function import gets a stub returning ENOSYS (logged once per program), so instantiation never
 *   fails for a call we lack; an imported memory is created with the module's declared limits.
 * - The WASIX and wasi-threads tables (with sockets, epoll, spawn and threads behind them, ~20
 *   modules) load with the first program that imports them: a plain wasip1 program never pays
 *   for them at start-up. They are loaded before compileProgram resolves, so linking stays
 *   synchronous and the import functions are the same as with an eager import.
 */
import { Errno, sysErr } from "../syscall/errno.ts";
import { FileType, type OpenFile, type Vfs } from "../fs/types.ts";
import { Wasm, type ImportObject, type WasmMemory, type WasmModule } from "../wasm.ts";
import { ExecFormatError, isWasm, readFunctionNames, readImports, type ImportInfo, type ValType } from "./wasm-info.ts";
import { wasiRows, type SyscallRow } from "../syscall/table.ts";
import { importFunction, type SyscallContext } from "../syscall/dispatch.ts";
import { MODULE } from "../syscall/abi.ts";
import type { Logger } from "../log.ts";
import { sha256Hex } from "../sha256.ts";
import { instrument, KERNEL_MODULE, KernelImport } from "./instrument/instrument.ts";
import { loadOptions, type PrecompiledStore } from "./precompiled.ts";
import { kernelImports, type KernelImportContext } from "./kernel-imports.ts";
import { singleAgentNow } from "../sched/agents.ts";
import { occlumRows } from "../syscall/occlum/table.ts";

/** Import module names of the lazily loaded tables (asserted equal to theirs by loader.test.ts). */
export const WASIX_MODULE = "wasix_32v1";
export const WASI_THREADS_MODULE = "wasi";

type WasixAbi = {
  readonly wasixRows: ReadonlyMap<string, SyscallRow>;
  readonly wasiThreadsImports: typeof import("../syscall/wasix/thread-rows.ts").wasiThreadsImports;
};
let wasixAbi: WasixAbi | undefined;
let wasixLoading: Promise<WasixAbi> | undefined;

/** Loads the WASIX and wasi-threads tables once (they import each other's families). */
export function loadWasixAbi(): Promise<WasixAbi> {
  wasixLoading ??= Promise.all([import("../syscall/wasix/table.ts"), import("../syscall/wasix/thread-rows.ts")]).then(([t, th]) => {
    wasixAbi = { wasixRows: t.wasixRows, wasiThreadsImports: th.wasiThreadsImports };
    return wasixAbi;
  });
  return wasixLoading;
}

/** wasi-threads' imports of a thread (loaded with the first program that imports them). */
export function wasiThreadsImports(ctx: SyscallContext): Record<string, unknown> {
  if (!wasixAbi) throw new Error("wasi-threads imports used before a program importing them was compiled");
  return wasixAbi.wasiThreadsImports(ctx);
}

function needsWasixAbi(imports: readonly ImportInfo[]): boolean {
  return imports.some((i) => i.module === WASIX_MODULE || i.module === WASI_THREADS_MODULE);
}

const kernelNames = new Set<string>(Object.values(KernelImport));

export interface Program {
  readonly module: WasmModule;
  readonly imports: readonly ImportInfo[];
  readonly sha256: string;
  /** Imports we stub with ENOSYS ("module.name"). */
  readonly unsupported: readonly string[];
  /** Name of a function by index (name section), for trap reports. */
  functionName(index: number): string | undefined;
  /** Exported fuel global of the instrumented module (null: no preemption checks). */
  readonly fuelExport: string | null;
  /** Why the module runs uninstrumented, if it does. */
  readonly instrumentError?: string;
  /**
   * Compiled with atomic.fence dropped (instrument.ts, elideFences): its threads run on the
   * agent of its main thread; one placed elsewhere runs withFences' variant (vcpu/index.ts).
   */
  readonly singleAgent?: boolean;
}

const cache = new Map<string, Promise<Program>>();

/** Where `occlum build`'s instrumented programs come from (boot sets it per instance). */
let precompiled: PrecompiledStore | undefined;

/** Use (or, with undefined, stop using) an instance's precompiled programs. */
export function usePrecompiled(store: PrecompiledStore | undefined): void {
  precompiled = store;
}

/** Statistics for tests and benches. */
export const loaderStats = { compiles: 0, precompiled: 0 };

export function compileProgram(bytes: Uint8Array): Promise<Program> {
  if (!isWasm(bytes)) return Promise.reject(new ExecFormatError("exec format error (not a WebAssembly module)"));
  const sha256 = sha256Hex(bytes);
  // One agent (sched/agents.ts): fences are dropped at load; the variants are cached apart.
  return compileVariant(bytes, sha256, singleAgentNow());
}

/** The bytes a fence-free program was compiled from (withFences). */
const sources = new WeakMap<Program, Uint8Array>();

function compileVariant(bytes: Uint8Array, sha256: string, single: boolean): Promise<Program> {
  const key = single ? `${sha256}:1` : sha256;
  let p = cache.get(key);
  if (!p) {
    p = compileOnce(bytes, sha256, single);
    if (single) void p.then((prog) => sources.set(prog, bytes), () => {});
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/**
 * The same program with its atomic.fence kept, for a thread of a fence-free program that the
 * vCPU placement sends to a worker (vcpu/index.ts); cached like compileProgram's variants.
 */
export function withFences(p: Program): Promise<Program> {
  const bytes = p.singleAgent ? sources.get(p) : undefined;
  return bytes ? compileVariant(bytes, p.sha256, false) : Promise.resolve(p);
}

async function compileOnce(bytes: Uint8Array, sha256: string, singleAgent: boolean): Promise<Program> {
  let imports: ImportInfo[];
  let module: WasmModule;
  let code = bytes;
  let fuelExport: string | null = null;
  let instrumentError: string | undefined;
  try {
    // Instrumented by `occlum build` (precompiled.ts): valid, and verified against the build's manifest.
    const pre = precompiled?.get(sha256, singleAgent);
    if (pre) {
      loaderStats.precompiled++;
      code = pre.bytes;
      fuelExport = pre.fuelExport;
      imports = readImports(code);
    } else {
      imports = readImports(bytes);
      // Invalid modules fail here with the engine's reason, before the instrumenter sees them.
      if (!Wasm.validate(bytes)) await Wasm.compile(bytes);
      try {
        const r = instrument(bytes, loadOptions(singleAgent));
        code = r.bytes;
        fuelExport = r.fuelExport;
        if (r.changed) imports = readImports(code);
      } catch (e) {
        instrumentError = (e as Error).message;
        code = bytes;
      }
    }
    loaderStats.compiles++;
    module = await Wasm.compile(code);
  } catch (e) {
    if (e instanceof ExecFormatError) throw e;
    throw new ExecFormatError(`exec format error (${(e as Error).message})`);
  }
  if (needsWasixAbi(imports)) await loadWasixAbi(); // a failure here is ours, not the program's
  const exports = new Set(Wasm.Module.exports(module).map((e) => e.name));
  if (!exports.has("_start")) throw new ExecFormatError("exec format error (no _start export: not a WASI command)");
  const unsupported: string[] = [];
  for (const imp of imports) {
    const known = tableRow(imp.module, imp.name)?.support === "full" || tableRow(imp.module, imp.name)?.support === "partial" || (imp.module === KERNEL_MODULE && kernelNames.has(imp.name))
      || (imp.module === WASI_THREADS_MODULE && imp.name === "thread-spawn");
    if (imp.kind === "function" && !known) unsupported.push(`${imp.module}.${imp.name}`);
    if (imp.kind === "table" || imp.kind === "global" || imp.kind === "tag") {
      throw new ExecFormatError(`exec format error (unsupported import: ${imp.kind} ${imp.module}.${imp.name})`);
    }
  }
  let names: Map<number, string> | undefined;
  const functionName = (index: number): string | undefined => {
    names ??= readFunctionNames(Wasm.Module.customSections(module, "name")[0] ?? new ArrayBuffer(0));
    return names.get(index);
  };
  return {
    module, imports, sha256, unsupported, functionName, fuelExport, ...(instrumentError !== undefined ? { instrumentError } : {}),
    ...(singleAgent && instrumentError === undefined ? { singleAgent: true } : {}),
  };
}

/** Read a whole program file through the VFS (EACCES for a directory, as execve). */
export async function readProgramFile(vfs: Vfs, path: string): Promise<Uint8Array> {
  return (await readProgram(vfs, path)).bytes;
}

/**
 * A program file's bytes and its real path: symlinks followed (a program spawned through
 * /proc/self/exe is the file it names, as Linux's /proc/<pid>/exe shows it).
 */
export async function readProgram(vfs: Vfs, path: string): Promise<{ bytes: Uint8Array; path: string }> {
  const f: OpenFile = await vfs.openAbsolute(path, { oflags: 0, fdflags: 0, read: true, write: false, followSymlinks: true });
  const real = f.path?.startsWith("/") ? f.path : path;
  try {
    if (f.filetype === FileType.DIRECTORY) throw sysErr(Errno.ACCES, "is a directory");
    const st = await f.stat();
    const size = Number(st.size);
    const out = new Uint8Array(size);
    let off = 0;
    while (off < size) {
      const n = await f.pread([out.subarray(off)], BigInt(off));
      if (n === 0) break;
      off += n;
    }
    return { bytes: off === size ? out : out.subarray(0, off), path: real };
  } finally {
    await f.release();
  }
}

/**
 * The syscall table row of an import (preview 1 or WASIX), if the ABI has one. For a Program's
 * imports the WASIX rows are always there (compileProgram loaded them); use this rather than
 * importing syscall/wasix/table.ts, which would load it (and sockets, epoll...) at boot again.
 */
export function tableRow(module: string, name: string): SyscallRow | undefined {
  if (module === MODULE) return wasiRows.get(name);
  if (module === WASIX_MODULE) return wasixAbi?.wasixRows.get(name);
  if (module === KERNEL_MODULE) return occlumRows.get(name); // our own calls (sdk/libc)
  return undefined;
}

function enosysResult(results: readonly ValType[]): unknown {
  const r = results[0];
  if (r === undefined) return undefined;
  if (r === "i32") return Errno.NOSYS;
  if (r === "i64") return BigInt(Errno.NOSYS);
  if (r === "f32" || r === "f64") return 0;
  return null;
}

export interface Linked {
  imports: ImportObject;
  /** The memory the module imports, if it imports one (else it exports its own). */
  memory: WasmMemory | undefined;
  /** State of the `occlum` kernel imports: the runner fills in exports/mem/running. */
  kernel: KernelImportContext;
}

/**
 * Build the import object of one thread of a program. `shared`: the process's imported memory,
 * for a thread spawned after the first one (wasi-threads); the first thread creates it.
 */
export function linkImports(program: Program, ctx: SyscallContext, log: Logger, trace: boolean, shared?: WasmMemory): Linked {
  const imports: ImportObject = {};
  let memory: WasmMemory | undefined;
  const kernel: KernelImportContext = { t: ctx.t, exports: undefined, mem: undefined, running: false, fuelExport: program.fuelExport };
  let kernelFns: Record<string, unknown> | undefined;
  for (const imp of program.imports) {
    const ns = (imports[imp.module] ??= {});
    if (imp.kind === "function") {
      const row = tableRow(imp.module, imp.name);
      if (row) {
        ns[imp.name] = importFunction(ctx, row, trace);
      } else if (imp.module === WASI_THREADS_MODULE && imp.name === "thread-spawn") {
        ns[imp.name] = wasiThreadsImports(ctx)[imp.name];
      } else if (imp.module === KERNEL_MODULE && kernelNames.has(imp.name)) {
        kernelFns ??= kernelImports(kernel);
        ns[imp.name] = kernelFns[imp.name];
      } else {
        const value = enosysResult(imp.type.results);
        const label = `${imp.module}.${imp.name}`;
        ns[imp.name] = () => {
          if (trace) log.traceRaw(`[pid ${ctx.t.process.pid}:${ctx.t.tid}] ${label}(...) = -1 ENOSYS (not implemented)`);
          return value;
        };
      }
    } else if (imp.kind === "memory") {
      memory = shared ?? new Wasm.Memory({ initial: imp.initial, ...(imp.maximum !== undefined ? { maximum: imp.maximum } : {}), shared: imp.shared });
      ns[imp.name] = memory;
    }
  }
  if (program.unsupported.length > 0) log.warn(`unsupported imports stubbed with ENOSYS: ${program.unsupported.join(", ")}`);
  if (program.instrumentError) log.warn(`running uninstrumented (no preemption): ${program.instrumentError}`);
  return { imports, memory, kernel };
}

export { ExecFormatError };
