/**
 * The instrumenter's contract with the loader and the kernel: the kernel imports it may add, the
 * exported fuel global, its options and its result. A leaf module so that every part of the
 * instrumenter (plan.ts, emit-*.ts) can name them; instrument.ts re-exports it all.
 */

/** Module and names of the kernel imports the instrumenter may add. */
export const KERNEL_MODULE = "occlum";
export const KernelImport = {
  futexWait32: "futex_wait32", // (i32 addr, i32 expected, i64 timeout_ns) -> i32
  futexWait64: "futex_wait64", // (i32 addr, i64 expected, i64 timeout_ns) -> i32
  futexNotify: "futex_notify", // (i32 addr, i32 count) -> i32
  yieldCheck: "yield_check", // () -> ()
  memoryGrow: "memory_grow", // (i32 delta_pages) -> i32 old size or -1: memory.grow of memory 0, charged by the kernel
} as const;
export const FUEL_EXPORT = "__occlum_fuel";
/**
 * Default calls per unit of fuel (InstrumentOptions.callsPerUnit): the fuel global counts calls,
 * and a unit of loop work (loopBudget iterations) is this many. The host's refill is in calls.
 */
export const CALLS_PER_UNIT = 64;

/** Shape of the preemption checks (see the header; the alternative is kept for the benchmark). */
export type CheckStyle = "local-counter" | "global";

export interface InstrumentOptions {
  rewriteAtomics: boolean;
  preemption: boolean;
  /** Default "local-counter" (one extra i32 local per checked function). */
  checkStyle?: CheckStyle;
  /** Initial value of the fuel global, in calls (the host resets it in yield_check). Default 1024 x callsPerUnit. */
  initialFuel?: number;
  /** Loop iterations per unit of global fuel ("local-counter"). Default 4096. */
  loopBudget?: number;
  /** Rewrite `memory.grow` of memory 0 into a call of occlum.memory_grow (the kernel charges it). */
  rewriteGrow?: boolean;
  /** Drop atomic.fence (only for modules whose threads all run on one agent; see the header). */
  elideFences?: boolean;
  /** Recursive functions pass their fuel in a parameter ("local-counter" only; fuel-pass.ts). Default true. */
  passFuel?: boolean;
  /**
   * Function entries per unit of fuel (1 to 4096; default CALLS_PER_UNIT): the fuel global
   * counts calls; a loop refill (loopBudget iterations) charges callsPerUnit, a charged function
   * entry 1 and gives the invocation's loop counter loopBudget / callsPerUnit. Why: a call of a
   * small function is ~1 ns and yield_check ~0.3 us, so a whole unit per call made fib call it
   * every microsecond (+18%) and libc qsort's comparator every ~10 us.
   */
  callsPerUnit?: number;
  /** Inline small self-recursive functions into themselves once first (inline-recursion.ts; "local-counter" only). Default true. */
  inlineRecursion?: boolean;
  /** Copies of a small plain loop's body per check ("local-counter"; 1 = no unrolling). Default 4, at most 8. */
  unroll?: number;
}

export interface InstrumentStats {
  functions: number;
  loopChecks: number;
  entryChecks: number;
  atomicCalls: number;
  helpers: number;
  growCalls?: number;
  fencesElided?: number;
  /** Fuel tests after calls of WASIX futex_wake/futex_wake_all (module-info.ts wakeImports). */
  wakeChecks?: number;
  /** Loops left without a check because each iteration starts by calling a charged function. */
  coveredLoops?: number;
  /** Loops written twice behind a test of their counter, the copy that runs at most loopBudget / callsPerUnit times unchecked (inline-recursion.ts). */
  boundedLoops?: number;
  /** Counted loops (trip-count.ts): charged their trip count once before they start, no check inside. */
  countedLoops?: number;
  /** Recursive functions given a fuel-passing clone (fuel-pass.ts). */
  fuelPassing?: number;
  /** Small plain loops unrolled once so their check runs every other iteration (also in loopChecks). */
  unrolledLoops?: number;
}

export interface InstrumentResult {
  /** The rewritten module, or the input itself when nothing needed rewriting. */
  bytes: Uint8Array;
  changed: boolean;
  /** Kernel imports (names in KernelImport) the output imports from KERNEL_MODULE. */
  imports: string[];
  /** Name of the exported fuel global, or null when preemption checks were not inserted. */
  fuelExport: string | null;
  stats: InstrumentStats;
}
