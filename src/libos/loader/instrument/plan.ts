/**
 * The instrumenter's decisions, made before a byte is written: scan every body (code-scan.ts),
 * then decide which functions are charged at entry (call-graph.ts), which loops are covered or
 * counted, which functions get fuel-passing clones (fuel-pass.ts), which kernel imports are added,
 * and where every added import, type, helper, clone and the fuel global land in their index
 * spaces. emit-module.ts writes what the Plan says; instrument.ts (its header) explains why.
 */

import { InstrumentError, lebEnd, readU32 } from "./bytes.ts";
import { chargedFunctions } from "./call-graph.ts";
import {
  AtomicOp, AtomicSites, Ev, EventList, type ScanContext, scanExpr, UNROLL_MAX_BODY,
} from "./code-scan.ts";
import {
  CALLS_PER_UNIT, type CheckStyle, FUEL_EXPORT, type InstrumentOptions, type InstrumentStats, KernelImport,
} from "./contract.ts";
import { type FuelPassing, markCovered, noFuelPassing, planFuelPassing } from "./fuel-pass.ts";
import { funcTypeClasses, type ModuleInfo, readModuleInfo, type Section, SectionId } from "./module-info.ts";
import { skipValType } from "./opcodes.ts";
import { collectFuncRefs, type Shift } from "./remap.ts";

/** One kernel import the instrumenter may add; `op`: the atomic it serves, -1 yield_check, -2 memory_grow. */
export interface ImportSpec { op: AtomicOp | -1 | -2; name: string; type: number[] }

// Signatures of the kernel imports, in the type section's encoding; the order fixes import order.
const importSpecs: ImportSpec[] = [
  { op: AtomicOp.Wait32, name: KernelImport.futexWait32, type: [0x60, 3, 0x7f, 0x7f, 0x7e, 1, 0x7f] },
  { op: AtomicOp.Wait64, name: KernelImport.futexWait64, type: [0x60, 3, 0x7f, 0x7e, 0x7e, 1, 0x7f] },
  { op: AtomicOp.Notify, name: KernelImport.futexNotify, type: [0x60, 2, 0x7f, 0x7f, 1, 0x7f] },
  { op: -1, name: KernelImport.yieldCheck, type: [0x60, 0, 0] },
  { op: -2, name: KernelImport.memoryGrow, type: [0x60, 1, 0x7f, 1, 0x7f] },
];

/** The kernel import that an atomic's helper calls. */
export const specOf = (op: AtomicOp): ImportSpec => importSpecs.find((s) => s.op === op)!;

