/**
 * The kernel side of a vCPU thread's imports: one plain function per import of the program, in
 * import order (a ring request's op is that index), built from the same pieces as the import
 * object of a thread running on the kernel thread (loader.linkImports, in the same order): the
 * row of the import in the ABI tables (loader.tableRow: preview 1, WASIX, our `occlum` calls) run
 * through the generated dispatch (syscall/dispatch.ts rawImport) on the thread's kernel Thread,
 * wasi-threads' thread-spawn, the loader's kernel imports, an ENOSYS stub for the rest. So every syscall works
 * the same on a vCPU as on the kernel thread, blocking ones included: a function may return a
 * Promise (the kernel awaits it, then completes the request).
 *
 * What differs is only who calls: the JSPI wrapping (WebAssembly.Suspending) is the vCPU's, and
 * the guest's yield_check stays on the vCPU (preemption is per vCPU); a kill or a signal comes
 * as an attention request instead, served by the kernel's yield_check (KernelCalls.attention).
 */
import { rawImport, type SyscallContext } from "../syscall/dispatch.ts";
import { Errno } from "../syscall/errno.ts";
import { KERNEL_MODULE, KernelImport } from "../loader/instrument/instrument.ts";
import { kernelImportFns, type KernelImportContext } from "../loader/kernel-imports.ts";
import { tableRow, WASI_THREADS_MODULE, wasiThreadsImports, type Program } from "../loader/loader.ts";
import type { ValType } from "../loader/wasm-info.ts";
import type { WasmValue } from "./ring.ts";
import { nowMs } from "../sched/clock.ts";

export type KernelCall = (...args: WasmValue[]) => unknown;

const kernelNames = new Set<string>(Object.values(KernelImport));

function enosys(results: readonly ValType[]): KernelCall {
  const r = results[0];
  const v = r === "i32" ? Errno.NOSYS : r === "i64" ? BigInt(Errno.NOSYS) : 0;
  return () => v;
}

export interface KernelCalls {
  /** By import index (undefined: not a function import). */
  readonly calls: (KernelCall | undefined)[];
  /**
   * An attention request: the vCPU saw the thread's attention word set. The kernel's own
   * yield_check decides (a killed thread unwinds, pending signals run their guest callback), with
   * a fresh time slice: preemption is the vCPU's business, the kernel thread must not park here.
   */
  readonly attention: () => unknown;
}

/** The kernel functions of one thread's imports (see the header). */
export function kernelCalls(program: Program, ctx: SyscallContext, trace: boolean): KernelCalls {
  const t = ctx.t;
  const k: KernelImportContext = { t, exports: undefined, mem: ctx.mem, running: true, fuelExport: null, remote: true };
  const kernelFns = kernelImportFns(k);
  let threadFns: Record<string, unknown> | undefined;
  const calls = program.imports.map((imp): KernelCall | undefined => {
    if (imp.kind !== "function") return undefined;
    const row = tableRow(imp.module, imp.name);
    if (row) return rawImport(ctx, row, trace) as KernelCall;
    if (imp.module === WASI_THREADS_MODULE && imp.name === "thread-spawn") {
      threadFns ??= wasiThreadsImports(ctx);
      return threadFns[imp.name] as KernelCall;
    }
    if (imp.module === KERNEL_MODULE && kernelNames.has(imp.name)) return kernelFns[imp.name] as unknown as KernelCall;
    return enosys(imp.type.results);
  });
  const yieldCheck = kernelFns[KernelImport.yieldCheck] as unknown as () => unknown;
  return {
    calls,
    attention: () => {
      t.sliceStartMs = nowMs();
      return yieldCheck();
    },
  };
}
