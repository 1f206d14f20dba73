/**
 * Trip counts of counted loops, for charging a loop's fuel once before it runs instead of once
 * per iteration (instrument.ts). A loop is counted when all of these hold (code-scan.ts checks the
 * first three while scanning, this module the shape of the tail and the arithmetic):
 *   - its only back-edge is a `br_if 0` that is the last instruction of its body;
 *   - that `br_if` is preceded by `local.get $i; i32.const c; i32.add; local.tee $i` and then
 *     either `i32.const N; <compare>` (ne, lt_u, lt_s, gt_u, gt_s) or nothing (continue while
 *     $i != 0, i.e. `ne 0`);
 *   - $i is written nowhere else in the loop, and its last write before the loop is
 *     `i32.const K; local.set $i` in straight-line code that reaches the loop header (no control
 *     instruction in between, so it runs on every entry).
 * Then the body runs exactly T times per entry, T computed below with wasm's i32 wrap-around
 * semantics; loops whose count would need a wrap-around are not counted. This is how clang emits
 * `for (i = 0; i < 16; i++)` at -O2.
 */

import { lebEnd, readU32 } from "./bytes.ts";

/** Signed 32-bit LEB at `pos` (i32.const immediate); its end goes to lebEnd[0]. */
export function readS32(b: Uint8Array, pos: number): number {
  let result = 0;
  let shift = 0;
  let byte = 0;
  do {
    byte = b[pos++]!;
    if (shift < 28) result |= (byte & 0x7f) << shift;
    else result |= (byte & 0x7f) << 28; // bits past 32 are a sign extension: dropped
    shift += 7;
  } while (byte & 0x80 && shift < 35);
  if (shift < 32 && byte & 0x40) result |= -1 << shift;
  lebEnd[0] = pos;
  return result | 0;
}

const I32_NE = 0x47;
const I32_LT_S = 0x48;
const I32_LT_U = 0x49;
const I32_GT_S = 0x4a;
const I32_GT_U = 0x4b;
/** Result of parseLoopTail: the induction local (or -1 when the tail does not match). */
export const tail = { local: -1, step: 0, bound: 0, cmp: 0 };

/**
 * Parse the tail `local.get $i; i32.const c; i32.add; local.tee $i; [i32.const N; cmp]` from `p`
 * up to exactly `end` (the position of the final `br_if 0`). Fills `tail`; false if no match.
 */
export function parseLoopTail(b: Uint8Array, p: number, end: number): boolean {
  if (b[p] !== 0x20) return false;
  const i = readU32(b, p + 1);
  p = lebEnd[0]!;
  if (b[p] !== 0x41) return false;
  const c = readS32(b, p + 1);
  p = lebEnd[0]!;
  if (b[p] !== 0x6a || b[p + 1] !== 0x22) return false;
  if (readU32(b, p + 2) !== i) return false;
  p = lebEnd[0]!;
  let n = 0;
  let cmp = I32_NE;
  if (p !== end) {
    if (b[p] !== 0x41) return false;
    n = readS32(b, p + 1);
    p = lebEnd[0]!;
    cmp = b[p++]!;
    if (cmp < I32_NE || cmp > I32_GT_U) return false;
  }
  if (p !== end) return false;
  tail.local = i;
  tail.step = c;
  tail.bound = n;
  tail.cmp = cmp;
  return true;
}

/**
 * Number of times the body runs per entry for start value `k` and the parsed `tail`, or 0 when it
 * is not a small known count (at most `limit`).
 */
export function tripCount(k: number, limit: number): number {
  const c = tail.step;
  const n = tail.bound;
  let t = 0;
  if (c === 0 || c > 0x10000 || c < -0x10000) return 0;
  switch (tail.cmp) {
    case I32_NE: { // stops when k + t*c == n (mod 2^32); no smaller t can wrap onto n (|c|*t < 2^32)
      const d = c > 0 ? (n - k) >>> 0 : (k - n) >>> 0;
      const s = Math.abs(c);
      if (d % s === 0) t = d / s;
      break;
    }
    case I32_LT_U: // continue while i + c < n, i counts up from k < n, no wrap below 2^32
      if (c > 0 && k >>> 0 < n >>> 0 && (n >>> 0) + c <= 2 ** 32) t = Math.ceil(((n >>> 0) - (k >>> 0)) / c);
      break;
    case I32_LT_S:
      if (c > 0 && k < n && n + c <= 2 ** 31) t = Math.ceil((n - k) / c);
      break;
    case I32_GT_U: // counting down from k > n; i > n >= |c| - 1 keeps i - |c| from wrapping
      if (c < 0 && k >>> 0 > n >>> 0 && (n >>> 0) + 1 >= -c) t = Math.ceil(((k >>> 0) - (n >>> 0)) / -c);
      break;
    case I32_GT_S:
      if (c < 0 && k > n && n + c >= -(2 ** 31)) t = Math.ceil((k - n) / -c);
      break;
  }
  return t >= 1 && t <= limit ? t : 0;
}
