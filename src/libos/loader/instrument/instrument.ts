/**
 * The load-time instrumenter: a byte-level rewrite of a wasm module so that guest threads can run
 * as JSPI coroutines on one JS thread.
 *
 * 1. memory.atomic.wait32/wait64/notify would block the whole JS thread (or never be woken by a
 *    coroutine on the same thread), so each becomes a call to a generated helper per (opcode,
 *    offset). The helper keeps wasm's trap semantics (an atomic load with the same memarg traps on
 *    an unaligned or out-of-bounds address) and calls the suspending kernel import with addr+offset.
 * 2. Nothing preempts running wasm, so loops and calls get fuel checks that call the suspending
 *    `occlum.yield_check` now and then; the host reads the clock there, resets the module-defined
 *    i32 global exported as `__occlum_fuel`, and yields when the time slice is over. The default
 *    "local-counter" style keeps the hot path in registers:
 *    - each loop header decrements a per-invocation local counter (starting at `loopBudget`);
 *      when it runs out, one unit is charged to the global fuel and the counter is refilled;
 *    - every function that loops charges one unit to the global at entry, and so does every
 *      function in a call cycle or heading a long loop-free call chain (call-graph.ts);
 *    - a charge that takes the global below zero calls yield_check.
 *    The refill path sits outside the loop: each loop whose type takes no parameters is wrapped as
 *    `block $exit (loop $outer (block $slow (loop ...; br_if $slow on exhaustion)) refill; br
 *    $outer)`, so the loop itself contains no call (V8 optimizes call-free inner loops much better,
 *    e.g. unrolls them). Branches that leave the loop are renumbered past the 3 added labels.
 *    Refinements, each of which only removes or moves a check that another one already implies:
 *    - covered loops: a loop whose body starts (before any branch, call or other control
 *      instruction) with a direct call to a function charged at entry, or with a nested loop,
 *      has no check of its own: every iteration pays at least one unit (the callee's) or one
 *      counter decrement (the nested loop's header check, or its own covering, down to a loop
 *      that is checked). Still wrapped, with a dead refill path, since wrapping is decided when
 *      the scan reaches the loop header;
 *    - counted loops (trip-count.ts): a loop that provably runs T <= loopBudget times per entry
 *      (clang's `for (i = 0; i < 16; i++)`) subtracts T from the counter once, before it starts,
 *      and has no check inside;
 *    - small plain loops (code-scan.ts UNROLL_MAX_BODY: no control, no call, one `br_if 0`
 *      back-edge, e.g. `while (a[i] < pivot) i++`) are unrolled (`unroll` copies of the body,
 *      each leaving the loop when its condition fails) and subtract `unroll` per pass;
 *    - fuel-passing clones (fuel-pass.ts): functions in a cycle of direct calls keep the fuel in
 *      a parameter/result instead of the global (a store-to-load chain through memory on every
 *      call); yield_check runs at exactly the same charges as with the global.
 *    The bound: the global fuel (or the clone's copy of it, which is the same value) is decreased
 *    by one unit per charged function entry and per refill of a loop counter; a counter is
 *    decreased by at least one per iteration of every loop that is neither covered nor counted,
 *    by T before each run of a counted loop, and by U per pass (at most U iterations) of an
 *    unrolled loop. Loops that are
 *    covered spend at least one counter decrement or fuel unit per iteration elsewhere. A refill
 *    happens when the counter goes below zero. So between two yield_checks there are at most
 *    (fuel + 1) units, each unit at most 2 x loopBudget loop iterations plus straight-line code and
 *    calls to uncharged functions (whose work call-graph.ts bounds by WORK_LIMIT bytes of code).
 *    Functions that loop are charged at entry, so a fresh counter per invocation cannot be used to
 *    run loops forever by re-entering them.
 *    The "global" style (every loop header an inline global decrement + call) is kept for
 *    comparison: a call inside a loop costs 50-130% on tight loops (bench/instrument), the
 *    wrapped form ~0-3%. Counted loops, unrolling and fuel passing are "local-counter" only.
 *
 * 3. With `elideFences`, atomic.fence instructions are dropped. Only for a process whose threads
 *    all run on one agent (one JS thread, one vCPU): sequential execution is already sequentially
 *    consistent there, and a fence is a full barrier (mfence, ~20-40 ns on these machines). The
 *    libc's spin-before-futex-wait loops (a_spin is a fence, 100 rounds) cost microseconds per
 *    contended lock for nothing, since the holder cannot run while the spinner spins.
 *
 * Host contract: yield_check must be a WebAssembly.Suspending import that returns a Promise only
 * when it really yields (a start function runs outside `promising` and must not suspend), and it
 * refills `__occlum_fuel` (units, not time: calibrate so fuel x loopBudget is about one slice).
 * futex_wait32/64 return wasm's codes (0 ok, 1 not-equal, 2 timed-out; timeout < 0 = forever) and
 * must trap (throw) on a non-shared memory as memory.atomic.wait does; futex_notify returns the
 * number woken.
 *
 * New imports go after the existing function imports, so every defined function moves up by the
 * number of new imports: all function-index references are renumbered. New types, helpers, the fuel
 * global and its export are appended at the ends of their index spaces, so nothing else moves.
 * Everything not rewritten is copied through byte for byte. A pure function over bytes.
 */

