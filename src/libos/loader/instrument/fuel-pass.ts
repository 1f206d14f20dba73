/**
 * Fuel-passing clones for recursive functions.
 *
 * Why: a recursive function is charged fuel on every call (call-graph.ts). Charging the
 * fuel global is a load, a subtract and a store to the same address on every call: each call's
 * load waits for the previous call's store (store-to-load forwarding, ~5 cycles), a serial chain
 * through memory that about doubles the time of a small recursive function (fib: +90-110%). A
 * decrement of a register costs one cycle and does not stall.
 *
 * What: each function f that is in a cycle of direct calls gets a clone f'
 * whose type takes the fuel as an extra last parameter and returns it as an extra last result:
 * (params..., i32 fuel) -> (results..., i32 fuel). In f':
 *   - the entry charge and every loop refill decrement the fuel local; when it goes below zero
 *     it is stored to the global, yield_check runs (it refills the global), and it is reloaded,
 *     all in one out-of-line helper per module (`__occlum_refuel`, F -> F);
 *   - a direct call to another cloned function g becomes `local.get F; call g'; local.set F`;
 *   - a call to any other function that may charge fuel (anything that loops, calls, or is
 *     charged) or an indirect call stores F to the global before and reloads it after;
 *     calls to imports and to call-free loop-free functions need neither (the kernel never reads
 *     the guest's fuel except in yield_check);
 *   - the fuel is parameter number `params`, the index of the first declared local, which moves
 *     to the end of the locals (so only its accesses are renumbered: a second scan of the cloned
 *     bodies records them, with returns and indirect calls); the body is wrapped in a block of the
 *     function's result type and `return` becomes a branch out of it, after which the fuel is
 *     pushed.
 * f itself becomes a wrapper that loads the global, calls f' and stores the returned fuel, so
 * exports, tables, ref.func and callers outside the clones are untouched.
 *
 * The clone's fuel is the global's value, in the same calls (checks.ts): an entry charge takes
 * 1, a loop refill C = callsPerUnit.
 *
 * Preemption bound: every charge that the global-fuel version makes is still made, in the same
 * order and of the same amount, on a value that is the global's value at the time (the fuel is
 * handed from caller to callee and back, and written to the global before any code that could
 * read or charge it runs): so yield_check is called exactly when the global version would call
 * it. Where they differ:
 * an exception unwinding out of a clone loses the decrements since the last store, so modules
 * that use exception handling get no clones; guest code that an import re-enters (a signal
 * handler run by the kernel during a syscall) charges the global, and the clone's copy, not
 * reloaded after an import call, later overwrites those charges (the handler still yields on its
 * own when it runs out; the clone's own charges are all counted).
 * Only functions in a cycle of direct calls (not one through the table: see directCycles in
 * plan.ts) with at most one result of a one-byte value type and no tail calls are cloned.
 */

import { lebEnd, readU32 } from "./bytes.ts";
import { Ev, EventList, type ScanContext, scanExpr } from "./code-scan.ts";
import type { ModuleInfo } from "./module-info.ts";
import { skipValType } from "./opcodes.ts";
import type { ByteWriter } from "./bytes.ts";

/** The per-function facts of plan.ts's scan that the planner reads. */
export interface BodyFacts {
  count: number;
  instr: Uint32Array;
  end: Uint32Array;
  sawCall: Uint8Array;
  sawTail: Uint8Array;
  loops: Uint32Array;
}

export interface FuelPassing {
  /** Defined function index of each clone, in output order. */
  clones: number[];
  /** Per defined function: its clone's position in `clones`, or -1. */
  cloneOf: Int32Array;
  /** Original type index of each added clone type, in output order. */
  types: number[];
  /** Original type index -> position in `types`. */
  typeSlot: Map<number, number>;
  /** Original type index -> block type byte of a clone's body block (its results). */
  blockType: Map<number, number>;
  /** Per defined function: a call to it must hand over the fuel through the global. */
  touchesFuel: Uint8Array;
  /** The clones' bodies scanned again, with the fuel local's accesses, returns and indirect calls. */
  events: EventList;
  firstEvent: Uint32Array;
  /** Per event of `events`: the loop is covered (markCovered). */
  covered: Uint8Array;
}

export function noFuelPassing(n: number): FuelPassing {
  return {
    clones: [], cloneOf: new Int32Array(n).fill(-1), types: [], typeSlot: new Map(), blockType: new Map(),
    touchesFuel: new Uint8Array(0), events: new EventList(), firstEvent: new Uint32Array(1), covered: new Uint8Array(0),
  };
}

/** Ranges of a function type at `p` (its 0x60 byte). */
function funcType(b: Uint8Array, p: number) {
  const params = readU32(b, p + 1);
  const ps = lebEnd[0]!;
  let q = ps;
  for (let k = params; k > 0; k--) q = skipValType(b, q);
  const pe = q;
  const results = readU32(b, q);
  const rs = lebEnd[0]!;
  q = rs;
  for (let k = results; k > 0; k--) q = skipValType(b, q);
  return { params, ps, pe, results, rs, re: q };
}

/** Block type byte for a clone body of this type, or -1 when it is not cloned (see the header). */
function bodyBlockType(b: Uint8Array, p: number): number {
  if (p < 0) return -1;
  const t = funcType(b, p);
  if (t.results === 0) return 0x40;
  return t.results === 1 && t.re === t.rs + 1 ? b[t.rs]! : -1;
}

