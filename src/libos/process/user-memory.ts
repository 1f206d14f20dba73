/**
 * A process's WebAssembly memory as charged to the kernel's user-space budget (vm/user-space.ts).
 *
 * - Imported memory (POSIX guests import env.memory): reserveForProcess before instantiation
 *   hands over a committed memory whose maximum is the process cap (module maximum,
 *   default_heap_size + default_stack_size), so memory.grow past the cap returns -1 natively
 *   and malloc gets NULL, exactly at the cap.
 * - Defined memory (plain wasip1 guests): reserved with {defined: true} before instantiation (0
 *   pages: the module's initial size is only known from the instance), then attach() charges
 *   the real size and commits it.
 * - Growth: the loader's instrumenter rewrites `memory.grow` (memory 0) into a call of the kernel
 *   import occlum.memory_grow (loader/kernel-imports.ts → growMemory here): the growth is
 *   charged before it happens and refused with -1 (malloc gets NULL) past the per-process cap or
 *   the shared budget, so one process exhausting the budget leaves the others running. A module
 *   the instrumenter cannot handle grows natively: `syncMemory` charges that after the fact
 *   (procfs reads, process end); its imported memory's own maximum still enforces the cap.
 * - Release: once every thread of the process has ended (no code of it can run any more).
 */
import { VmError, type ProcessMemory } from "../vm/index.ts";
import type { ImportInfo } from "../loader/wasm-info.ts";
import type { WasmMemory } from "../wasm.ts";
import type { Process } from "./process.ts";

const charged = new WeakMap<Process, ProcessMemory>();

/** The charge of a process (undefined: the kernel has no Vm, or the process holds none yet). */
export function processMemory(p: Process): ProcessMemory | undefined {
  return charged.get(p);
}

/** Its largest memory so far in KiB (getrusage's ru_maxrss): the charged peak, else the memory's size. */
export function peakRssKb(p: Process): number {
  const pm = charged.get(p);
  const bytes = pm ? pm.peakPages * 65536 : (p.memory?.byteLength ?? 0);
  return Math.floor(bytes / 1024);
}

/**
 * Before instantiation (for a spawned child: before it is started, so posix_spawn fails with
 * ENOMEM in the parent instead of a killed child): the memory to import (imported memory) or
 * undefined (defined memory, or no Vm). Throws VmError(ENOMEM) when the budget cannot cover the initial size.
 */
export function reserveMemory(p: Process, imports: readonly ImportInfo[]): WasmMemory | undefined {
  const vm = p.kernel.vm;
  if (!vm) return undefined;
  const held = charged.get(p);
  if (held) return held.memory; // reserved by spawn before the child started
  const imp = imports.find((i) => i.kind === "memory");
  if (imp && imp.kind === "memory") {
    const pm = vm.userSpace.reserveForProcess(imp.initial, imp.maximum, { shared: imp.shared, owner: p.pid });
    charged.set(p, pm);
    return pm.memory;
  }
  charged.set(p, vm.userSpace.reserveForProcess(0, undefined, { defined: true, owner: p.pid }));
  return undefined;
}

/** After instantiation of a module that defines its memory: charge and commit its real size. */
export function attachMemory(p: Process, memory: WasmMemory): void {
  const pm = charged.get(p);
  if (!pm || pm.kind !== "defined" || pm.memory !== undefined) return;
  p.kernel.vm!.userSpace.attach(pm, memory as WebAssembly.Memory);
}

/** Charges native growth; false when it overdrew the budget (the caller kills the process). */
export function syncMemory(p: Process): boolean {
  const pm = charged.get(p);
  if (!pm || pm.released) return true;
  return p.kernel.vm!.userSpace.sync(pm);
}

/**
 * occlum.memory_grow: memory.grow of the process's memory through the budget. Returns the old
 * size in pages or -1. `native` is the instance's memory when known (no Vm: plain growth).
 */
export function growMemory(p: Process, native: WasmMemory | undefined, deltaPages: number): number {
  const delta = deltaPages >>> 0; // wasm reads the operand as unsigned
  const pm = charged.get(p);
  if (pm && pm.memory !== undefined) return p.kernel.vm!.userSpace.grow(pm, delta);
  // No Vm, or a defined memory before attach (a start function growing): grow as wasm would.
  if (!native) return -1;
  try {
    return native.grow(delta);
  } catch {
    return -1;
  }
}

/** Process end, after all its threads ended. */
export function releaseMemory(p: Process): void {
  const pm = charged.get(p);
  if (!pm) return;
  syncMemory(p);
  p.kernel.vm!.userSpace.release(pm);
}

export function isOutOfMemory(e: unknown): e is VmError {
  return e instanceof VmError && e.code === "ENOMEM";
}
