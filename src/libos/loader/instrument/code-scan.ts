/**
 * Instruction scanner: walks a wasm expression (a function body or a constant expression) far
 * enough to know every immediate's length, and records the few places the rewriter cares about:
 * function-index immediates (call, return_call, ref.func), loop headers and ends, label
 * immediates that cross a loop the rewriter wraps, and atomic wait/notify.
 *
 * It decodes nothing else (opcodes.ts gives each opcode's immediates): all other bytes are copied
 * through by the emitter. Covered: MVP, sign-ext, sat-conv + bulk memory + table ops (0xFC),
 * reference types, SIMD + relaxed SIMD (0xFD), threads (0xFE), exception handling (legacy
 * try/catch/delegate and try_table/throw_ref), tail calls, typed function references, GC (0xFB),
 * multi-memory memargs and memory64 offsets.
 */

import { loopBodyCalls } from "./mvp-walk.ts";
import { InstrumentError, lebEnd, readU32, skipLeb } from "./bytes.ts";
import {
  ehOp, K_BLOCK, K_BRTABLE, K_CALL_OTHER, K_CALL_REF, K_DELEGATE, K_END, K_F32, K_F64, K_FB, K_FC, K_FD, K_FE,
  K_FUNCIDX, K_HEAPTYPE, K_LABEL, K_LOOP, K_MEMARG, K_NONE, K_SELECT_T, K_TRY_TABLE, K_U32, kinds, plainOp,
  skipBlockType, skipFB, skipFC, skipFD, skipHeapType, skipMemarg, skipValType,
} from "./opcodes.ts";
import { parseLoopTail, readS32, tail, tripCount } from "./trip-count.ts";

/** Event kinds recorded by the scanner; each event is 4 ints: kind, a, b, c. */
export const Ev = {
  /** a = immediate start, b = immediate end, c = function index. */
  FuncRef: 1,
  /**
   * a = loop instruction start, b = just after its block type, c = (bit 0) 1 if the loop is wrapped,
   * (bit 1) 1 if it is a small plain loop to unroll (see UNROLL_MAX_BODY), (bit 2) 1 if its only
   * back-edge is the 2-byte `br_if 0` right before its `end` (set only on wrapped loops that are
   * not counted), (c >> 3) its trip count when it is a counted wrapped loop (trip-count.ts), else 0.
   */
  Loop: 2,
  /** a = instruction start, b = instruction end, c = atomic site id (see AtomicSites). */
  Atomic: 3,
  /** a = position of the `end` closing a wrapped loop. */
  LoopEnd: 4,
  /** a = label immediate start, b = its end, c = the new label index. */
  Label: 5,
  /**
   * A direct call of an import that wakes futex waiters (ScanContext.wakeImports): a = immediate
   * start, b = its end, c = the import's index (imports keep their index).
   */
  WakeCall: 15,
  /** ref.func: as FuncRef (a function reference that is not a call). */
  RefFunc: 6,
  /** memory.grow of memory 0: a = instruction start, b = instruction end. */
  Grow: 7,
  /** atomic.fence: a = instruction start, b = instruction end. */
  Fence: 8,
  /**
   * A loop's body starts with a direct call, before any control instruction: every iteration
   * runs it. a = index of the loop's Loop event, b = callee function index. Not a position.
   */
  LoopCall: 9,
  /**
   * A loop's body starts with a nested loop, before any control instruction or call: every
   * iteration passes the nested loop's header check. a = index of the outer loop's Loop event.
   */
  LoopNest: 13,
  /**
   * Only with `localEvents`: a local.get/set/tee of local `fuelLocal` (whose index a fuel-passing
   * clone gives to its fuel parameter); a = immediate start, b = its end.
   */
  Local: 10,
  /** Only with `localEvents`: `return` at a; c = the label of the function body in the output. */
  Return: 11,
  /** Only with `localEvents`: call_indirect/call_ref at a (instruction start), b = instruction end. */
  CallInd: 12,
  /**
   * Only with `callTypes`: an indirect call (call_indirect, call_ref, their tail forms) at a; c =
   * the type index it calls through (the callee's type must match it, or the call traps).
   */
  CallType: 14,
} as const;

