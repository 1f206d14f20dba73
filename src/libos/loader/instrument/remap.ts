/**
 * Function-index renumbering outside the code section: constant expressions (global and table
 * initializers, element expressions), element segments in all eight encodings, exports and the
 * start function. Each writer copies its section's payload into `w` with indices >= `from`
 * moved up by `shift`.
 */

import { ByteWriter, InstrumentError, lebEnd, readU32, skipLeb } from "./bytes.ts";
import { Ev, EventList, type ScanContext, scanExpr } from "./code-scan.ts";
import { readName, type Section, SectionId, skipTableType } from "./module-info.ts";
import { skipValType } from "./opcodes.ts";

export interface Shift {
  from: number;
  by: number;
}

const scratch = new EventList();

// While collectFuncRefs runs: receives every function index the copies see.
let collector: ((idx: number) => void) | null = null;

/** Copy the constant expression at `p` (through its `end`), renumbering ref.func. */
export function copyExpr(b: Uint8Array, p: number, limit: number, w: ByteWriter, shift: Shift): number {
  scratch.count = 0;
  const ctx: ScanContext = {
    events: scratch, funcRefMin: shift.from, loops: false, wrapLoops: false, typeParams: [], atomics: null,
    sawCall: false, sawIndirect: false, loopCount: 0,
  };
  const end = scanExpr(b, p, limit, ctx);
  let cur = p;
  const d = scratch.data;
  for (let i = 0; i < scratch.count; i++) {
    if (d[i * 4] !== Ev.FuncRef && d[i * 4] !== Ev.RefFunc) continue;
    collector?.(d[i * 4 + 3]!);
    w.range(b, cur, d[i * 4 + 1]!);
    w.u32(d[i * 4 + 3]! + shift.by);
    cur = d[i * 4 + 2]!;
  }
  w.range(b, cur, end);
  return end;
}

/** Copy a vec(funcidx), renumbering. */
function copyFuncVec(b: Uint8Array, p: number, w: ByteWriter, shift: Shift): number {
  let n = readU32(b, p);
  p = lebEnd[0]!;
  w.u32(n);
  for (; n > 0; n--) {
    const idx = readU32(b, p);
    p = lebEnd[0]!;
    collector?.(idx);
    w.u32(idx >= shift.from ? idx + shift.by : idx);
  }
  return p;
}

function copyExprVec(b: Uint8Array, p: number, limit: number, w: ByteWriter, shift: Shift): number {
  let n = readU32(b, p);
  w.range(b, p, lebEnd[0]!);
  p = lebEnd[0]!;
  for (; n > 0; n--) p = copyExpr(b, p, limit, w, shift);
  return p;
}

export function copyElements(b: Uint8Array, start: number, end: number, w: ByteWriter, shift: Shift): void {
  let n = readU32(b, start);
  let p = lebEnd[0]!;
  w.range(b, start, p);
  for (; n > 0; n--) {
    const flags = readU32(b, p);
    w.range(b, p, lebEnd[0]!);
    p = lebEnd[0]!;
    switch (flags) {
      case 0: // active, table 0, offset, vec(funcidx)
        p = copyExpr(b, p, end, w, shift);
        p = copyFuncVec(b, p, w, shift);
        break;
      case 1: case 3: // passive / declarative: elemkind, vec(funcidx)
        w.byte(b[p++]!);
        p = copyFuncVec(b, p, w, shift);
        break;
      case 2: { // active, table index, offset, elemkind, vec(funcidx)
        const q = skipLeb(b, p);
        w.range(b, p, q);
        p = copyExpr(b, q, end, w, shift);
        w.byte(b[p++]!);
        p = copyFuncVec(b, p, w, shift);
        break;
      }
      case 4: // active, table 0, offset, vec(expr)
        p = copyExpr(b, p, end, w, shift);
        p = copyExprVec(b, p, end, w, shift);
        break;
      case 5: case 7: { // passive / declarative: reftype, vec(expr)
        const q = skipValType(b, p);
        w.range(b, p, q);
        p = copyExprVec(b, q, end, w, shift);
        break;
      }
      case 6: { // active, table index, offset, reftype, vec(expr)
        const q = skipLeb(b, p);
        w.range(b, p, q);
        p = copyExpr(b, q, end, w, shift);
        const r = skipValType(b, p);
        w.range(b, p, r);
        p = copyExprVec(b, r, end, w, shift);
        break;
      }
      default:
        throw new InstrumentError(`unknown element segment encoding ${flags}`, p);
    }
  }
  if (p !== end) throw new InstrumentError("element section size mismatch", p);
}

/** Globals: globaltype + init expr each. Returns nothing; the caller may append entries. */
export function copyGlobalEntries(b: Uint8Array, p: number, end: number, n: number, w: ByteWriter, shift: Shift): void {
  for (; n > 0; n--) {
    const q = skipValType(b, p) + 1; // value type + mutability
    w.range(b, p, q);
    p = copyExpr(b, q, end, w, shift);
  }
  if (p !== end) throw new InstrumentError("global section size mismatch", p);
}

/** Tables: a table type, or 0x40 0x00 tabletype expr (a table with an initializer). */
export function copyTables(b: Uint8Array, start: number, end: number, w: ByteWriter, shift: Shift): void {
  let n = readU32(b, start);
  let p = lebEnd[0]!;
  w.range(b, start, p);
  for (; n > 0; n--) {
    if (b[p] === 0x40) {
      const q = skipTableType(b, p + 2);
      w.range(b, p, q);
      p = copyExpr(b, q, end, w, shift);
    } else {
      const q = skipTableType(b, p);
      w.range(b, p, q);
      p = q;
    }
  }
  if (p !== end) throw new InstrumentError("table section size mismatch", p);
}

/** Export entries (name, kind, index); function exports are renumbered. */
export function copyExportEntries(b: Uint8Array, p: number, end: number, n: number, w: ByteWriter, shift: Shift): void {
  for (; n > 0; n--) {
    readName(b, p);
    const kindPos = lebEnd[0]!;
    w.range(b, p, kindPos + 1);
    const idx = readU32(b, kindPos + 1);
    const q = lebEnd[0]!;
    if (b[kindPos] === 0 && idx >= shift.from) w.u32(idx + shift.by);
    else w.range(b, kindPos + 1, q);
    p = q;
  }
  if (p !== end) throw new InstrumentError("export section size mismatch", p);
}

/**
 * Report every function index referenced outside the code section (element segments, global and
 * table initializers): with ref.func in code, the functions an indirect call may reach.
 */
export function collectFuncRefs(b: Uint8Array, sections: readonly Section[], fn: (idx: number) => void): void {
  const sink = new ByteWriter(4096);
  const noShift: Shift = { from: 0, by: 0 };
  collector = fn;
  try {
    for (const s of sections) {
      sink.len = 0;
      if (s.id === SectionId.Element) copyElements(b, s.start, s.end, sink, noShift);
      else if (s.id === SectionId.Table) copyTables(b, s.start, s.end, sink, noShift);
      else if (s.id === SectionId.Global) {
        const n = readU32(b, s.start);
        copyGlobalEntries(b, lebEnd[0]!, s.end, n, sink, noShift);
      }
    }
  } finally {
    collector = null;
  }
}
