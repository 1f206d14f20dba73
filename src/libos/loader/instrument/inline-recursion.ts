/**
 * One level of inlining for small self-recursive functions, before the instrumenter plans its
 * checks: each direct call of a function to itself becomes a copy of its body.
 *
 * Why: V8 inlines a small recursive function into itself a few levels deep, and a fuel test with
 * a resumable slow path inside each inlined copy is what made fib cost +47% (bench/instrument,
 * seventh round): the test at a real function entry costs little, the same test inside an
 * inlined copy costs 25-40%. A copy made here has no test of its own (its calls of the function
 * are still calls, tested at entry), and the function grows past what V8 inlines, so half of the
 * calls disappear and the tests left sit at real entries. A loop around a copy is no longer
 * "covered" by a call at its start (the copy may return early: fib's leaves), so the planner gives
 * it its own counter check; that is what keeps preemption sound (bench/instrument/README.md,
 * eighth round, for what each placement costs).
 *
 * Bounded loops: that check costs as much as the test the copy saved (fib: +10% over no check).
 * A loop around a copy whose trip count follows from its counter at entry (a local stepped by a
 * constant once per iteration, compared with a constant by its only back-edge, the final
 * `br_if 0`: clang's `for (t = n; t > 3; t -= 2)` in fib) is written twice behind a test of that
 * counter: when it is in the window where the loop runs at most `tripLimit` times, the first
 * copy runs, which the planner marks as needing no check (its position is returned in `bounded`):
 * the function's entry charge already pays for loopBudget / callsPerUnit iterations of a loop
 * (contract.ts), so an invocation that runs at most that many adds no unpaid work. Otherwise
 * the second, checked copy runs. The window keeps every value the counter takes within
 * [0, 2^30 + 2^16], where signed and unsigned comparisons agree and nothing wraps. The unchecked
 * copy is the `if`'s first arm: V8 lays it out as the fall-through (fib: +1% over no check; as
 * the `else` arm +14%; bench/instrument/README.md, tenth round).
 *
 * The copy: the call's arguments go into fresh locals (the callee's parameters), the callee's
 * declared locals are zeroed (as a function entry would), and its body becomes a block of the
 * function's result type, whose label stands for the function's: branch depths inside stay as
 * they are, and `return` becomes a branch to that block. Only MVP control and numeric types
 * (i32, i64, f32, f64) are handled; anything else (tail calls, exception handling, GC, atomics,
 * SIMD, reference locals, several results) leaves the function as it is.
 */

import { ByteWriter, InstrumentError, lebEnd, readU32, u32LebSize } from "./bytes.ts";
import { readS32 } from "./trip-count.ts";
import { readModuleInfo, SectionId } from "./module-info.ts";
import { skipMvp } from "./mvp-walk.ts";

/** Largest body (bytes, locals included) copied into itself; fib is ~50. */
export const INLINE_MAX_BODY = 160;
/** At most this many self-calls per function (the body grows by one copy per call site). */
const MAX_SITES = 2;
/** Largest trip limit of a bounded loop, and largest loop (bytes, before copies) made bounded. */
const MAX_TRIPS = 64;
const BOUNDED_MAX_LOOP = 160;

const NUMERIC = new Set([0x7f, 0x7e, 0x7d, 0x7c]);
const OP_CALL = 0x10;
const OP_RETURN = 0x0f;
const OP_BR = 0x0c;

interface Candidate {
  /** Body range (after its size) and where its code starts, after the locals. */
  bodyStart: number;
  codeStart: number;
  bodyEnd: number;
  params: number[];
  /** Declared locals (after the params), one type per local. */
  locals: number[];
  /** 0x40 or the single result type. */
  blockType: number;
}

/** What inlineSelfRecursion made. */
export interface Inlined {
  /** The module (the input itself when no function qualifies). */
  bytes: Uint8Array;
  /** Positions in `bytes` of the `loop` opcodes of bounded copies: at most `tripLimit` iterations per entry. */
  bounded: Set<number>;
}

/**
 * The module with small self-recursive functions inlined into themselves once, and loops around
 * a copy made bounded where their counter allows (`tripLimit` < 2: never).
 */