/**
 * A wrapped void loop whose body is at most this many bytes of plain instructions (no control, no
 * call) ending in its only back-edge `br_if 0` is unrolled by the emitter, so its check runs once
 * per few iterations (`while (a[i] < pivot) i++`: the check is a third of such a loop).
 */
export const UNROLL_MAX_BODY = 64;

/**
 * Labels added around each wrapped loop (block $exit, loop $outer, block $slow): a branch from
 * inside the loop to a label outside it crosses these too.
 */
export const WRAP_LABELS = 3;

/** The atomic opcodes the rewriter replaces (0xFE sub-opcodes). */
export const AtomicOp = { Notify: 0, Wait32: 1, Wait64: 2 } as const;
export type AtomicOp = (typeof AtomicOp)[keyof typeof AtomicOp];

/** Distinct (opcode, memarg offset) pairs seen; each becomes one generated helper function. */
export class AtomicSites {
  readonly ops: AtomicOp[] = [];
  readonly offsets: number[] = [];
  private readonly ids = new Map<number, number>();

  idFor(op: AtomicOp, offset: number): number {
    const key = offset * 4 + op;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ops.length;
      this.ops.push(op);
      this.offsets.push(offset);
      this.ids.set(key, id);
    }
    return id;
  }

  get size(): number {
    return this.ops.length;
  }
}

/** Growable flat list of 4-int events. */
export class EventList {
  data = new Int32Array(1024);
  count = 0;

