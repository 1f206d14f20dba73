/**
 * The V8 flags for the JSPI stacks guest threads run on (issue 6; measurements in
 * bench/threads/README.md "JSPI stack placement").
 *
 * Every guest thread is a coroutine on its own JSPI stack, and V8 maps each as one 984 KB region
 * by default. A switch touches the resumed stack's top; with 1024 threads parked in a round robin
 * that is a TLB miss per switch, and with the tops ~1 MB apart every miss also walks page-table
 * entries no other stack shares. Packed tighter (a small first segment per stack), the same
 * round robin is cheaper. Growable stacks keep the depth a guest can recurse: a stack starts at
 * 64 KB and V8 adds segments up to --stack-size (984 KB), the same limit as V8's fixed stacks.
 *
 * The flags must be set before V8 compiles any wasm (growable stacks change the code of every
 * function's stack check), hence at the first import of this module, which src/libos/wasm.ts (the
 * kernel's only door to WebAssembly) makes. bin/occlum sets the same list before it loads the
 * kernel, so that V8's code caches (which record the flags) are written and read under the same
 * flags; `npm test` names them on the runner's command line, which its test processes inherit
 * (Node compiles its own wasm, the TypeScript stripper, before any kernel module runs, and a flag
 * changed under a background compile of it can crash V8); test/libos/threads/stacks.test.ts keeps
 * the lists equal. A flag named on Node's own command line (e.g. `node
 * --wasm-stack-switching-stack-size=984 ...`) is left as given.
 */

export const JSPI_STACK_FLAGS: readonly string[] = ["--experimental-wasm-growable-stacks", "--wasm-stack-switching-stack-size=64"];

/** The option's name without "--", "no-" and a value, with "_" as "-" (V8 accepts both). */
export function flagName(arg: string): string {
  const bare = arg.replace(/^--?/, "").split("=")[0]!.replaceAll("_", "-");
  return bare.startsWith("no-") ? bare.slice(3) : bare;
}

/** The flags of JSPI_STACK_FLAGS that Node's command line does not already set. */
export function stackFlagsToApply(execArgv: readonly string[]): string[] {
  const given = new Set(execArgv.filter((a) => a.startsWith("-")).map(flagName));
  return JSPI_STACK_FLAGS.filter((f) => !given.has(flagName(f)));
}

let applied: string[] | undefined;

/** Sets the stack flags once per process; returns the ones it set. */
export function applyJspiStackFlags(): readonly string[] {
  if (applied === undefined) {
    // Flags are per process: a vCPU worker finds them set by the main thread, which loads the
    // kernel (and so this module) before it starts any worker.
    // bin/occlum sets them before it loads the kernel (and marks it so).
    // Launched: no node:worker_threads load either (it is kept off the start-up path).
    const launched = (globalThis as Record<symbol, unknown>)[Symbol.for("occlum-ts.jspiStackFlags")] === true;
    applied = !launched && process.getBuiltinModule("node:worker_threads").isMainThread ? stackFlagsToApply(process.execArgv) : [];
    if (applied.length > 0) process.getBuiltinModule("node:v8").setFlagsFromString(applied.join(" "));
  }
  return applied;
}