export function inlineSelfRecursion(b: Uint8Array, tripLimit = 0): Inlined {
  const bounded = new Set<number>();
  const info = readModuleInfo(b);
  const code = info.sections.find((s) => s.id === SectionId.Code);
  if (!code) return { bytes: b, bounded };
  const count = readU32(b, code.start);
  let p = lebEnd[0]!;
  const firstBody = p;
  // The functions to rewrite: where their size is, where they end, their index.
  const changed: { sizeAt: number; end: number; func: number; cand: Candidate }[] = [];
  for (let i = 0; i < count; i++) {
    const sizeAt = p;
    const size = readU32(b, p);
    const start = lebEnd[0]!;
    const end = start + size;
    const func = info.importedFuncs + i;
    const cand = size <= INLINE_MAX_BODY ? candidate(b, info, func, info.funcTypes[i]!, start, end) : null;
    if (cand) changed.push({ sizeAt, end, func, cand });
    p = end;
  }
  if (changed.length === 0) return { bytes: b, bounded };
  const w = new ByteWriter(b.length + changed.length * 6 * INLINE_MAX_BODY);
  w.range(b, 0, code.headerStart);
  w.byte(SectionId.Code);
  const mark = w.reserveLength();
  w.u32(count);
  // Unchanged bodies are copied in runs, sizes included.
  let run = firstBody;
  const body = new ByteWriter(1024);
  const positions: number[] = [];
  for (const f of changed) {
    w.range(b, run, f.sizeAt);
    body.len = 0;
    const loops: number[] = [];
    writeInlined(b, f.func, f.cand, body, Math.min(tripLimit, MAX_TRIPS), loops);
    w.u32(body.len);
    for (const at of loops) positions.push(w.len + at);
    w.range(body.buf, 0, body.len);
    run = f.end;
  }
  w.range(b, run, code.end);
  const sizeBytes = u32LebSize(w.len - (mark + 5));
  w.patchLength(mark); // the section's content slides back over the unused bytes of its size
  for (const at of positions) bounded.add(at - (5 - sizeBytes));
  w.range(b, code.end, b.length);
  // Read only by the planner: no second copy of a large module.
  return { bytes: w.buf.subarray(0, w.len), bounded };
}

/** Value types of a function type's params and results (null unless every one is numeric). */
function signature(b: Uint8Array, at: number): { params: number[]; results: number[] } | null {
  if (at < 0 || b[at] !== 0x60) return null;
  let n = readU32(b, at + 1);
  let p = lebEnd[0]!;
  const params: number[] = [];
  for (; n > 0; n--) {
    if (!NUMERIC.has(b[p]!)) return null;
    params.push(b[p++]!);
  }
  n = readU32(b, p);
  p = lebEnd[0]!;
  const results: number[] = [];
  for (; n > 0; n--) {
    if (!NUMERIC.has(b[p]!)) return null;
    results.push(b[p++]!);
  }
  return { params, results };
}

function candidate(b: Uint8Array, info: ReturnType<typeof readModuleInfo>, func: number, type: number, start: number, end: number): Candidate | null {
  if (!mayCallItself(b, start, end, func)) return null; // the locals too: a false hit costs only the walk
  const sig = signature(b, info.typeStart[type] ?? -1);
  if (!sig || sig.results.length > 1) return null;
  let entries = readU32(b, start);
  let p = lebEnd[0]!;
  const locals: number[] = [];
  for (; entries > 0; entries--) {
    const n = readU32(b, p);
    p = lebEnd[0]!;
    const t = b[p++]!;
    if (!NUMERIC.has(t) || locals.length + n > 64) return null;
    for (let k = 0; k < n; k++) locals.push(t);
  }
  const codeStart = p;
  let sites = 0;
  const ok = walk(b, codeStart, end, (op, at) => {
    if (op === OP_CALL && readU32(b, at + 1) === func) sites++;
  });
  if (!ok || sites === 0 || sites > MAX_SITES) return null;
  return { bodyStart: start, codeStart, bodyEnd: end, params: sig.params, locals, blockType: sig.results[0] ?? 0x40 };
}

/**
 * Whether `call func` may occur in [p, end): most functions are ruled out without decoding. Only
 * the index's low 7 bits are compared, since linkers pad call indices to 5-byte LEBs.
 */
