/**
 * The encoding of wasm instructions, as far as the scanner needs it: the immediate shape of every
 * single-byte opcode, how to skip value types, block types, heap types, memargs and the prefixed
 * (0xFB-0xFD) instructions, and which opcodes are plain (no branch, call, throw or deliberate trap)
 * or belong to exception handling. Knows nothing of what the rewriter records (code-scan.ts).
 */

import { InstrumentError, lebEnd, readU32, skipLeb } from "./bytes.ts";

// Immediate shapes of single-byte opcodes.
const K_BAD = 0; // the table's default: not an opcode
export const K_NONE = 1;
export const K_BLOCK = 2; // block, if, try: block type, opens a label
export const K_LOOP = 3;
export const K_END = 4;
export const K_U32 = 5; // one LEB immediate
export const K_MEMARG = 7;
export const K_BRTABLE = 8;
export const K_SELECT_T = 9;
export const K_F32 = 10;
export const K_F64 = 11;
export const K_HEAPTYPE = 12;
export const K_FUNCIDX = 13; // call, return_call, ref.func
export const K_CALL_OTHER = 14; // call_indirect / return_call_indirect (2 LEBs), marks sawCall
export const K_CALL_REF = 15; // call_ref / return_call_ref (1 LEB), marks sawCall
export const K_TRY_TABLE = 16;
export const K_DELEGATE = 17; // ends a try block
export const K_FB = 18;
export const K_FC = 19;
export const K_FD = 20;
export const K_FE = 21;
export const K_LABEL = 22; // one label immediate

/** Immediate shape (K_*) of each single-byte opcode. */
export const kinds = new Uint8Array(256);
function set(from: number, to: number, k: number): void {
  for (let i = from; i <= to; i++) kinds[i] = k;
}
set(0x00, 0x01, K_NONE); // unreachable nop
set(0x02, 0x02, K_BLOCK);
set(0x03, 0x03, K_LOOP);
set(0x04, 0x04, K_BLOCK);
set(0x05, 0x05, K_NONE); // else
set(0x06, 0x06, K_BLOCK); // try
set(0x07, 0x08, K_U32); // catch tag, throw tag
set(0x09, 0x09, K_LABEL); // rethrow
set(0x0a, 0x0a, K_NONE); // throw_ref
set(0x0b, 0x0b, K_END);
set(0x0c, 0x0d, K_LABEL); // br br_if
set(0x0e, 0x0e, K_BRTABLE);
set(0x0f, 0x0f, K_NONE); // return
set(0x10, 0x10, K_FUNCIDX); // call
set(0x11, 0x11, K_CALL_OTHER); // call_indirect
set(0x12, 0x12, K_FUNCIDX); // return_call
set(0x13, 0x13, K_CALL_OTHER); // return_call_indirect
set(0x14, 0x15, K_CALL_REF); // call_ref return_call_ref
set(0x18, 0x18, K_DELEGATE);
set(0x19, 0x19, K_NONE); // catch_all
set(0x1a, 0x1b, K_NONE); // drop select
set(0x1c, 0x1c, K_SELECT_T);
set(0x1f, 0x1f, K_TRY_TABLE);
set(0x20, 0x26, K_U32); // local.get/set/tee global.get/set table.get/set
set(0x28, 0x3e, K_MEMARG);
set(0x3f, 0x40, K_U32); // memory.size/grow (memory index)
set(0x41, 0x42, K_U32); // i32.const i64.const (LEB; value irrelevant here)
set(0x43, 0x43, K_F32);
set(0x44, 0x44, K_F64);
set(0x45, 0xc4, K_NONE); // numeric + sign-ext
set(0xd0, 0xd0, K_HEAPTYPE); // ref.null
set(0xd1, 0xd1, K_NONE); // ref.is_null
set(0xd2, 0xd2, K_FUNCIDX); // ref.func
set(0xd3, 0xd4, K_NONE); // ref.eq ref.as_non_null
set(0xd5, 0xd6, K_LABEL); // br_on_null br_on_non_null
set(0xfb, 0xfb, K_FB);
set(0xfc, 0xfc, K_FC);
set(0xfd, 0xfd, K_FD);
set(0xfe, 0xfe, K_FE);

