/**
 * Module-level reading: split a binary into sections and collect the index-space facts the
 * rewriter needs (type count and parameter counts, imported function/global counts, memory 0's
 * address width, export names). Section payloads are not copied: everything refers to input ranges.
 */

import { InstrumentError, lebEnd, readU32, skipLeb } from "./bytes.ts";
import { skipValType } from "./opcodes.ts";

export const SectionId = {
  Custom: 0, Type: 1, Import: 2, Function: 3, Table: 4, Memory: 5, Global: 6, Export: 7, Start: 8,
  Element: 9, Code: 10, Data: 11, DataCount: 12, Tag: 13,
} as const;

/** Position of each known section id in the required order (tag sits between memory and global). */
export const sectionRank: readonly number[] = [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6];

export interface Section {
  id: number;
  /** Start of the section header (the id byte). */
  headerStart: number;
  /** Payload range. */
  start: number;
  end: number;
  /** Custom sections: their name, and where their content starts after the name. */
  name?: string;
  contentStart?: number;
}

export interface ModuleInfo {
  sections: Section[];
  typeCount: number;
  /** Parameter count of each type index (-1 for non-function types). */
  typeParams: number[];
  /** Position of each function type's 0x60 form byte (-1 for other types). */
  typeStart: number[];
  importedFuncs: number;
  importedGlobals: number;
  importedMemories: number;
  definedGlobals: number;
  /** Type index of each defined function. */
  funcTypes: Uint32Array;
  memory0Is64: boolean;
  exportNames: Set<string>;
  /**
   * Function indices of the imports that wake futex waiters (WASIX futex_wake/futex_wake_all):
   * a preemption test follows each call, so a waker that must give way to the thread it woke
   * does so at once (Thread.wokeUp), before it takes the lock again.
   */
  wakeImports: Set<number>;
}

const WAKE_IMPORTS = new Set(["wasix_32v1 futex_wake", "wasix_32v1 futex_wake_all"]);

const decoder = new TextDecoder("utf-8", { fatal: false });

export function readName(b: Uint8Array, p: number): string {
  const n = readU32(b, p);
  const s = lebEnd[0]!;
  if (s + n > b.length) throw new InstrumentError("truncated name", p);
  lebEnd[0] = s + n;
  return decoder.decode(b.subarray(s, s + n));
}

/** Split the module into sections, checking the header and that sizes add up. */
export function splitSections(b: Uint8Array): Section[] {
  if (b.length < 8 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) {
    throw new InstrumentError("not a WebAssembly module (bad magic)", 0);
  }
  if (b[4] !== 1 || b[5] !== 0 || b[6] !== 0 || b[7] !== 0) {
    throw new InstrumentError("unsupported binary version (a component?)", 4);
  }
  const sections: Section[] = [];
  let p = 8;
  while (p < b.length) {
    const headerStart = p;
    const id = b[p++]!;
    const size = readU32(b, p);
    const start = lebEnd[0]!;
    const end = start + size;
    if (end > b.length) throw new InstrumentError(`section ${id} runs past the end`, headerStart);
    const s: Section = { id, headerStart, start, end };
    if (id === SectionId.Custom) {
      s.name = readName(b, start);
      s.contentStart = lebEnd[0]!;
    } else if (id > 13) {
      throw new InstrumentError(`unknown section id ${id}`, headerStart);
    }
    sections.push(s);
    p = end;
  }
  return sections;
}

/** Skip limits (flags: bit0 max present, bit1 shared, bit2 64-bit, bit3 custom page size). */
function skipLimits(b: Uint8Array, p: number): number {
  const flags = readU32(b, p);
  p = skipLeb(b, lebEnd[0]!);
  if (flags & 1) p = skipLeb(b, p);
  if (flags & 8) p = skipLeb(b, p);
  return p;
}

/** Skip a table type: reftype + limits. */
export function skipTableType(b: Uint8Array, p: number): number {
  return skipLimits(b, skipValType(b, p));
}

/** Parse a composite type (func/struct/array), returning its end; records params for funcs. */
function skipCompType(b: Uint8Array, p: number, params: number[], starts: number[]): number {
  const form = b[p++];
  starts.push(form === 0x60 ? p - 1 : -1);
  if (form === 0x60) {
    let n = readU32(b, p);
    p = lebEnd[0]!;
    params.push(n);
    for (; n > 0; n--) p = skipValType(b, p);
    let r = readU32(b, p);
    p = lebEnd[0]!;
    for (; r > 0; r--) p = skipValType(b, p);
    return p;
  }
  params.push(-1);
  if (form === 0x5f) { // struct: vec(fieldtype)
    let n = readU32(b, p);
    p = lebEnd[0]!;
    for (; n > 0; n--) p = skipValType(b, p) + 1;
    return p;
  }
  if (form === 0x5e) return skipValType(b, p) + 1; // array: fieldtype
  throw new InstrumentError(`unknown type form 0x${(form ?? 0).toString(16)}`, p - 1);
}

function skipSubType(b: Uint8Array, p: number, params: number[], starts: number[]): number {
  const t = b[p];
  if (t === 0x50 || t === 0x4f) { // sub / sub final: supertypes, then comptype
    let n = readU32(b, p + 1);
    p = lebEnd[0]!;
    for (; n > 0; n--) p = skipLeb(b, p);
  }
  return skipCompType(b, p, params, starts);
}

