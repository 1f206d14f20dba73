/**
 * Just enough of the binary format to load a program: the magic/version check and, for every
 * import, its kind and (for functions) its signature, (for memories) its limits. The JS API's
 * Module.imports() gives neither, and the loader needs both: an ENOSYS stub must return the right
 * result type, and an imported memory must be created with the declared limits.
 */

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128" | "ref";

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

export type ImportInfo =
  | { module: string; name: string; kind: "function"; type: FuncType }
  | { module: string; name: string; kind: "memory"; initial: number; maximum?: number; shared: boolean; memory64: boolean }
  | { module: string; name: string; kind: "table" | "global" | "tag" };

export class ExecFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExecFormatError";
  }
}

export function isWasm(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d &&
    bytes[4] === 1 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0;
}

class Reader {
  pos: number;
  private readonly b: Uint8Array;
  constructor(b: Uint8Array, pos: number) {
    this.b = b;
    this.pos = pos;
  }
  byte(): number {
    if (this.pos >= this.b.byteLength) throw new ExecFormatError("truncated module");
    return this.b[this.pos++]!;
  }
  /** Unsigned LEB128 of at most `bits` bits (as a JS number: exact up to 2^53, enough for limits). */
  private leb(bits: number): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift >= bits) throw new ExecFormatError("bad LEB128");
    }
  }
  u32(): number {
    return this.leb(36);
  }
  u64(): number {
    return this.leb(71);
  }
  name(): string {
    const n = this.u32();
    const s = new TextDecoder().decode(this.b.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  valType(): ValType {
    const t = this.byte();
    switch (t) {
      case 0x7f: return "i32";
      case 0x7e: return "i64";
      case 0x7d: return "f32";
      case 0x7c: return "f64";
      case 0x7b: return "v128";
      case 0x63: case 0x64: this.heapType(); return "ref";
      default: return "ref"; // funcref, externref and the other abbreviations
    }
  }
  heapType(): void {
    const t = this.b[this.pos]!;
    if (t >= 0x40 && t < 0x80) this.pos++; // abstract heap type
    else this.u32(); // type index (s33, non-negative here)
  }
  limits(): { initial: number; maximum?: number; shared: boolean; memory64: boolean } {
    const flags = this.byte();
    const memory64 = (flags & 4) !== 0;
    const initial = memory64 ? this.u64() : this.u32();
    const out: { initial: number; maximum?: number; shared: boolean; memory64: boolean } = { initial, shared: (flags & 2) !== 0, memory64 };
    if (flags & 1) out.maximum = memory64 ? this.u64() : this.u32();
    return out;
  }
}

/** Function types and imports of a module (sections 1 and 2). */
export function readImports(bytes: Uint8Array): ImportInfo[] {
  if (!isWasm(bytes)) throw new ExecFormatError("not a WebAssembly module");
  const r = new Reader(bytes, 8);
  const types: FuncType[] = [];
  const imports: ImportInfo[] = [];
  while (r.pos < bytes.byteLength) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        let form = r.byte();
        // rec groups / subtypes (GC proposal): skip to the func type inside
        if (form === 0x4e) throw new ExecFormatError("GC rec groups are not supported");
        if (form === 0x50 || form === 0x4f) {
          const k = r.u32();
          for (let j = 0; j < k; j++) r.u32();
          form = r.byte();
        }
        if (form !== 0x60) throw new ExecFormatError(`unsupported type form 0x${form.toString(16)}`);
        const params: ValType[] = [];
        for (let k = r.u32(); k > 0; k--) params.push(r.valType());
        const results: ValType[] = [];
        for (let k = r.u32(); k > 0; k--) results.push(r.valType());
        types.push({ params, results });
      }
    } else if (id === 2) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const module = r.name();
        const name = r.name();
        const kind = r.byte();
        if (kind === 0) {
          const type = types[r.u32()];
          if (!type) throw new ExecFormatError("import of an undefined type");
          imports.push({ module, name, kind: "function", type });
        } else if (kind === 1) {
          r.valType();
          r.limits();
          imports.push({ module, name, kind: "table" });
        } else if (kind === 2) {
          imports.push({ module, name, kind: "memory", ...r.limits() });
        } else if (kind === 3) {
          r.valType();
          r.byte();
          imports.push({ module, name, kind: "global" });
        } else if (kind === 4) {
          r.byte();
          r.u32();
          imports.push({ module, name, kind: "tag" });
        } else {
          throw new ExecFormatError(`unknown import kind ${kind}`);
        }
      }
      return imports;
    } else if (id !== 0) {
      // Sections are ordered: type (1) and import (2) come before every other non-custom one.
      if (id > 2) return imports;
    }
    r.pos = end;
  }
  return imports;
}

/** Function names from a "name" custom section (subsection 1), by function index. */
export function readFunctionNames(section: ArrayBuffer): Map<number, string> {
  const names = new Map<number, string>();
  const bytes = new Uint8Array(section);
  const r = new Reader(bytes, 0);
  try {
    while (r.pos < bytes.byteLength) {
      const id = r.byte();
      const size = r.u32();
      const end = r.pos + size;
      if (id === 1) {
        for (let n = r.u32(); n > 0; n--) {
          const idx = r.u32();
          names.set(idx, r.name());
        }
      }
      r.pos = end;
    }
  } catch {
    // A malformed name section only costs us names in trap reports.
  }
  return names;
}