/** Skip a memarg: align flags (bit 6: a memory index follows), [memidx], offset (u32 or u64). */
export function skipMemarg(b: Uint8Array, p: number): number {
  const flags = readU32(b, p);
  p = lebEnd[0]!;
  if (flags & 0x40) p = skipLeb(b, p);
  return skipLeb(b, p);
}

/** Skip a heap type (s33: an abstract type byte or a type index). */
export function skipHeapType(b: Uint8Array, p: number): number {
  return skipLeb(b, p);
}

/** Skip a value type: one byte, or 0x63/0x64 (ref null? ht) followed by a heap type. */
export function skipValType(b: Uint8Array, p: number): number {
  const t = b[p];
  if (t === undefined) throw new InstrumentError("truncated value type", p);
  if (t === 0x63 || t === 0x64) return skipHeapType(b, p + 1);
  return p + 1;
}

/** Skip a block type: 0x40, a value type, or an s33 type index. */
export function skipBlockType(b: Uint8Array, p: number): number {
  const t = b[p];
  if (t === 0x63 || t === 0x64) return skipHeapType(b, p + 1);
  return skipLeb(b, p);
}

export function skipFB(b: Uint8Array, p: number, start: number): number {
  const sub = readU32(b, p);
  p = lebEnd[0]!;
  switch (sub) {
    case 0: case 1: case 6: case 7: case 11: case 12: case 13: case 14: case 16:
      return skipLeb(b, p); // typeidx
    case 2: case 3: case 4: case 5: case 8: case 9: case 10: case 17: case 18: case 19:
      return skipLeb(b, skipLeb(b, p)); // two indices / typeidx + count
    case 15: case 26: case 27: case 28: case 29: case 30:
      return p;
    case 20: case 21: case 22: case 23:
      return skipHeapType(b, p);
    case 24: case 25: // br_on_cast(_fail): flags byte, label, ht1, ht2
      return skipHeapType(b, skipHeapType(b, skipLeb(b, p + 1)));
    default:
      throw new InstrumentError(`unknown GC opcode 0xfb ${sub}`, start);
  }
}

export function skipFC(b: Uint8Array, p: number, start: number): number {
  const sub = readU32(b, p);
  p = lebEnd[0]!;
  switch (sub) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
    case 19: case 20: case 21: case 22: // sat-conv; wide arithmetic
      return p;
    case 9: case 11: case 13: case 15: case 16: case 17: // data.drop memory.fill elem.drop table.grow/size/fill
      return skipLeb(b, p);
    case 8: case 10: case 12: case 14: // memory.init memory.copy table.init table.copy
      return skipLeb(b, skipLeb(b, p));
    default:
      throw new InstrumentError(`unknown opcode 0xfc ${sub}`, start);
  }
}

export function skipFD(b: Uint8Array, p: number, start: number): number {
  const sub = readU32(b, p);
  p = lebEnd[0]!;
  if (sub <= 11 || sub === 92 || sub === 93) return skipMemarg(b, p); // loads, store, load_zero
  if (sub === 12 || sub === 13) return p + 16; // v128.const, i8x16.shuffle
  if (sub >= 21 && sub <= 34) return p + 1; // extract/replace lane
  if (sub >= 84 && sub <= 91) return skipMemarg(b, p) + 1; // load/store lane
  if (sub <= 0x113) return p; // everything else, incl. relaxed SIMD, has no immediate
  throw new InstrumentError(`unknown SIMD opcode 0xfd ${sub}`, start);
}

// Opcodes that neither branch, trap on purpose, throw nor call: a run of them at the top of a loop
// body always reaches what follows (memory traps end the thread, which is fine).
export const plainOp = new Uint8Array(256);
for (let op = 0; op < 256; op++) {
  const k = kinds[op]!;
  plainOp[op] = k === K_NONE || k === K_U32 || k === K_MEMARG || k === K_SELECT_T || k === K_F32 || k === K_F64 ||
    k === K_HEAPTYPE || k === K_FC || k === K_FD || k === K_FE ? 1 : 0;
}
// unreachable, else, catch, throw, throw_ref, return, catch_all
for (const op of [0x00, 0x05, 0x07, 0x08, 0x0a, 0x0f, 0x19]) plainOp[op] = 0;
// Exception handling: try catch throw rethrow throw_ref delegate catch_all try_table.
export const ehOp = new Uint8Array(256);
for (const op of [0x06, 0x07, 0x08, 0x09, 0x0a, 0x18, 0x19, 0x1f]) ehOp[op] = 1;