/** The clone type of function type `t`: (params..., i32) -> (results..., i32). */
export function writeCloneType(b: Uint8Array, info: ModuleInfo, t: number, out: ByteWriter): void {
  const f = funcType(b, info.typeStart[t]!);
  out.byte(0x60);
  out.u32(f.params + 1);
  out.range(b, f.ps, f.pe);
  out.byte(0x7f);
  out.u32(f.results + 1);
  out.range(b, f.rs, f.re);
  out.byte(0x7f);
}

/**
 * The clone's locals vector (the body's vector starts at `vec`, after its entry count `entries`):
 * the first declared local moves to the end (its index is now the fuel parameter's), then one i32
 * for the loop counter.
 */
export function writeCloneLocals(b: Uint8Array, vec: number, entries: number, out: ByteWriter): void {
  const list: [count: number, typeStart: number, typeEnd: number][] = [];
  let p = vec;
  for (let k = 0; k < entries; k++) {
    const count = readU32(b, p);
    const t = lebEnd[0]!;
    p = skipValType(b, t);
    if (count > 0) list.push([count, t, p]); // (an entry may declare zero locals)
  }
  const moved = list[0];
  if (moved) moved[0]--;
  const kept = list.filter(([count]) => count > 0);
  out.u32(kept.length + (moved ? 2 : 1));
  for (const [count, t, e] of kept) { out.u32(count); out.range(b, t, e); }
  if (moved) { out.u32(1); out.range(b, moved[1], moved[2]); }
  out.u32(1); out.byte(0x7f);
}

/**
 * Choose the clones: charged functions in a cycle of direct calls (`cyclic`), and rescan their
 * bodies with `ctx` (a fresh event list, localEvents set).
 */
export function planFuelPassing(
  b: Uint8Array, info: ModuleInfo, bodies: BodyFacts, cyclic: Uint8Array, charged: Uint8Array, ctx: ScanContext,
): FuelPassing {
  const n = bodies.count;
  const fp = noFuelPassing(n);
  for (let i = 0; i < n; i++) {
    if (!cyclic[i] || !charged[i] || bodies.sawTail[i]) continue;
    const t = info.funcTypes[i]!;
    let bt = fp.blockType.get(t);
    if (bt === undefined) {
      bt = bodyBlockType(b, info.typeStart[t] ?? -1);
      fp.blockType.set(t, bt);
    }
    if (bt < 0) continue;
    if (!fp.typeSlot.has(t)) {
      fp.typeSlot.set(t, fp.types.length);
      fp.types.push(t);
    }
    fp.cloneOf[i] = fp.clones.length;
    fp.clones.push(i);
  }
  if (fp.clones.length === 0) return fp;
  fp.touchesFuel = new Uint8Array(n);
  for (let i = 0; i < n; i++) fp.touchesFuel[i] = charged[i] || bodies.loops[i]! > 0 || bodies.sawCall[i] ? 1 : 0;
  const ev = ctx.events;
  fp.events = ev;
  fp.firstEvent = new Uint32Array(fp.clones.length + 1);
  fp.clones.forEach((i, j) => {
    fp.firstEvent[j] = ev.count;
    ctx.fuelLocal = info.typeParams[info.funcTypes[i]!]!;
    scanExpr(b, bodies.instr[i]!, bodies.end[i]!, ctx);
  });
  fp.firstEvent[fp.clones.length] = ev.count;
  fp.covered = new Uint8Array(ev.count);
  markCovered(ev, 0, ev.count, info.importedFuncs, charged, fp.covered);
  return fp;
}

/**
 * Whether the loop of Loop event `e` is checked on its back-edge (emit-body.ts): a wrapped loop,
 * not counted and not covered, whose only back-edge is its final `br_if 0`, or an unrolled one.
 * Such a loop charges nothing when it is entered, only when it goes round.
 */
export function checkedOnBackEdge(d: Int32Array | Uint32Array, e: number, covered: Uint8Array): boolean {
  const c = d[e * 4 + 3]!;
  return (c & 1) === 1 && !covered[e] && c >>> 3 === 0 && (c & 6) !== 0;
}

/**
 * Loops that need no check of their own (flags per Loop event index in `covered`): each iteration
 * starts, before any branch, by calling a function charged at entry (one call of fuel), or by
 * entering a nested loop that charges when it is entered: checked at its header, counted, or itself
 * covered so (a loop checked on its back-edge charges nothing on entry: fib's `while (a[i] < p)`
 * that stops at once; nor does a bounded loop of inline-recursion.ts, which can never be the first
 * thing in a body since the test of its counter comes first). Either way every iteration pays at
 * least one decrement of the counter or of the fuel. Nested loops come after their outer loop's
 * events, so a backward pass sees an inner loop's verdict before the outer one needs it.
 */
export function markCovered(
  ev: EventList, from: number, to: number, importedFuncs: number, charged: Uint8Array, covered: Uint8Array,
): void {
  const d = ev.data;
  for (let e = from; e < to; e++) {
    if (d[e * 4] !== Ev.LoopCall) continue;
    const callee = d[e * 4 + 2]! - importedFuncs;
    if (callee >= 0 && callee < charged.length && charged[callee] === 1) covered[d[e * 4 + 1]!] = 1;
  }
  for (let e = to - 1; e >= from; e--) {
    if (d[e * 4] !== Ev.LoopNest) continue;
    // The nested loop's own Loop event is the next one (code-scan.ts pushes it right after).
    const inner = e + 1;
    if (inner < to && d[inner * 4] === Ev.Loop && !checkedOnBackEdge(d, inner, covered)) covered[d[e * 4 + 1]!] = 1;
  }
}