function mayCallItself(b: Uint8Array, p: number, end: number, func: number): boolean {
  const lo = func & 0x7f;
  for (let i = p; i < end - 1; i++) if (b[i] === OP_CALL && (b[i + 1]! & 0x7f) === lo) return true;
  return false;
}

/**
 * Visit each instruction of [p, end): `visit(opcode, at, next)`. False when the code uses an
 * instruction this pass does not copy (then the function is left alone).
 */
function walk(b: Uint8Array, p: number, end: number, visit: (op: number, at: number, next: number) => void): boolean {
  while (p < end) {
    const at = p;
    const op = b[p++]!;
    p = skipMvp(b, op, p, at);
    if (p < 0) return false;
    visit(op, at, p);
  }
  return p === end;
}

/**
 * A body whose self-calls are copies of its original code, its loops around a copy made bounded
 * where they can be (the positions in `out` of the bounded copies' `loop` opcodes go to `bounded`).
 */
function writeInlined(b: Uint8Array, func: number, c: Candidate, out: ByteWriter, tripLimit: number, bounded: number[]): void {
  const own = c.params.length + c.locals.length;
  // Locals: the original declarations, then one fresh local per callee param and local.
  const entries = readU32(b, c.bodyStart);
  const declStart = lebEnd[0]!;
  const extra = [...c.params, ...c.locals];
  out.u32(entries + extra.length);
  out.range(b, declStart, c.codeStart);
  for (const t of extra) {
    out.u32(1);
    out.byte(t);
  }
  const site = (): void => {
    // Arguments, last on top, into the callee's parameter locals.
    for (let i = c.params.length - 1; i >= 0; i--) {
      out.byte(0x21);
      out.u32(own + i);
    }
    c.locals.forEach((t, i) => {
      zero(t, out);
      out.byte(0x21);
      out.u32(own + c.params.length + i);
    });
    out.byte(0x02);
    out.byte(c.blockType);
    copyBody(b, c, own, out);
  };
  let copied = c.codeStart;
  let skipTo = -1; // the end of a loop already written (bounded), whose inside the walk passes over
  const ok = walk(b, c.codeStart, c.bodyEnd, (op, at, next) => {
    if (at < skipTo) return;
    if (op === 0x03 && tripLimit >= 2) {
      const loop = boundable(b, func, at, c.bodyEnd, tripLimit);
      if (loop) {
        out.range(b, copied, at);
        writeBounded(b, func, loop, out, site, bounded);
        copied = skipTo = loop.end;
        return;
      }
    }
    if (op !== OP_CALL || readU32(b, at + 1) !== func) return;
    out.range(b, copied, at);
    site();
    copied = next;
  });
  if (!ok) throw new InstrumentError("inline: body changed under the walk", c.codeStart);
  out.range(b, copied, c.bodyEnd);
}

/** A loop writeBounded can split: its range, its counter, and the window of counter values at entry that bound it. */
interface BoundableLoop {
  start: number;
  /** After its `end`. */
  end: number;
  blockType: number;
  counter: number;
  /** In the window: (counter - lo) <u width. */
  lo: number;
  width: number;
}

const OP_LOCAL_GET = 0x20;
const OP_LOCAL_SET = 0x21;
const OP_LOCAL_TEE = 0x22;
const OP_I32_CONST = 0x41;
const OP_I32_ADD = 0x6a;
const OP_BR_IF = 0x0d;
const OP_BR_TABLE = 0x0e;
const I32_LT_S = 0x48;
const I32_LT_U = 0x49;
const I32_GT_S = 0x4a;
const I32_GT_U = 0x4b;
const WINDOW_MAX = 2 ** 30;

/**
 * The loop at `start` if it holds a self-call and its trip count is bounded by its counter's
 * value at entry (the header's shapes), else null. Two shapes of counter, clang's:
 *   head: `local.get v; local.tee t; i32.const c; i32.add; local.set v` first in the body, and
 *         `local.get t; i32.const K; cmp; br_if 0` last (the test reads the value before the step);
 *   tail: `local.get v; i32.const c; i32.add; local.tee v; i32.const K; cmp; br_if 0` last (after);
 * v and t written nowhere else in the loop, no other branch to the loop's label, and cmp gt_u or
 * gt_s with c < 0, or lt_u or lt_s with c > 0.
 */
