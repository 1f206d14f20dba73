/**
 * Bounded loops, for inline-recursion.ts: a loop around a self-call copy needs a check of its own
 * (the copy may return without a call), and that check costs as much as the test the copy saved
 * (fib: +10% over no check).
 * A loop around a copy whose trip count follows from its counter at entry (a local stepped by a
 * constant once per iteration, compared with a constant by its only back-edge, the final
 * `br_if 0`: clang's `for (t = n; t > 3; t -= 2)` in fib) is written twice behind a test of that
 * counter: when it is in the window where the loop runs at most `tripLimit` times, the first
 * copy runs, which the planner marks as needing no check (writeBounded gives its position):
 * the function's entry charge already pays for loopBudget / callsPerUnit iterations of a loop
 * (contract.ts), so an invocation that runs at most that many adds no unpaid work. Otherwise
 * the second, checked copy runs. The window keeps every value the counter takes within
 * [0, 2^30 + 2^16], where signed and unsigned comparisons agree and nothing wraps. The unchecked
 * copy is the `if`'s first arm: V8 lays it out as the fall-through (fib: +1% over no check; as
 * the `else` arm +14%; bench/instrument/README.md, tenth round).
 */

import { type ByteWriter, lebEnd, readU32 } from "./bytes.ts";
import { NUMERIC, walkMvp as walk } from "./mvp-walk.ts";
import { readS32 } from "./trip-count.ts";

/** Largest loop (bytes, before copies) made bounded. */
const BOUNDED_MAX_LOOP = 160;
const OP_CALL = 0x10;

/** A loop writeBounded can split: its range, its counter, and the window of counter values at entry that bound it. */
export interface BoundableLoop {
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
export function boundable(b: Uint8Array, func: number, start: number, bodyEnd: number, tripLimit: number): BoundableLoop | null {
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
export function writeBounded(
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