/** Per-function facts from the scan (parallel typed arrays, one slot per body). */
export interface Bodies {
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
  // The scan recorded each indirect call's type (ScanContext.callTypes): a call reaches only the
  // functions of its type class (call-graph.ts).
  const classes = funcTypeClasses(b, info);
  return chargedFunctions({
    count: n, firstDefined: info.importedFuncs, events, firstEvent: bodies.firstEvent, sawCall: bodies.sawCall,
    sawIndirect: bodies.sawIndirect, size, addressTaken, forced, cyclic,
    typed: classes ? { ...classes, funcTypes: info.funcTypes } : undefined,
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

/** Everything the emitter needs: the scan's results, the decisions, and the output's index layout. */
export interface Plan {
  info: ModuleInfo;
  options: InstrumentOptions;
  style: CheckStyle;
  loopBudget: number;
  /** Copies of an unrolled loop's body. */
  unroll: number;
  /** Calls per unit of loop work: a loop refill charges this much fuel, a function entry 1. */
  callsPerUnit: number;
  bodies: Bodies;
  events: EventList;
  sites: AtomicSites | null;
  /** Per defined function: 1 when charged at entry (empty without preemption). */
  charged: Uint8Array;
  /** Preemption checks are inserted (there is a loop or a charged function). */
  preempt: boolean;
  /** Per event: 1 on the Loop event of a covered loop. */
  covered: Uint8Array;
  /** Per defined function: 1 when it has a loop that counts iterations (its counter needs initializing). */
  counted: Uint8Array;
  /** The kernel imports added, in import order. */
  specs: ImportSpec[];
  /** Number of added imports: every defined function index moves up by K. */
  K: number;
  shift: Shift;
  importIndex: Map<string, number>;
  typeIndex: Map<string, number>;
  helperBase: number;
  helperCount: number;
  fuelGlobal: number;
  yieldIndex: number;
  fp: FuelPassing;
  cloneBase: number;
  cloneTypeBase: number;
  /**
   * The clones' out-of-line yield path, `(i32 fuel) -> i32 fuel`, and its type (-1 without
   * clones): after all clones, and after all clone types.
   */
  refuelIndex: number;
  refuelType: number;
  /** Filled in here (counts) and by the emitter (what it inserts). */
  stats: InstrumentStats;
}

/**
 * Loops of `bounded` (inline-recursion.ts: at most loopBudget / callsPerUnit iterations per entry)
 * in events [from, to) of a function charged at entry: its entry pays for them, as for the first
 * iterations of any loop of an invocation, so they need no check of their own. Returns how many.
 */
function markBounded(ev: EventList, from: number, to: number, bounded: ReadonlySet<number>, covered: Uint8Array): number {
  let n = 0;
  for (let e = from; e < to; e++) {
    if (ev.data[e * 4] === Ev.Loop && bounded.has(ev.data[e * 4 + 1]!) && !covered[e]) {
      covered[e] = 1;
      n++;
    }
  }
  return n;
}

/**
 * Decide what to add to module `b`; null when nothing needs rewriting. `bounded`: positions of
 * loops that run at most loopBudget / callsPerUnit times per entry (inline-recursion.ts).
 */
export function planInstrument(b: Uint8Array, options: InstrumentOptions, bounded: ReadonlySet<number> = new Set()): Plan | null {
  const info = readModuleInfo(b);
  const codeSection = info.sections.find((s) => s.id === SectionId.Code);
  if (!codeSection || (!options.rewriteAtomics && !options.preemption && !options.rewriteGrow && !options.elideFences)) return null;

  const events = new EventList();
  const sites = options.rewriteAtomics ? new AtomicSites() : null;
  const style: CheckStyle = options.checkStyle ?? "local-counter";
  const loopBudget = options.loopBudget ?? 4096;
  const unroll = Math.max(1, Math.min(8, Math.floor(options.unroll ?? 4)));
  const callsPerUnit = options.callsPerUnit ?? CALLS_PER_UNIT;
  if (!Number.isInteger(callsPerUnit) || callsPerUnit < 1 || callsPerUnit > 4096) {
    throw new InstrumentError(`callsPerUnit must be an integer from 1 to 4096 (got ${callsPerUnit})`);
  }
  const ctx: ScanContext = {
    events, funcRefMin: info.importedFuncs, loops: options.preemption, atomics: sites, sawCall: false, sawIndirect: false,
    loopCount: 0, wrapLoops: style === "local-counter", typeParams: info.typeParams, countLimit: loopBudget,
    unrollBody: unroll > 1 ? UNROLL_MAX_BODY : 0,
    grows: (options.rewriteGrow ?? false) && !info.memory0Is64, fences: options.elideFences ?? false,
    callTypes: options.preemption, ...(options.preemption && info.wakeImports.size > 0 ? { wakeImports: info.wakeImports } : {}),
  };
  const bodies = scanBodies(b, codeSection, info, ctx);

  // Decide what gets added.
  let anyLoop = false;
  for (let i = 0; i < bodies.count && !anyLoop; i++) anyLoop = bodies.loops[i]! > 0;
  const cyclic = new Uint8Array(bodies.count);
  const charged = options.preemption ? entryCharges(b, info, bodies, events, style, cyclic) : new Uint8Array(0);
  // A futex wake needs its test even in a module with nothing else to check (Ev.WakeCall, and the
  // notify helper: a rewritten memory.atomic.notify is a wake too).
  let anyWake = sites?.ops.includes(AtomicOp.Notify) ?? false;
  for (let e = 0; e < events.count && !anyWake; e++) anyWake = events.data[e * 4] === Ev.WakeCall;
  const preempt = options.preemption && (anyLoop || charged.includes(1) || anyWake);
  // A loop whose every iteration starts by calling a function charged at entry needs no check of
  // its own: each iteration already costs one unit. Marked per Loop event; `counted[i]`: function
  // i has a loop that still counts iterations (so its counter needs initializing).
  const covered = new Uint8Array(preempt ? events.count : 0);
  const counted = new Uint8Array(bodies.count);
  if (preempt) {
    const d = events.data;
    markCovered(events, 0, events.count, info.importedFuncs, charged, covered);
    if (bounded.size > 0) {
      for (let i = 0; i < bodies.count; i++) {
        if (charged[i]) markBounded(events, bodies.firstEvent[i]!, bodies.firstEvent[i + 1]!, bounded, covered);
      }
    }
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
  if (specs.length === 0 && !fences) return null;
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
      { ...ctx, events: new EventList(), localEvents: true, callTypes: false })
    : noFuelPassing(bodies.count);
  const cloneBase = helperBase + helperCount;
  const cloneTypeBase = info.typeCount + K;
  const refuelIndex = fp.clones.length > 0 ? cloneBase + fp.clones.length : -1;
  const refuelType = fp.clones.length > 0 ? cloneTypeBase + fp.types.length : -1;
  if (fp.clones.length > 0) stats.fuelPassing = fp.clones.length;
  if (bounded.size > 0 && preempt) {
    // Counted where the body is written: as its clone when it has one (the original is then a wrapper).
    let n = 0;
    fp.clones.forEach((i, j) => {
      n += markBounded(fp.events, fp.firstEvent[j]!, fp.firstEvent[j + 1]!, bounded, fp.covered);
    });
    for (let i = 0; i < bodies.count; i++) {
      if (fp.cloneOf[i]! >= 0 || !charged[i]) continue;
      for (let e = bodies.firstEvent[i]!; e < bodies.firstEvent[i + 1]!; e++) {
        if (events.data[e * 4] === Ev.Loop && bounded.has(events.data[e * 4 + 1]!)) n++;
      }
    }
    if (n > 0) stats.boundedLoops = n;
  }

  return {
    info, options, style, loopBudget, unroll, callsPerUnit, bodies, events, sites, charged, preempt, covered, counted, specs, K,
    shift, importIndex, typeIndex, helperBase, helperCount, fuelGlobal, yieldIndex, fp, cloneBase, cloneTypeBase,
    refuelIndex, refuelType, stats,
  };
}