import { ByteWriter, InstrumentError, lebEnd, readU32 } from "./bytes.ts";
import {
  AtomicOp, AtomicSites, Ev, EventList, type ScanContext, scanExpr, skipValType, UNROLL_MAX_BODY,
} from "./code-scan.ts";
import { type ModuleInfo, readModuleInfo, type Section, SectionId, sectionRank } from "./module-info.ts";
import { chargedFunctions } from "./call-graph.ts";
import { markCovered, noFuelPassing, planFuelPassing, writeCloneLocals, writeCloneType } from "./fuel-pass.ts";
import { type AddedName, rewriteNames } from "./names.ts";
import {
  collectFuncRefs, copyElements, copyExportEntries, copyGlobalEntries, copyTables, type Shift,
} from "./remap.ts";

export { InstrumentError } from "./bytes.ts";

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

/** Shape of the preemption checks (see the header; the alternative is kept for the benchmark). */
export type CheckStyle = "local-counter" | "global";

export interface InstrumentOptions {
  rewriteAtomics: boolean;
  preemption: boolean;
  /** Default "local-counter" (one extra i32 local per checked function). */
  checkStyle?: CheckStyle;
  /** Initial value of the fuel global (the host resets it in yield_check). Default 1024. */
  initialFuel?: number;
  /** Loop iterations per unit of global fuel ("local-counter"). Default 4096. */
  loopBudget?: number;
  /** Rewrite `memory.grow` of memory 0 into a call of occlum.memory_grow (the kernel charges it). */
  rewriteGrow?: boolean;
  /** Drop atomic.fence (only for modules whose threads all run on one agent; see the header). */
  elideFences?: boolean;
  /** Recursive functions pass their fuel in a parameter ("local-counter" only; fuel-pass.ts). Default true. */
  passFuel?: boolean;
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
  /** Loops left without a check because each iteration starts by calling a charged function. */
  coveredLoops?: number;
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

// Signatures of the kernel imports, in the type section's encoding; the order fixes import order.
const importSpecs: { op: AtomicOp | -1 | -2; name: string; type: number[] }[] = [
  { op: AtomicOp.Wait32, name: KernelImport.futexWait32, type: [0x60, 3, 0x7f, 0x7f, 0x7e, 1, 0x7f] },
  { op: AtomicOp.Wait64, name: KernelImport.futexWait64, type: [0x60, 3, 0x7f, 0x7e, 0x7e, 1, 0x7f] },
  { op: AtomicOp.Notify, name: KernelImport.futexNotify, type: [0x60, 2, 0x7f, 0x7f, 1, 0x7f] },
  { op: -1, name: KernelImport.yieldCheck, type: [0x60, 0, 0] },
  { op: -2, name: KernelImport.memoryGrow, type: [0x60, 1, 0x7f, 1, 0x7f] },
];

/** Per-function facts from the scan (parallel typed arrays, one slot per body). */
interface Bodies {
  count: number;
  /** Start of the locals vector (after the body size). */
  start: Uint32Array;
  /** After the locals vector count. */
  vecEnd: Uint32Array;
  /** First instruction. */
  instr: Uint32Array;
  end: Uint32Array;
  localEntries: Uint32Array;
  /** Declared locals (sum of counts), for the index of an added local. */
  locals: Float64Array;
  firstEvent: Uint32Array;
  sawCall: Uint8Array;
  sawIndirect: Uint8Array;
  sawTail: Uint8Array;
  loops: Uint32Array;
}

function scanBodies(b: Uint8Array, code: Section, info: ModuleInfo, ctx: ScanContext): Bodies {
  const n = readU32(b, code.start);
  let p = lebEnd[0]!;
  if (n !== info.funcTypes.length) throw new InstrumentError("function and code section counts differ", p);
  const bodies: Bodies = {
    count: n, start: new Uint32Array(n), vecEnd: new Uint32Array(n), instr: new Uint32Array(n),
    end: new Uint32Array(n), localEntries: new Uint32Array(n), locals: new Float64Array(n),
    firstEvent: new Uint32Array(n + 1), sawCall: new Uint8Array(n), sawIndirect: new Uint8Array(n),
    sawTail: new Uint8Array(n), loops: new Uint32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const size = readU32(b, p);
    const start = lebEnd[0]!;
    const end = start + size;
    if (end > code.end) throw new InstrumentError(`body of defined function ${i} runs past the code section`, p);
    let entries = readU32(b, start);
    let q = lebEnd[0]!;
    bodies.start[i] = start;
    bodies.vecEnd[i] = q;
    bodies.localEntries[i] = entries;
    let locals = 0;
    for (; entries > 0; entries--) {
      locals += readU32(b, q);
      q = skipValType(b, lebEnd[0]!);
    }
    bodies.locals[i] = locals;
    bodies.instr[i] = q;
    bodies.end[i] = end;
    bodies.firstEvent[i] = ctx.events.count;
    const after = scanExpr(b, q, end, ctx);
    if (after !== end) throw new InstrumentError(`body of defined function ${i} ends before its size`, after);
    bodies.sawCall[i] = ctx.sawCall ? 1 : 0;
    bodies.sawIndirect[i] = ctx.sawIndirect ? 1 : 0;
    bodies.sawTail[i] = ctx.sawTailCall ? 1 : 0;
    bodies.loops[i] = ctx.loopCount;
    p = end;
  }
  bodies.firstEvent[n] = ctx.events.count;
  if (p !== code.end) throw new InstrumentError("code section size mismatch", p);
  return bodies;
}

/** Bytes of uncharged straight-line work a call chain may accumulate (see call-graph.ts). */
const WORK_LIMIT = 20_000;

function entryCharges(
  b: Uint8Array, info: ModuleInfo, bodies: Bodies, events: EventList, style: CheckStyle, cyclic: Uint8Array,
): Uint8Array {
  const n = bodies.count;
  const addressTaken = new Uint8Array(n);
  const take = (idx: number): void => {
    if (idx >= info.importedFuncs && idx - info.importedFuncs < n) addressTaken[idx - info.importedFuncs] = 1;
  };
  const d = events.data;
  for (let e = 0; e < events.count; e++) if (d[e * 4] === Ev.RefFunc) take(d[e * 4 + 3]!);
  collectFuncRefs(b, info.sections, take);
  const size = new Uint32Array(n);
  const forced = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    size[i] = bodies.end[i]! - bodies.start[i]!;
    forced[i] = style === "local-counter" && bodies.loops[i]! > 0 ? 1 : 0;
  }
  return chargedFunctions({
    count: n, firstDefined: info.importedFuncs, events, firstEvent: bodies.firstEvent, sawCall: bodies.sawCall,
    sawIndirect: bodies.sawIndirect, size, addressTaken, forced, cyclic,
  }, WORK_LIMIT);
}