function boundable(b: Uint8Array, func: number, start: number, bodyEnd: number, tripLimit: number): BoundableLoop | null {
  const bt = b[start + 1]!;
  if (bt !== 0x40 && !NUMERIC.has(bt)) return null;
  // The body's instructions at depth 1 (for the shapes), its end, and what it writes and branches to.
  const ins: number[] = [];
  const writes: number[] = []; // [local, at] pairs
  let depth = 0;
  let end = -1;
  let selfCall = false;
  let backEdges = 0;
  const ok = walk(b, start, bodyEnd, (op, at, next) => {
    if (end >= 0) return;
    if (op === 0x02 || op === 0x03 || op === 0x04) depth++;
    else if (op === 0x0b) {
      depth--;
      if (depth === 0) {
        end = next;
        ins.push(at);
      }
    } else if (op === OP_CALL && readU32(b, at + 1) === func) selfCall = true;
    else if (op === OP_LOCAL_SET || op === OP_LOCAL_TEE) writes.push(readU32(b, at + 1), at);
    else if (op === 0x0c || op === OP_BR_IF) {
      if (readU32(b, at + 1) === depth - 1) backEdges++;
    } else if (op === OP_BR_TABLE) {
      let n = readU32(b, at + 1) + 1;
      let p = lebEnd[0]!;
      for (; n > 0; n--) {
        if (readU32(b, p) === depth - 1) backEdges += 2; // never the final br_if
        p = lebEnd[0]!;
      }
    }
    if (depth === 1 && at !== start) ins.push(at);
  });
  if (!ok && end < 0) return null;
  if (end < 0 || !selfCall || backEdges !== 1 || end - start > BOUNDED_MAX_LOOP) return null;
  // ins: the body's depth-1 instructions, the loop's own `end` last.
  const n = ins.length;
  if (n < 8 || b[ins[n - 2]!] !== OP_BR_IF || readU32(b, ins[n - 2]! + 1) !== 0) return null;
  const cmp = b[ins[n - 3]!]!;
  if (cmp < I32_LT_S || cmp > I32_GT_U || b[ins[n - 4]!] !== OP_I32_CONST) return null;
  const K = readS32(b, ins[n - 4]! + 1);
  const get = (k: number, op: number): number => (b[ins[k]!] === op ? readU32(b, ins[k]! + 1) : -1);
  let v = -1;
  let c = 0;
  let allowed: number[]; // positions of the writes the shape makes
  let delta: number; // the test reads v + delta * c, v the counter at the iteration's start
  const tailV = get(n - 5, OP_LOCAL_TEE);
  if (tailV >= 0 && get(n - 8, OP_LOCAL_GET) === tailV && b[ins[n - 7]!] === OP_I32_CONST && b[ins[n - 6]!] === OP_I32_ADD) {
    v = tailV;
    c = readS32(b, ins[n - 7]! + 1);
    allowed = [ins[n - 5]!];
    delta = 1;
  } else {
    const t = get(n - 5, OP_LOCAL_GET);
    v = get(0, OP_LOCAL_GET);
    if (t < 0 || v < 0 || t === v || get(1, OP_LOCAL_TEE) !== t || b[ins[2]!] !== OP_I32_CONST ||
      b[ins[3]!] !== OP_I32_ADD || get(4, OP_LOCAL_SET) !== v) return null;
    c = readS32(b, ins[2]! + 1);
    allowed = [ins[1]!, ins[4]!];
    delta = 0;
    for (let k = 0; k < writes.length; k += 2) if (writes[k] === t && !allowed.includes(writes[k + 1]!)) return null;
  }
  for (let k = 0; k < writes.length; k += 2) if (writes[k] === v && !allowed.includes(writes[k + 1]!)) return null;
  if (c === 0 || c > 0x10000 || c < -0x10000) return null;
  // The window of v at entry: every value tested stays in [0, 2^30 + 2^16] and the test fails by
  // iteration tripLimit.
  let lo: number;
  let hi: number;
  if ((cmp === I32_GT_U || cmp === I32_GT_S) && c < 0) {
    // Counting down while x > K: from x <= K + (tripLimit - 1) * |c| it stops in time; x > K keeps
    // x - |c| >= 0 when |c| <= K + 1; the first test of the tail shape reads v - |c| (>= 0 from v >= |c|).
    if (K < 0 || K + 1 < -c) return null;
    lo = delta * -c;
    hi = K + (tripLimit - 1) * -c;
  } else if ((cmp === I32_LT_U || cmp === I32_LT_S) && c > 0) {
    // Counting up while x < K: from x >= K - (tripLimit - 1) * c it stops in time; x < K keeps x + c
    // below 2^30 + 2^16; from v > K the test fails at once.
    if (K <= 0) return null;
    lo = Math.max(0, K - (tripLimit - 1) * c);
    hi = K;
  } else {
    return null;
  }
  if (hi > WINDOW_MAX || lo > hi) return null;
  return { start, end, blockType: bt, counter: v, lo, width: hi - lo + 1 };
}

