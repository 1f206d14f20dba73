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
 * Bounded loops: that check costs as much as the test the copy saved (fib: +10% over no check),
 * so a loop around a copy whose counter bounds its trip count is written twice, the copy that runs
 * at most `tripLimit` times unchecked (bounded-loops.ts).
 *
 * The copy: the call's arguments go into fresh locals (the callee's parameters), the callee's
 * declared locals are zeroed (as a function entry would), and its body becomes a block of the
 * function's result type, whose label stands for the function's: branch depths inside stay as
 * they are, and `return` becomes a branch to that block. Only MVP control and numeric types
 * (i32, i64, f32, f64) are handled; anything else (tail calls, exception handling, GC, atomics,
 * SIMD, reference locals, several results) leaves the function as it is.
 */

import { ByteWriter, InstrumentError, lebEnd, readU32, u32LebSize } from "./bytes.ts";
import { readModuleInfo, SectionId } from "./module-info.ts";
import { NUMERIC, walkMvp as walk } from "./mvp-walk.ts";
import { boundable, writeBounded } from "./bounded-loops.ts";

/** Largest body (bytes, locals included) copied into itself; fib is ~50. */
export const INLINE_MAX_BODY = 160;
/** At most this many self-calls per function (the body grows by one copy per call site). */
const MAX_SITES = 2;
/** Largest trip limit of a bounded loop. */
const MAX_TRIPS = 64;

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