function parseTypes(b: Uint8Array, s: Section, info: ModuleInfo): void {
  let n = readU32(b, s.start);
  let p = lebEnd[0]!;
  for (; n > 0; n--) {
    if (b[p] === 0x4e) { // rec group
      let m = readU32(b, p + 1);
      p = lebEnd[0]!;
      for (; m > 0; m--) p = skipSubType(b, p, info.typeParams, info.typeStart);
    } else {
      p = skipSubType(b, p, info.typeParams, info.typeStart);
    }
  }
  if (p !== s.end) throw new InstrumentError("type section size mismatch", p);
  info.typeCount = info.typeParams.length;
}

function parseImports(b: Uint8Array, s: Section, info: ModuleInfo): void {
  let n = readU32(b, s.start);
  let p = lebEnd[0]!;
  for (; n > 0; n--) {
    const module = readName(b, p);
    const name = readName(b, lebEnd[0]!);
    p = lebEnd[0]!;
    const kind = b[p++];
    switch (kind) {
      case 0:
        if (WAKE_IMPORTS.has(`${module} ${name}`)) info.wakeImports.add(info.importedFuncs);
        info.importedFuncs++;
        p = skipLeb(b, p);
        break;
      case 1: p = skipTableType(b, p); break;
      case 2: {
        const flags = readU32(b, p);
        if (info.importedMemories++ === 0) info.memory0Is64 = (flags & 4) !== 0;
        p = skipLimits(b, p);
        break;
      }
      case 3: info.importedGlobals++; p = skipValType(b, p) + 1; break;
      case 4: p = skipLeb(b, p + 1); break; // tag: attribute byte + type index
      default: throw new InstrumentError(`unknown import kind ${kind}`, p - 1);
    }
  }
  if (p !== s.end) throw new InstrumentError("import section size mismatch", p);
}

/** Collect the facts of `ModuleInfo` (one pass over the non-code sections). */
export function readModuleInfo(b: Uint8Array): ModuleInfo {
  const info: ModuleInfo = {
    sections: splitSections(b), typeCount: 0, typeParams: [], typeStart: [], importedFuncs: 0, importedGlobals: 0,
    importedMemories: 0, definedGlobals: 0, funcTypes: new Uint32Array(0), memory0Is64: false, wakeImports: new Set(),
    exportNames: new Set(),
  };
  for (const s of info.sections) {
    switch (s.id) {
      case SectionId.Type: parseTypes(b, s, info); break;
      case SectionId.Import: parseImports(b, s, info); break;
      case SectionId.Function: {
        const n = readU32(b, s.start);
        let p = lebEnd[0]!;
        info.funcTypes = new Uint32Array(n);
        for (let i = 0; i < n; i++) {
          info.funcTypes[i] = readU32(b, p);
          p = lebEnd[0]!;
        }
        break;
      }
      case SectionId.Memory:
        if (info.importedMemories === 0 && readU32(b, s.start) > 0) {
          info.memory0Is64 = (readU32(b, lebEnd[0]!) & 4) !== 0;
        }
        break;
      case SectionId.Global:
        info.definedGlobals = readU32(b, s.start);
        break;
      case SectionId.Export: {
        let n = readU32(b, s.start);
        let p = lebEnd[0]!;
        for (; n > 0; n--) {
          info.exportNames.add(readName(b, p));
          p = skipLeb(b, lebEnd[0]! + 1);
        }
        break;
      }
    }
  }
  return info;
}

// Abstract heap types (funcref = 0x70 = `ref null func`, ..., exnref 0x69, nullexnref 0x74).
const isAbstractHeapType = (x: number): boolean => x >= 0x69 && x <= 0x74;

/** A canonical key for the value type at p (lebEnd[0] = its end), or null when it names a type index. */
function valTypeKey(b: Uint8Array, p: number): string | null {
  const v = b[p]!;
  lebEnd[0] = p + 1;
  if (v >= 0x7b && v <= 0x7f) return String(v);
  if (isAbstractHeapType(v)) return `n${v}`; // shorthand: nullable
  if ((v === 0x63 || v === 0x64) && isAbstractHeapType(b[p + 1]!)) {
    lebEnd[0] = p + 2;
    return `${v === 0x63 ? "n" : "r"}${b[p + 1]}`;
  }
  return null;
}

/**
 * Equivalence classes of the module's function types, for the targets of indirect calls: a call
 * through type t (call_indirect, call_ref) traps unless the callee's type is t or a subtype, so it
 * can only reach functions whose type has t's class. Per type index its class (-1 for a struct or
 * array type), and the number of classes; null when this does not decide it (rec groups, declared
 * supertypes, value types naming a type index: the callers then treat any reference as reaching
 * any function). Plain function types (each its own final type) are equivalent exactly when their
 * parameters and results are, with `funcref` and `(ref null func)` the same.
 */
export function funcTypeClasses(b: Uint8Array, info: ModuleInfo): { classOf: Int32Array; count: number } | null {
  const classOf = new Int32Array(info.typeCount).fill(-1);
  const s = info.sections.find((x) => x.id === SectionId.Type);
  if (!s) return { classOf, count: 0 };
  const ids = new Map<string, number>();
  const n = readU32(b, s.start);
  let p = lebEnd[0]!;
  for (let t = 0; t < n; t++) {
    const form = b[p];
    if (form !== 0x60) {
      if (form !== 0x5f && form !== 0x5e) return null;
      p = skipCompType(b, p, [], []);
      continue;
    }
    let key = "";
    for (let part = 0; part < 2; part++) {
      let k = readU32(b, part === 0 ? p + 1 : p);
      p = lebEnd[0]!;
      key += `${part === 0 ? "(" : ")->("}${k}`;
      for (; k > 0; k--) {
        const v = valTypeKey(b, p);
        if (v === null) return null;
        key += `,${v}`;
        p = lebEnd[0]!;
      }
    }
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    classOf[t] = id;
  }
  return { classOf, count: ids.size };
}