/**
 * `if (counter in the window) <loop, bounded> else <loop, checked> end`: the loop written twice,
 * each copy inside one more label (so its branches out of the loop go one deeper).
 */
function writeBounded(
  b: Uint8Array, func: number, loop: BoundableLoop, out: ByteWriter, site: () => void, bounded: number[],
): void {
  out.byte(OP_LOCAL_GET);
  out.u32(loop.counter);
  if (loop.lo !== 0) {
    out.byte(OP_I32_CONST);
    out.i32(loop.lo);
    out.byte(0x6b); // i32.sub
  }
  out.byte(OP_I32_CONST);
  out.i32(loop.width);
  out.byte(I32_LT_U);
  out.byte(0x04);
  out.byte(loop.blockType);
  bounded.push(out.len);
  copyLoop(b, func, loop, out, site);
  out.byte(0x05);
  copyLoop(b, func, loop, out, site);
  out.byte(0x0b);
}

/** The loop's bytes with its self-calls copied and every branch out of it one label deeper. */
function copyLoop(b: Uint8Array, func: number, loop: BoundableLoop, out: ByteWriter, site: () => void): void {
  let depth = 0;
  let copied = loop.start;
  walk(b, loop.start, loop.end, (op, at, next) => {
    if (op === 0x02 || op === 0x03 || op === 0x04) depth++;
    else if (op === 0x0b) depth--;
    else if (op === OP_CALL && readU32(b, at + 1) === func) {
      out.range(b, copied, at);
      site();
      copied = next;
    } else if (op === 0x0c || op === OP_BR_IF) {
      const l = readU32(b, at + 1);
      if (l >= depth) {
        out.range(b, copied, at);
        out.byte(op);
        out.u32(l + 1);
        copied = next;
      }
    } else if (op === OP_BR_TABLE) {
      out.range(b, copied, at);
      out.byte(op);
      let n = readU32(b, at + 1);
      out.u32(n);
      let p = lebEnd[0]!;
      for (n++; n > 0; n--) {
        const l = readU32(b, p);
        p = lebEnd[0]!;
        out.u32(l >= depth ? l + 1 : l);
      }
      copied = next;
    }
  });
  out.range(b, copied, loop.end);
}

/** The callee's code as a block body: locals shifted by `base`, `return` a branch to the block, its final `end` the block's. */
function copyBody(b: Uint8Array, c: Candidate, base: number, out: ByteWriter): void {
  let depth = 0; // labels opened inside the body
  let copied = c.codeStart;
  walk(b, c.codeStart, c.bodyEnd, (op, at, next) => {
    if (op === 0x02 || op === 0x03 || op === 0x04) depth++;
    else if (op === 0x0b) depth--;
    else if (op === OP_RETURN) {
      out.range(b, copied, at);
      out.byte(OP_BR);
      out.u32(depth);
      copied = next;
    } else if (op >= 0x20 && op <= 0x22) {
      out.range(b, copied, at);
      out.byte(op);
      out.u32(readU32(b, at + 1) + base);
      copied = next;
    }
  });
  out.range(b, copied, c.bodyEnd);
}

function zero(t: number, out: ByteWriter): void {
  switch (t) {
    case 0x7f: out.byte(0x41); out.byte(0); break;
    case 0x7e: out.byte(0x42); out.byte(0); break;
    case 0x7d: out.bytes([0x43, 0, 0, 0, 0]); break;
    default: out.bytes([0x44, 0, 0, 0, 0, 0, 0, 0, 0]);
  }
}