/**
 * Per defined function: 1 when it is in a cycle of direct calls alone. Fuel-passing clones are
 * made only for these: a function reached through the table is called through its wrapper (a
 * global load and store, and one more call), which would cost callers through call_indirect more
 * than the clone saves (in LLVM, 83% of the functions share one cycle through the table).
 */
function directCycles(bodies: Bodies, events: EventList, importedFuncs: number): Uint8Array {
  const n = bodies.count;
  const none = new Uint8Array(n);
  const cyclic = new Uint8Array(n);
  chargedFunctions({
    count: n, firstDefined: importedFuncs, events, firstEvent: bodies.firstEvent, sawCall: bodies.sawCall,
    sawIndirect: none, size: new Uint32Array(n), addressTaken: none, forced: none, cyclic,
  }, Infinity);
  return cyclic;
}

const noStats: InstrumentStats = { functions: 0, loopChecks: 0, entryChecks: 0, atomicCalls: 0, helpers: 0 };

export function instrument(input: Uint8Array, options: InstrumentOptions): InstrumentResult {
  const b = input;
  const info = readModuleInfo(b);
  const codeSection = info.sections.find((s) => s.id === SectionId.Code);
  const unchanged = (): InstrumentResult =>
    ({ bytes: input, changed: false, imports: [], fuelExport: null, stats: { ...noStats } });
  if (!codeSection || (!options.rewriteAtomics && !options.preemption && !options.rewriteGrow && !options.elideFences)) return unchanged();

  const events = new EventList();
  const sites = options.rewriteAtomics ? new AtomicSites() : null;
  const style: CheckStyle = options.checkStyle ?? "local-counter";
  const loopBudget = options.loopBudget ?? 4096;
  const unroll = Math.max(1, Math.min(8, Math.floor(options.unroll ?? 4)));
  const ctx: ScanContext = {
    events, funcRefMin: info.importedFuncs, loops: options.preemption, atomics: sites, sawCall: false, sawIndirect: false,
    loopCount: 0, wrapLoops: style === "local-counter", typeParams: info.typeParams, countLimit: loopBudget,
    unrollBody: unroll > 1 ? UNROLL_MAX_BODY : 0,
    grows: (options.rewriteGrow ?? false) && !info.memory0Is64, fences: options.elideFences ?? false,
  };
  const bodies = scanBodies(b, codeSection, info, ctx);

  // Decide what gets added.
  let anyLoop = false;
  for (let i = 0; i < bodies.count && !anyLoop; i++) anyLoop = bodies.loops[i]! > 0;
  const cyclic = new Uint8Array(bodies.count);
  const charged = options.preemption ? entryCharges(b, info, bodies, events, style, cyclic) : new Uint8Array(0);
  const preempt = options.preemption && (anyLoop || charged.includes(1));
  // A loop whose every iteration starts by calling a function charged at entry needs no check of
  // its own: each iteration already costs one unit. Marked per Loop event; `counted[i]`: function
  // i has a loop that still counts iterations (so its counter needs initializing).
  const covered = new Uint8Array(preempt ? events.count : 0);
  const counted = new Uint8Array(bodies.count);
  if (preempt) {
    const d = events.data;
    markCovered(events, 0, events.count, info.importedFuncs, charged, covered);
    for (let i = 0; i < bodies.count; i++) {
      for (let e = bodies.firstEvent[i]!, last = bodies.firstEvent[i + 1]!; e < last && !counted[i]; e++) {
        if (d[e * 4] === Ev.Loop && !covered[e]) counted[i] = 1;
      }
    }
  }
  const opsUsed = new Set<number>(sites?.ops ?? []);
  if (opsUsed.size > 0 && info.memory0Is64) {
    throw new InstrumentError("memory.atomic wait/notify on a 64-bit memory is not supported");
  }
  let grows = false;
  let fences = false;
  for (let e = 0; e < events.count && !(grows && fences); e++) {
    const kind = events.data[e * 4];
    if (kind === Ev.Grow) grows = true;
    else if (kind === Ev.Fence) fences = true;
  }
  const specs = importSpecs.filter((s) => (s.op === -1 ? preempt : s.op === -2 ? grows : opsUsed.has(s.op as AtomicOp)));
  if (specs.length === 0 && !fences) return unchanged();
  if (preempt && info.exportNames.has(FUEL_EXPORT)) {
    throw new InstrumentError(`module already exports ${FUEL_EXPORT} (instrumented twice?)`);
  }

  const K = specs.length;
  const shift: Shift = { from: info.importedFuncs, by: K };
  const definedFuncs = bodies.count;
  const importIndex = new Map<string, number>();
  const typeIndex = new Map<string, number>();
  specs.forEach((s, i) => {
    importIndex.set(s.name, info.importedFuncs + i);
    typeIndex.set(s.name, info.typeCount + i);
  });
  const helperBase = info.importedFuncs + K + definedFuncs;
  const helperCount = sites?.size ?? 0;
  const fuelGlobal = info.importedGlobals + info.definedGlobals;
  const yieldIndex = preempt ? importIndex.get(KernelImport.yieldCheck)! : -1;
  const stats: InstrumentStats = { functions: definedFuncs, loopChecks: 0, entryChecks: 0, atomicCalls: 0, helpers: helperCount };
  const fp = preempt && style === "local-counter" && (options.passFuel ?? true) && !ctx.sawEH
    ? planFuelPassing(b, info, bodies, directCycles(bodies, events, info.importedFuncs), charged,
      { ...ctx, events: new EventList(), localEvents: true })
    : noFuelPassing(bodies.count);
  const cloneBase = helperBase + helperCount;
  const cloneTypeBase = info.typeCount + K;
  if (fp.clones.length > 0) stats.fuelPassing = fp.clones.length;

  const out = new ByteWriter(b.length + (b.length >> 2) + 1024);
  out.range(b, 0, 8);

  const specOf = (op: AtomicOp) => importSpecs.find((s) => s.op === op)!;

  // --- writers for each section we touch -------------------------------------------------------
  const section = (id: number, body: () => void): void => {
    out.byte(id);
    const mark = out.reserveLength();
    body();
    out.patchLength(mark);
  };
  const vecWith = (s: Section | undefined, extra: number, copyEntries: (p: number, n: number) => void): void => {
    let n = 0;
    let p = 0;
    if (s) {
      n = readU32(b, s.start);
      p = lebEnd[0]!;
    }
    out.u32(n + extra);
    if (s) copyEntries(p, n);
  };

  const writeTypes = (s?: Section) => section(SectionId.Type, () => {
    vecWith(s, K + fp.types.length, (p) => out.range(b, p, s!.end));
    for (const spec of specs) out.bytes(spec.type);
    for (const t of fp.types) writeCloneType(b, info, t, out);
  });
  const writeImports = (s?: Section) => section(SectionId.Import, () => {
    vecWith(s, K, (p) => out.range(b, p, s!.end));
    for (const spec of specs) {
      out.name(KERNEL_MODULE);
      out.name(spec.name);
      out.byte(0);
      out.u32(typeIndex.get(spec.name)!);
    }
  });
  const writeFunctions = (s?: Section) => section(SectionId.Function, () => {
    vecWith(s, helperCount + fp.clones.length, (p) => out.range(b, p, s!.end));
    for (let j = 0; j < helperCount; j++) out.u32(typeIndex.get(specOf(sites!.ops[j]!).name)!);
    for (const i of fp.clones) out.u32(cloneTypeBase + fp.typeSlot.get(info.funcTypes[i]!)!);
  });
  const writeGlobals = (s?: Section) => section(SectionId.Global, () => {
    vecWith(s, preempt ? 1 : 0, (p, n) => copyGlobalEntries(b, p, s!.end, n, out, shift));
    if (preempt) {
      out.bytes([0x7f, 0x01, 0x41]);
      out.i32(options.initialFuel ?? 1024);
      out.byte(0x0b);
    }
  });
  const writeExports = (s?: Section) => section(SectionId.Export, () => {
    vecWith(s, preempt ? 1 : 0, (p, n) => copyExportEntries(b, p, s!.end, n, out, shift));
    if (preempt) {
      out.name(FUEL_EXPORT);
      out.byte(0x03);
      out.u32(fuelGlobal);
    }
  });

  // global.get F; i32.const 1; i32.sub; local.tee T; global.set F; local.get T; i32.const 0;
  // i32.lt_s; if; call yield_check; end
  const emitGlobalCheck = (tmp: number): void => {
    out.byte(0x23); out.u32(fuelGlobal);
    out.byte(0x41); out.byte(0x01); out.byte(0x6b);
    out.byte(0x22); out.u32(tmp);
    out.byte(0x24); out.u32(fuelGlobal);
    out.byte(0x20); out.u32(tmp);
    out.byte(0x41); out.byte(0x00); out.byte(0x48);
    out.byte(0x04); out.byte(0x40);
    out.byte(0x10); out.u32(yieldIndex);
    out.byte(0x0b);
  };
  // i32.const B; local.set C
  const emitCounterInit = (counter: number): void => {
    out.byte(0x41); out.i32(loopBudget);
    out.byte(0x21); out.u32(counter);
  };
  // local.get C; i32.const n; i32.sub; local.tee C; i32.const 0; i32.lt_s
  const emitCounterDecrement = (counter: number, n = 1): void => {
    out.byte(0x20); out.u32(counter);
    out.byte(0x41); out.i32(n); out.byte(0x6b);
    out.byte(0x22); out.u32(counter);
    out.byte(0x41); out.byte(0x00); out.byte(0x48);
  };
  // In a fuel-passing clone the fuel lives in local F; it goes to the global only around
  // yield_check: local.get F; i32.const 1; i32.sub; local.tee F; i32.const 0; i32.lt_s; if;
  // local.get F; global.set G; call yield_check; global.get G; local.set F; end
  const emitFuelCharge = (fuel: number): void => {
    out.byte(0x20); out.u32(fuel);
    out.byte(0x41); out.byte(0x01); out.byte(0x6b);
    out.byte(0x22); out.u32(fuel);
    out.byte(0x41); out.byte(0x00); out.byte(0x48);
    out.byte(0x04); out.byte(0x40);
    emitSyncOut(fuel);
    out.byte(0x10); out.u32(yieldIndex);
    emitSyncIn(fuel);
    out.byte(0x0b);
  };
  const emitSyncOut = (fuel: number): void => {
    out.byte(0x20); out.u32(fuel);
    out.byte(0x24); out.u32(fuelGlobal);
  };
  const emitSyncIn = (fuel: number): void => {
    out.byte(0x23); out.u32(fuelGlobal);
    out.byte(0x21); out.u32(fuel);
  };
  // Counter ran out: charge one unit of fuel (yield_check below zero), refill the counter.
  // `fuel` < 0: the global (counter doubles as the temporary); else the clone's fuel local.
  const emitRefill = (counter: number, fuel: number): void => {
    if (fuel >= 0) emitFuelCharge(fuel);
    else emitGlobalCheck(counter);
    emitCounterInit(counter);
  };
  // decrement; if; refill; end (for loops that cannot be wrapped: their type takes parameters)
  const emitLocalCheck = (counter: number, fuel: number): void => {
    emitCounterDecrement(counter);
    out.byte(0x04); out.byte(0x40);
    emitRefill(counter, fuel);
    out.byte(0x0b);
  };

  /**
   * Copy [from, to) of a plain loop body, applying its events [e0, e1) (the only kinds a plain
   * body can hold: local renumbering in a clone, memory.grow, fences, atomics).
   */
  const copyPlain = (
    ev: EventList, from: number, to: number, e0: number, e1: number, moved: number, count: boolean,
  ): void => {
    const d = ev.data;
    let c = from;
    for (let k = e0; k < e1; k++) {
      const kind = d[k * 4]!;
      const a = d[k * 4 + 1]!;
      if (kind === Ev.Local && moved < 0) continue;
      out.range(b, c, a);
      c = d[k * 4 + 2]!;
      if (kind === Ev.Local) {
        out.u32(moved);
      } else if (kind === Ev.Grow) {
        out.byte(0x10); out.u32(importIndex.get(KernelImport.memoryGrow)!);
        if (count) stats.growCalls = (stats.growCalls ?? 0) + 1;
      } else if (kind === Ev.Fence) {
        if (count) stats.fencesElided = (stats.fencesElided ?? 0) + 1;
      } else if (kind === Ev.Atomic) {
        out.byte(0x10); out.u32(helperBase + d[k * 4 + 3]!);
        if (count) stats.atomicCalls++;
      } else {
        throw new InstrumentError(`event ${kind} in a plain loop body`, a);
      }
    }
    out.range(b, c, to);
  };

  /**
   * One function body: defined function i's instrumented body, or (`clone`) its fuel-passing
   * clone, from the events [first, last) of `ev` (`cov`: covered flag per event index).
   */
  const emitBody = (i: number, ev: EventList, first: number, last: number, cov: Uint8Array, clone: boolean): void => {
    const d = ev.data;
    const mark = out.reserveLength();
    const loops = preempt && bodies.loops[i]! > 0;
    const params = info.typeParams[info.funcTypes[i]!]!;
    const declared = bodies.locals[i]!;
    // Clone: the fuel is parameter `params`; the declared local that had that index moves to the
    // end (`moved`), so every other local keeps its index (fuel-pass.ts).
    const fuel = clone ? params : -1;
    const moved = clone && declared > 0 ? params + declared : -1;
    const entryCheck = preempt && charged[i] === 1;
    let tmp = -1;
    if (clone) {
      tmp = params + 1 + declared;
      writeCloneLocals(b, bodies.vecEnd[i]!, bodies.localEntries[i]!, out);
    } else if (entryCheck || loops) {
      tmp = params + declared;
      out.u32(bodies.localEntries[i]! + 1);
      out.range(b, bodies.vecEnd[i]!, bodies.instr[i]!);
      out.byte(1); out.byte(0x7f);
    } else {
      out.range(b, bodies.start[i]!, bodies.instr[i]!);
    }
    // The clone's body is a block (the function's results) so that `return` can become a branch
    // out of it, followed by the fuel result.
    if (clone) { out.byte(0x02); out.byte(fp.blockType.get(info.funcTypes[i]!)!); }
    if (entryCheck) {
      if (clone) emitFuelCharge(fuel);
      else emitGlobalCheck(tmp);
      stats.entryChecks++;
    }
    if (loops && style === "local-counter" && counted[i]) emitCounterInit(tmp);
    // Covered flags of the wrapped loops enclosing the current position (innermost last).
    const wrapCovered: number[] = [];
    let cur = bodies.instr[i]!;
    for (let e = first; e < last; e++) {
      const kind = d[e * 4]!;
      const a = d[e * 4 + 1]!;
      if (kind === Ev.Loop) {
        const after = d[e * 4 + 2]!;
        const trips = d[e * 4 + 3]! >>> 2;
        if (d[e * 4 + 3]! & 2) {
          // Unrolled plain loop (U copies of its body P, which leaves the loop condition):
          // loop; check (U iterations); P; if; P; if; ... P; br_if $loop; end ... end
          let le = e + 1;
          while (d[le * 4] !== Ev.LoopEnd) le++;
          const endPos = d[le * 4 + 1]!;
          out.range(b, cur, a);
          out.byte(0x02); out.range(b, a + 1, after);
          out.byte(0x03); out.byte(0x40);
          out.byte(0x02); out.byte(0x40);
          out.range(b, a, after);
          emitCounterDecrement(tmp, unroll);
          out.byte(0x0d); out.byte(0x01); // br_if $slow
          for (let k = 0; k < unroll; k++) {
            copyPlain(ev, after, endPos - 2, e + 1, le, moved, k === 0); // up to the br_if 0 (2 bytes)
            if (k < unroll - 1) { out.byte(0x04); out.byte(0x40); }
          }
          out.byte(0x0d); out.u32(unroll - 1); // br_if $loop (from inside the ifs)
          for (let k = 1; k < unroll; k++) out.byte(0x0b);
          wrapCovered.push(0);
          stats.loopChecks++;
          stats.unrolledLoops = (stats.unrolledLoops ?? 0) + 1;
          cur = endPos;
          e = le - 1;
          continue;
        }
        if (d[e * 4 + 3]! & 1) {
          // block $exit (loop's type); loop $outer; block $slow; loop (original) + check
          out.range(b, cur, a);
          out.byte(0x02); out.range(b, a + 1, after);
          out.byte(0x03); out.byte(0x40);
          out.byte(0x02); out.byte(0x40);
          if (!cov[e] && trips > 0) {
            // A counted loop pays for all its iterations before it starts; after a refill
            // ($slow, then $outer) it pays again from the full counter, so it always enters.
            emitCounterDecrement(tmp, trips);
            out.byte(0x0d); out.byte(0x00); // br_if $slow
          }
          out.range(b, a, after);
          wrapCovered.push(cov[e]!);
          if (!cov[e] && trips === 0) {
            emitCounterDecrement(tmp);
            out.byte(0x0d); out.byte(0x01); // br_if $slow
          }
        } else {
          out.range(b, cur, after);
          if (cov[e]) { /* the call at the top of the body charges each iteration */ }
          else if (style === "local-counter") emitLocalCheck(tmp, fuel);
          else emitGlobalCheck(tmp);
        }
        // (Each function's body is emitted once: as itself or as its clone.)
        if (cov[e]) stats.coveredLoops = (stats.coveredLoops ?? 0) + 1;
        else if (trips > 0 && d[e * 4 + 3]! & 1) stats.countedLoops = (stats.countedLoops ?? 0) + 1;
        else stats.loopChecks++;
        cur = after;
      } else if (kind === Ev.LoopEnd) {
        // end (loop); br $exit; end $slow; refill; br $outer; end; unreachable; end
        out.range(b, cur, a + 1);
        out.byte(0x0c); out.byte(0x02);
        out.byte(0x0b);
        if (wrapCovered.pop()) {
          out.byte(0x00); // $slow is never taken: the labels stay so branch renumbering holds
        } else {
          emitRefill(tmp, fuel);
          out.byte(0x0c); out.byte(0x00);
        }
        out.byte(0x0b);
        out.byte(0x00);
        out.byte(0x0b);
        cur = a + 1;
      } else if (kind === Ev.Label) {
        out.range(b, cur, a);
        out.u32(d[e * 4 + 3]!);
        cur = d[e * 4 + 2]!;
      } else if (kind === Ev.FuncRef || kind === Ev.RefFunc) {
        const idx = d[e * 4 + 3]!;
        const callee = idx - info.importedFuncs;
        if (clone && kind === Ev.FuncRef && b[a - 1] === 0x10 && callee < bodies.count) {
          out.range(b, cur, a - 1);
          const j = fp.cloneOf[callee]!;
          if (j >= 0) { // fuel in, fuel out: local.get F; call clone; local.set F
            out.byte(0x20); out.u32(fuel);
            out.byte(0x10); out.u32(cloneBase + j);
            out.byte(0x21); out.u32(fuel);
          } else if (fp.touchesFuel[callee]) {
            emitSyncOut(fuel);
            out.byte(0x10); out.u32(idx + K);
            emitSyncIn(fuel);
          } else {
            out.byte(0x10); out.u32(idx + K);
          }
        } else {
          out.range(b, cur, a);
          out.u32(idx + K);
        }
        cur = d[e * 4 + 2]!;
      } else if (kind === Ev.Local) {
        if (!clone) continue;
        out.range(b, cur, a);
        out.u32(moved);
        cur = d[e * 4 + 2]!;
      } else if (kind === Ev.Return) {
        if (!clone) continue;
        out.range(b, cur, a);
        out.byte(0x0c); out.u32(d[e * 4 + 3]!); // br to the body block
        cur = a + 1;
      } else if (kind === Ev.CallInd) {
        if (!clone) continue;
        const end = d[e * 4 + 2]!;
        out.range(b, cur, a);
        emitSyncOut(fuel);
        out.range(b, a, end);
        emitSyncIn(fuel);
        cur = end;
      } else if (kind === Ev.Grow) {
        out.range(b, cur, a);
        out.byte(0x10);
        out.u32(importIndex.get(KernelImport.memoryGrow)!);
        stats.growCalls = (stats.growCalls ?? 0) + 1;
        cur = d[e * 4 + 2]!;
      } else if (kind === Ev.Fence) {
        out.range(b, cur, a);
        stats.fencesElided = (stats.fencesElided ?? 0) + 1;
        cur = d[e * 4 + 2]!;
      } else if (kind === Ev.Atomic) {
        out.range(b, cur, a);
        out.byte(0x10);
        out.u32(helperBase + d[e * 4 + 3]!);
        stats.atomicCalls++;
        cur = d[e * 4 + 2]!;
      }
    }
    out.range(b, cur, bodies.end[i]!);
    if (clone) { out.byte(0x20); out.u32(fuel); out.byte(0x0b); } // the body block's end was copied
    out.patchLength(mark);
  };

  // The original index of a cloned function keeps its callers outside the cycle (exports, tables,
  // other functions): local.get params; global.get G; call clone; global.set G
  const emitWrapper = (i: number): void => {
    const mark = out.reserveLength();
    out.byte(0);
    const params = info.typeParams[info.funcTypes[i]!]!;
    for (let l = 0; l < params; l++) { out.byte(0x20); out.u32(l); }
    out.byte(0x23); out.u32(fuelGlobal);
    out.byte(0x10); out.u32(cloneBase + fp.cloneOf[i]!);
    out.byte(0x24); out.u32(fuelGlobal);
    out.byte(0x0b);
    out.patchLength(mark);
  };

  const writeCode = (s: Section) => section(SectionId.Code, () => {
    out.u32(bodies.count + helperCount + fp.clones.length);
    for (let i = 0; i < bodies.count; i++) {
      if (fp.cloneOf[i]! >= 0) emitWrapper(i);
      else emitBody(i, events, bodies.firstEvent[i]!, bodies.firstEvent[i + 1]!, covered, false);
    }
    for (let j = 0; j < helperCount; j++) writeHelper(sites!.ops[j]!, sites!.offsets[j]!);
    fp.clones.forEach((i, j) => emitBody(i, fp.events, fp.firstEvent[j]!, fp.firstEvent[j + 1]!, fp.covered, true));
    void s;
  });

  const writeHelper = (op: AtomicOp, offset: number): void => {
    const mark = out.reserveLength();
    out.byte(0); // no locals
    // Trap exactly as the original would on a misaligned or out-of-bounds address.
    out.byte(0x20); out.byte(0);
    out.byte(0xfe); out.byte(op === AtomicOp.Wait64 ? 0x11 : 0x10); out.byte(op === AtomicOp.Wait64 ? 3 : 2);
    out.u32(offset);
    out.byte(0x1a);
    out.byte(0x20); out.byte(0);
    if (offset !== 0) {
      out.byte(0x41); out.i32(offset); out.byte(0x6a);
    }
    out.byte(0x20); out.byte(1);
    if (op !== AtomicOp.Notify) { out.byte(0x20); out.byte(2); }
    out.byte(0x10); out.u32(importIndex.get(specOf(op).name)!);
    out.byte(0x0b);
    out.patchLength(mark);
  };

  const writeNames = (s: Section): void => {
    const added: AddedName[] = specs.map((spec) => ({
      index: importIndex.get(spec.name)!, name: `${KERNEL_MODULE}.${spec.name}`,
    }));
    for (let j = 0; j < helperCount; j++) {
      const name = specOf(sites!.ops[j]!).name;
      added.push({ index: helperBase + j, name: `__occlum_${name}_off${sites!.offsets[j]}` });
    }
    fp.clones.forEach((i, j) => added.push({
      index: cloneBase + j, name: `__occlum_fuel_pass_${i + info.importedFuncs}`, nameOf: i + info.importedFuncs,
    }));
    const tmp = new ByteWriter(s.end - s.start + 256);
    try {
      rewriteNames(b, s.contentStart!, s.end, tmp, shift.from, shift.by, added);
    } catch (e) {
      if (e instanceof InstrumentError) return; // a broken name section is dropped: names are advisory
      throw e;
    }
    out.byte(0);
    const mark = out.reserveLength();
    out.name("name");
    out.range(tmp.buf, 0, tmp.len);
    out.patchLength(mark);
  };

  // Sections we must create when the module lacks them, by id.
  const synthesize = new Map<number, () => void>([
    [SectionId.Type, () => writeTypes()],
    [SectionId.Import, () => writeImports()],
  ]);
  if (helperCount > 0 || fp.clones.length > 0) synthesize.set(SectionId.Function, () => writeFunctions());
  if (preempt) {
    synthesize.set(SectionId.Global, () => writeGlobals());
    synthesize.set(SectionId.Export, () => writeExports());
  }
  const flushBefore = (rank: number): void => {
    for (const [id, write] of synthesize) {
      if (sectionRank[id]! < rank) {
        synthesize.delete(id);
        write();
      }
    }
  };

  for (const s of info.sections) {
    if (s.id !== SectionId.Custom) {
      flushBefore(sectionRank[s.id]!);
      synthesize.delete(s.id);
    }
    switch (s.id) {
      case SectionId.Type: writeTypes(s); break;
      case SectionId.Import: writeImports(s); break;
      case SectionId.Function: writeFunctions(s); break;
      case SectionId.Table: section(s.id, () => copyTables(b, s.start, s.end, out, shift)); break;
      case SectionId.Global: writeGlobals(s); break;
      case SectionId.Export: writeExports(s); break;
      case SectionId.Start: section(s.id, () => {
        const idx = readU32(b, s.start);
        out.u32(idx >= shift.from ? idx + K : idx);
      }); break;
      case SectionId.Element: section(s.id, () => copyElements(b, s.start, s.end, out, shift)); break;
      case SectionId.Code: writeCode(s); break;
      case SectionId.Custom:
        if (s.name === "name") writeNames(s);
        // Code-offset metadata would point into the wrong instructions now: drop it.
        else if (!s.name!.startsWith("metadata.code.")) out.range(b, s.headerStart, s.end);
        break;
      default: out.range(b, s.headerStart, s.end);
    }
  }
  flushBefore(Infinity);

  return {
    bytes: out.finish(), changed: true, imports: specs.map((s) => s.name),
    fuelExport: preempt ? FUEL_EXPORT : null, stats,
  };
}
