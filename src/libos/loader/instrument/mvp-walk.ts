/**
 * A walk over MVP instructions (and the 0xFC prefix): what the passes that look ahead or copy code
 * need (inline-recursion.ts copies bodies; code-scan.ts asks whether a loop calls anything). Any
 * other instruction (tail calls, exception handling, GC, SIMD, atomics, typed references, typed
 * select) stops the walk: the caller then leaves the code as it is.
 */

import { lebEnd, readU32, skipLeb } from "./bytes.ts";
import {
  K_BLOCK, K_BRTABLE, K_CALL_OTHER, K_END, K_F32, K_F64, K_FC, K_FUNCIDX, K_LABEL, K_LOOP, K_MEMARG, K_NONE, K_U32, kinds,
  skipBlockType, skipFC, skipMemarg,
} from "./opcodes.ts";

/** The MVP numeric value types (i32, i64, f32, f64). */
export const NUMERIC: ReadonlySet<number> = new Set([0x7f, 0x7e, 0x7d, 0x7c]);

/** The end of instruction `op` whose immediates start at `p` (`at`: its start), or -1 if it is not one this walk knows. */
export function skipMvp(b: Uint8Array, op: number, p: number, at: number): number {
  switch (kinds[op]) {
    case K_NONE:
      return op === 0x0a || op === 0x19 ? -1 : p; // throw_ref, catch_all
    case K_END:
      return p;
    case K_BLOCK:
      return op === 0x02 || op === 0x04 ? skipBlockType(b, p) : -1; // not try
    case K_LOOP:
      return skipBlockType(b, p);
    case K_U32: case K_LABEL:
      return op === 0x07 || op === 0x08 || op === 0x09 ? -1 : skipLeb(b, p); // catch, throw, rethrow
    case K_FUNCIDX:
      return op === 0x10 ? skipLeb(b, p) : -1; // return_call, ref.func
    case K_CALL_OTHER:
      return op === 0x11 ? skipLeb(b, skipLeb(b, p)) : -1; // return_call_indirect
    case K_MEMARG:
      return skipMemarg(b, p);
    case K_BRTABLE: {
      let n = readU32(b, p) + 1;
      p = lebEnd[0]!;
      for (; n > 0; n--) p = skipLeb(b, p);
      return p;
    }
    case K_F32:
      return p + 4;
    case K_F64:
      return p + 8;
    case K_FC:
      return skipFC(b, p, at);
    default:
      return -1;
  }
}

/**
 * Whether the loop body starting at `p` (after the loop's block type) calls anything before its
 * `end`: true or false, or undefined when it holds an instruction this walk does not know.
 */
export function loopBodyCalls(b: Uint8Array, p: number, limit: number): boolean | undefined {
  let depth = 0;
  while (p < limit) {
    const at = p;
    const op = b[p++]!;
    if (op === 0x10 || op === 0x11) return true;
    p = skipMvp(b, op, p, at);
    if (p < 0) return undefined;
    if (op === 0x02 || op === 0x03 || op === 0x04) depth++;
    else if (op === 0x0b && depth-- === 0) return false;
  }
  return undefined;
}

/**
 * Visit each instruction of [p, end): `visit(opcode, at, next)`. False when the code uses an
 * instruction skipMvp does not know (the passes that copy code then leave the function alone).
 */
export function walkMvp(b: Uint8Array, p: number, end: number, visit: (op: number, at: number, next: number) => void): boolean {
  while (p < end) {
    const at = p;
    const op = b[p++]!;
    p = skipMvp(b, op, p, at);
    if (p < 0) return false;
    visit(op, at, p);
  }
  return p === end;
}