  push(kind: number, a: number, b: number, c: number): void {
    let i = this.count * 4;
    if (i + 4 > this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    const d = this.data;
    d[i++] = kind;
    d[i++] = a;
    d[i++] = b;
    d[i] = c;
    this.count++;
  }
}

/** What the scanner should record, and what it found in the last expression. */
export interface ScanContext {
  events: EventList;
  /** Record function indices >= this (the others never move). Infinity: record none. */
  funcRefMin: number;
  /** Record loop headers. */
  loops: boolean;
  /**
   * Wrap loops whose block type takes no parameters (so the preemption call sits outside the
   * loop): record their ends and renumber the labels that cross them. Needs `typeParams`.
   */
  wrapLoops: boolean;
  /** Parameter count of each type index (-1 for non-function types). */
  typeParams: readonly number[];
  /** Record trip counts up to this many iterations for wrapped counted loops; 0/absent: off. */
  countLimit?: number;
  /** Mark plain loops of at most this many body bytes for unrolling (needs countLimit); 0/absent: off. */
  unrollBody?: number;
  /** Record atomic wait/notify; null: leave them alone. */
  atomics: AtomicSites | null;
  /** Record memory.grow of memory 0 (Ev.Grow); absent/false: leave it alone. */
  grows?: boolean;
  /** Record atomic.fence (Ev.Fence); absent/false: leave it alone. */
  fences?: boolean;
  /** Record direct calls of these imported functions (Ev.WakeCall); absent: none. */
  wakeImports?: ReadonlySet<number>;
  /** Set by the scanner: the expression contains a call of any kind. */
  sawCall: boolean;
  /** Set by the scanner: the expression contains an indirect call (call_indirect, call_ref...). */
  sawIndirect: boolean;
  /** Set by the scanner: number of loops in the expression. */
  loopCount: number;
  /** Record accesses to local `fuelLocal`, returns and indirect calls (for fuel-passing clones, fuel-pass.ts). */
  localEvents?: boolean;
  fuelLocal?: number;
  /** Record the type of every indirect call (Ev.CallType; call-graph.ts's typed targets). */
  callTypes?: boolean;
  /** Set by the scanner: a tail call of any kind. */
  sawTailCall?: boolean;
  /** Set by the scanner (sticky, never cleared): an exception-handling instruction. */
  sawEH?: boolean;
}

// Control stack of the expression being scanned: wrapped[d] = 1 when the construct at depth d is
// a wrapped loop; crossed[d] = number of wrapped loops among depths [0, d).
let wrapped = new Uint8Array(256);
let crossed = new Int32Array(257);
// Counted-loop tracking, per control depth: the Loop event (-1: not a loop or not tracked), the
// straight-line region and local-write sequence number at its header, branches that target it.
let loopEv = new Int32Array(256);
let hdrRegion = new Float64Array(256);
let hdrSeq = new Float64Array(256);
let backEdges = new Int32Array(256);

function growControl(): void {
  const w = new Uint8Array(wrapped.length * 2);
  w.set(wrapped);
  wrapped = w;
  const c = new Int32Array(w.length + 1);
  c.set(crossed);
  crossed = c;
  const grow = <A extends Int32Array | Float64Array>(a: A, make: (n: number) => A): A => {
    const x = make(w.length);
    x.set(a as never);
    return x;
  };
  loopEv = grow(loopEv, (n) => new Int32Array(n));
  hdrRegion = grow(hdrRegion, (n) => new Float64Array(n));
  hdrSeq = grow(hdrSeq, (n) => new Float64Array(n));
  backEdges = grow(backEdges, (n) => new Int32Array(n));
}

// Per local index: sequence numbers of its last two writes, and of its last write of a constant
// (`i32.const K; local.set`), with K and the straight-line region it happened in. `seq` and
// `region` only ever grow (across functions and modules), so stale entries never match.
const LOCAL_LIMIT = 50_000; // V8's limit on locals per function
let lastWrite = new Float64Array(64);
let prevWrite = new Float64Array(64);
let constSeq = new Float64Array(64);
let constRegion = new Float64Array(64);
let constVal = new Int32Array(64);
let seq = 0;
/** Bumped by every instruction that is not plainOp: equal regions mean straight-line code. */
let region = 1;
/** label() counts branches per target construct while this is set (counted-loop detection). */
let countBranches = false;

function growLocals(idx: number): void {
  let n = lastWrite.length;
  while (n <= idx) n *= 2;
  const f = (a: Float64Array) => { const x = new Float64Array(n); x.set(a); return x; };
  lastWrite = f(lastWrite);
  prevWrite = f(prevWrite);
  constSeq = f(constSeq);
  constRegion = f(constRegion);
  const v = new Int32Array(n);
  v.set(constVal);
  constVal = v;
}

/** Skip a label immediate at p (control depth `depth`), renumbering it when it crosses wrapped loops. */
function label(b: Uint8Array, p: number, depth: number, ev: EventList): number {
  if (countBranches) {
    const l = readU32(b, p);
    if (l < depth) backEdges[depth - 1 - l]!++;
  } else if (crossed[depth] === 0) {
    return skipLeb(b, p);
  }
  const l = readU32(b, p);
  const end = lebEnd[0]!;
  const n = l >= depth ? crossed[depth]! : crossed[depth]! - crossed[depth - l]!;
  if (n > 0) ev.push(Ev.Label, p, end, l + WRAP_LABELS * n);
  return end;
}

/** Block type of a loop takes no parameters (so the loop can be re-entered from outside). */
function noParams(b: Uint8Array, p: number, typeParams: readonly number[]): boolean {
  const t = b[p]!;
  if (t === 0x40 || t === 0x63 || t === 0x64 || (t >= 0x40 && t < 0x80)) return true;
  let idx = 0;
  let shift = 0;
  for (;;) {
    const x = b[p++]!;
    idx += (x & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(x & 0x80)) break;
  }
  return typeParams[idx] === 0;
}

/**
 * Scan one expression starting at `p`, up to and including the `end` that closes it. Returns the
 * position after that `end`. Never reads at or past `limit`.
 */
export function scanExpr(b: Uint8Array, p: number, limit: number, ctx: ScanContext): number {
  const ev = ctx.events;
  const funcRefMin = ctx.funcRefMin;
  const wakeImports = ctx.wakeImports;
  const wantLoops = ctx.loops;
  const wrap = ctx.wrapLoops;
  const atomics = ctx.atomics;
  let depth = 0;
  let sawCall = false;
  let sawIndirect = false;
  let loopCount = 0;
  // Loop event whose body has seen only plain (non-control, non-call) instructions so far; -1: none.
  let openLoop = -1;
  crossed[0] = 0;
  const countLimit = wantLoops && wrap ? ctx.countLimit ?? 0 : 0;
  countBranches = countLimit > 0;
  // Positions for counted loops: last local.get, last i32.const (start, end), last `br_if 0`.
  let lastGet = -1;
  let lastConst = -1;
  let lastConstEnd = -1;
  let brIf0 = -1;
  let brIf0End = -1;
  const localEvents = ctx.localEvents ?? false;
  const fuelLocal = ctx.fuelLocal ?? -1;
  let sawTailCall = false;
  // Starts of the last three non-plain instructions (np1 the latest).
  let np1 = -1;
  let np2 = -1;
  let np3 = -1;

  while (p < limit) {
    const start = p;
    const op = b[p++]!;
    if (!plainOp[op]) {
      region++;
      np3 = np2;
      np2 = np1;
      np1 = start;
      if (ehOp[op]) ctx.sawEH = true;
      if (op === 0x12 || op === 0x13 || op === 0x15) sawTailCall = true;
      else if (localEvents && op === 0x0f) ev.push(Ev.Return, start, 0, depth + WRAP_LABELS * crossed[depth]!);
      if (openLoop >= 0) {
        if (op === 0x10) ev.push(Ev.LoopCall, openLoop, readU32(b, p), 0);
        else if (op === 0x03) ev.push(Ev.LoopNest, openLoop, 0, 0);
        openLoop = -1;
      }
    }
    switch (kinds[op]) {
      case K_NONE:
        break;
      case K_U32:
        if (localEvents && op >= 0x20 && op <= 0x22 && readU32(b, p) === fuelLocal) ev.push(Ev.Local, p, lebEnd[0]!, 0);
        if (countLimit > 0) {
          if (op === 0x20) {
            lastGet = start;
          } else if (op === 0x21 || op === 0x22) {
            const idx = readU32(b, p);
            p = lebEnd[0]!;
            if (idx < LOCAL_LIMIT) {
              if (idx >= lastWrite.length) growLocals(idx);
              prevWrite[idx] = lastWrite[idx]!;
              lastWrite[idx] = ++seq;
              if (op === 0x21 && lastConstEnd === start) {
                constSeq[idx] = seq;
                constRegion[idx] = region;
                constVal[idx] = readS32(b, lastConst + 1);
              }
            }
            break;
          } else if (op === 0x41) {
            lastConst = start;
            p = skipLeb(b, p);
            lastConstEnd = p;
            break;
          }
        }
        if (op === 0x40 && ctx.grows && b[p] === 0) {
          ev.push(Ev.Grow, start, p + 1, 0);
          p++;
          break;
        }
        p = skipLeb(b, p);
        break;
      case K_MEMARG:
        p = skipMemarg(b, p);
        break;
      case K_LABEL:
        if (op === 0x0d && b[p] === 0) {
          brIf0 = start;
          brIf0End = p + 1;
        }
        p = label(b, p, depth, ev);
        break;
      case K_END:
        if (depth === 0) {
          ctx.sawCall = sawCall;
          ctx.sawIndirect = sawIndirect;
          ctx.loopCount = loopCount;
          ctx.sawTailCall = sawTailCall;
          countBranches = false;
          return p;
        }
        depth--;
        if (wrapped[depth]) {
          ev.push(Ev.LoopEnd, start, 0, 0);
          const e = loopEv[depth]!;
          // Counted: the single back-edge is the `br_if 0` right before this end (see trip-count.ts).
          if (countLimit > 0 && e >= 0 && brIf0End === start && backEdges[depth] === 1 && lastGet > ev.data[e * 4 + 1]! &&
              parseLoopTail(b, lastGet, brIf0)) {
            const i = tail.local;
            const before = prevWrite[i]!;
            if (i < LOCAL_LIMIT && lastWrite[i]! > hdrSeq[depth]! && before <= hdrSeq[depth]! &&
                constSeq[i] === before && constRegion[i] === hdrRegion[depth]) {
              ev.data[e * 4 + 3] = 1 | (tripCount(constVal[i]!, countLimit) << 3);
            }
          }
          // Unrollable: loop, plain instructions, br_if 0, end (np3, np2, np1).
          const a = ev.data[e * 4 + 1]!;
          if (countLimit > 0 && e >= 0 && ev.data[e * 4 + 3] === 1 && brIf0End === start && np2 === brIf0 && np3 === a &&
              b[a + 1] === 0x40 && brIf0 - ev.data[e * 4 + 2]! <= (ctx.unrollBody ?? 0)) {
            ev.data[e * 4 + 3] = 1 | 2;
          }
          // Checked on its back-edge: the final `br_if 0` is its only one (not counted: a counted
          // loop pays before it starts).
          if (countLimit > 0 && e >= 0 && ev.data[e * 4 + 3]! >>> 3 === 0 && brIf0End === start && backEdges[depth] === 1) {
            ev.data[e * 4 + 3] = ev.data[e * 4 + 3]! | 4;
          }
        }
        break;
      case K_BLOCK:
        p = skipBlockType(b, p);
        if (depth + 1 >= wrapped.length) growControl();
        loopEv[depth] = -1;
        backEdges[depth] = 0;
        wrapped[depth] = 0;
        crossed[depth + 1] = crossed[depth]!;
        depth++;
        break;
      case K_LOOP: {
        // Wrapped (the refill out of the loop) only when the body makes no call: V8 unrolls and
        // optimizes call-free loops, and a call in the loop takes that away anyway; there the
        // check inline, its branch hinted unlikely, costs less (bench/instrument, ninth round).
        const w = wantLoops && wrap && noParams(b, p, ctx.typeParams) && loopBodyCalls(b, skipBlockType(b, p), limit) === false ? 1 : 0;
        p = skipBlockType(b, p);
        loopCount++;
        if (depth + 1 >= wrapped.length) growControl();
        loopEv[depth] = -1;
        backEdges[depth] = 0;
        if (wantLoops) {
          openLoop = ev.count;
          if (w && countLimit > 0) {
            loopEv[depth] = ev.count;
            hdrRegion[depth] = region - 1; // the region that ran into this loop instruction
            hdrSeq[depth] = seq;
          }
          ev.push(Ev.Loop, start, p, w);
        }
        wrapped[depth] = w;
        crossed[depth + 1] = crossed[depth]! + w;
        depth++;
        break;
      }
      case K_FUNCIDX: {
        const idx = readU32(b, p);
        const end = lebEnd[0]!;
        if (op !== 0xd2) sawCall = true;
        if (idx >= funcRefMin) ev.push(op === 0xd2 ? Ev.RefFunc : Ev.FuncRef, p, end, idx);
        else if (op === 0x10 && wakeImports !== undefined && wakeImports.has(idx)) ev.push(Ev.WakeCall, p, end, idx);
        p = end;
        break;
      }
      case K_CALL_OTHER:
        sawCall = true;
        sawIndirect = true;
        if (ctx.callTypes) ev.push(Ev.CallType, start, 0, readU32(b, p));
        p = skipLeb(b, skipLeb(b, p));
        if (localEvents) ev.push(Ev.CallInd, start, p, 0);
        break;
      case K_CALL_REF:
        sawCall = true;
        sawIndirect = true;
        if (ctx.callTypes) ev.push(Ev.CallType, start, 0, readU32(b, p));
        p = skipLeb(b, p);
        if (localEvents) ev.push(Ev.CallInd, start, p, 0);
        break;
      case K_BRTABLE: {
        let n = readU32(b, p);
        p = lebEnd[0]!;
        for (; n >= 0; n--) p = label(b, p, depth, ev); // n targets + default
        break;
      }
      case K_SELECT_T: {
        let n = readU32(b, p);
        p = lebEnd[0]!;
        for (; n > 0; n--) p = skipValType(b, p);
        break;
      }
      case K_F32:
        p += 4;
        break;
      case K_F64:
        p += 8;
        break;
      case K_HEAPTYPE:
        p = skipHeapType(b, p);
        break;
      case K_TRY_TABLE: {
        p = skipBlockType(b, p);
        let n = readU32(b, p);
        p = lebEnd[0]!;
        for (; n > 0; n--) { // catch labels are relative to the try_table's enclosing context
          const kind = b[p++];
          if (kind === 0 || kind === 1) p = label(b, skipLeb(b, p), depth, ev); // tag, label
          else if (kind === 2 || kind === 3) p = label(b, p, depth, ev);
          else throw new InstrumentError(`bad try_table catch kind ${kind}`, p - 1);
        }
        if (depth + 1 >= wrapped.length) growControl();
        loopEv[depth] = -1;
        backEdges[depth] = 0;
        wrapped[depth] = 0;
        crossed[depth + 1] = crossed[depth]!;
        depth++;
        break;
      }
      case K_DELEGATE: // ends the try; its label is resolved outside it
        depth--;
        p = label(b, p, depth, ev);
        break;
      case K_FB: {
        const sub = readU32(b, p);
        if (sub === 24 || sub === 25) { // br_on_cast(_fail): flags byte, label, ht1, ht2
          p = label(b, lebEnd[0]! + 1, depth, ev);
          p = skipHeapType(b, skipHeapType(b, p));
        } else {
          p = skipFB(b, p, start);
        }
        break;
      }
      case K_FC:
        p = skipFC(b, p, start);
        break;
      case K_FD:
        p = skipFD(b, p, start);
        break;
      case K_FE: {
        const sub = readU32(b, p);
        p = lebEnd[0]!;
        if (sub === 3) {
          p += 1; // atomic.fence: reserved byte
          if (ctx.fences) ev.push(Ev.Fence, start, p, 0);
        } else if (sub <= 2) {
          const flags = readU32(b, p);
          p = lebEnd[0]!;
          let memidx = 0;
          if (flags & 0x40) {
            memidx = readU32(b, p);
            p = lebEnd[0]!;
          }
          const offStart = p;
          p = skipLeb(b, p);
          if (atomics) {
            if (memidx !== 0) {
              throw new InstrumentError(
                `memory.atomic wait/notify on memory ${memidx}: multi-memory is not supported`, start);
            }
            if (p - offStart > 5) throw new InstrumentError("atomic wait/notify offset exceeds 32 bits", start);
            const offset = readU32(b, offStart);
            ev.push(Ev.Atomic, start, p, atomics.idFor(sub as AtomicOp, offset));
          }
        } else if (sub >= 0x10 && sub <= 0x4e) {
          p = skipMemarg(b, p);
        } else {
          throw new InstrumentError(`unknown atomic opcode 0xfe ${sub}`, start);
        }
        break;
      }
      default:
        throw new InstrumentError(`unknown opcode 0x${op.toString(16)}`, start);
    }
  }
  throw new InstrumentError("expression runs past its end", limit);
}
