/**
 * The "name" custom section after a function-index shift: function names (subsection 1), local
 * names (2) and label names (3) are keyed by function index and get renumbered; the functions the
 * instrumenter adds get names so stack traces stay readable. Other subsections are copied.
 */

import { ByteWriter, InstrumentError, lebEnd, readU32 } from "./bytes.ts";

export interface AddedName {
  /** Function index in the output module. */
  index: number;
  name: string;
  /**
   * Input function index whose name to reuse instead of `name` when it has one (a clone keeps the
   * name of the function it was cloned from: trap reports name the guest's function). Only for
   * entries whose index is above every input function's output index.
   */
  nameOf?: number;
}

/**
 * Rewrite the content of a name section (the bytes after its "name" string) into `w`.
 * `shiftFrom`/`shift`: function indices >= shiftFrom move up by `shift`. `added` must be sorted.
 * Throws InstrumentError on a malformed section (the caller drops it: names are advisory).
 */
export function rewriteNames(
  b: Uint8Array, start: number, end: number, w: ByteWriter,
  shiftFrom: number, shift: number, added: readonly AddedName[],
): void {
  const map = (i: number): number => (i >= shiftFrom ? i + shift : i);
  let p = start;
  while (p < end) {
    const id = b[p++]!;
    const size = readU32(b, p);
    const s = lebEnd[0]!;
    const e = s + size;
    if (e > end) throw new InstrumentError("name subsection runs past its section", p);
    if (id === 1) {
      w.byte(1);
      const mark = w.reserveLength();
      let n = readU32(b, s);
      let q = lebEnd[0]!;
      w.u32(n + added.length);
      let next = 0;
      const wanted = new Map<number, [number, number]>();
      for (const a of added) if (a.nameOf !== undefined) wanted.set(a.nameOf, [0, 0]);
      for (; n > 0; n--) {
        const input = readU32(b, q);
        const idx = map(input);
        const nameStart = lebEnd[0]!;
        const len = readU32(b, nameStart);
        const nameEnd = lebEnd[0]! + len;
        while (next < added.length && added[next]!.index < idx) {
          w.u32(added[next]!.index);
          w.name(added[next]!.name);
          next++;
        }
        w.u32(idx);
        w.range(b, nameStart, nameEnd);
        if (wanted.has(input)) wanted.set(input, [nameStart, nameEnd]);
        q = nameEnd;
      }
      for (; next < added.length; next++) {
        const a = added[next]!;
        w.u32(a.index);
        const r = a.nameOf === undefined ? undefined : wanted.get(a.nameOf);
        if (r && r[1] > r[0]) w.range(b, r[0], r[1]);
        else w.name(a.name);
      }
      if (q !== e) throw new InstrumentError("function name map size mismatch", q);
      w.patchLength(mark);
    } else if ((id === 2 || id === 3) && shift !== 0) {
      // Indirect maps: only the outer (function) index moves; copy each inner map as is.
      w.byte(id);
      const mark = w.reserveLength();
      let n = readU32(b, s);
      let q = lebEnd[0]!;
      w.u32(n);
      for (; n > 0; n--) {
        const idx = readU32(b, q);
        const inner = lebEnd[0]!;
        let m = readU32(b, inner);
        let r = lebEnd[0]!;
        for (; m > 0; m--) {
          readU32(b, r);
          const len = readU32(b, lebEnd[0]!);
          r = lebEnd[0]! + len;
        }
        w.u32(map(idx));
        w.range(b, inner, r);
        q = r;
      }
      if (q !== e) throw new InstrumentError("indirect name map size mismatch", q);
      w.patchLength(mark);
    } else {
      w.range(b, p - 1, e);
    }
    p = e;
  }
}
