/**
 * Byte-level primitives of the instrumenter: LEB128 reading/skipping over a Uint8Array and a
 * growable writer. Kept free of classes on the read side (plain functions over (bytes, pos)) because
 * the code scanner calls them millions of times on a 10 MB module.
 */

/** A malformed or unsupported module. `offset` is the byte offset in the input, when known. */
export class InstrumentError extends Error {
  readonly offset: number;
  constructor(message: string, offset = -1) {
    super(offset >= 0 ? `${message} (at byte 0x${offset.toString(16)})` : message);
    this.name = "InstrumentError";
    this.offset = offset;
  }
}

/** Position just past the LEB128 number starting at `pos` (any width, signed or not). */
export function skipLeb(b: Uint8Array, pos: number): number {
  const limit = pos + 10;
  while (pos < limit) {
    if (pos >= b.length) throw new InstrumentError("truncated LEB128", pos);
    if ((b[pos++]! & 0x80) === 0) return pos;
  }
  throw new InstrumentError("LEB128 too long", pos);
}

/**
 * End position of the last `readU32` (a shared scratch cell avoids allocating a tuple per number).
 */
export const lebEnd = new Int32Array(1);

/** Decode an unsigned 32-bit LEB128 at `pos`; its end position goes to `lebEnd[0]`. */
export function readU32(b: Uint8Array, pos: number): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= b.length) throw new InstrumentError("truncated LEB128", pos);
    const byte = b[pos++]!;
    if (shift < 28) result |= (byte & 0x7f) << shift;
    else result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
    if (shift > 28) throw new InstrumentError("u32 LEB128 too long", pos);
  }
  lebEnd[0] = pos;
  return result >>> 0;
}

/** Number of bytes of the minimal unsigned LEB128 encoding of `v` (v < 2^32). */
export function u32LebSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Growable output buffer. */
export class ByteWriter {
  buf: Uint8Array;
  len = 0;

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  private grow(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(v: number): void {
    if (this.len >= this.buf.length) this.grow(1);
    this.buf[this.len++] = v;
  }

  bytes(src: Uint8Array | readonly number[]): void {
    this.grow(src.length);
    if (src instanceof Uint8Array) this.buf.set(src, this.len);
    else for (let i = 0; i < src.length; i++) this.buf[this.len + i] = src[i]!;
    this.len += src.length;
  }

  /** Copy `src[start, end)` through unchanged. */
  range(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.len + n > this.buf.length) this.grow(n);
    const buf = this.buf;
    let o = this.len;
    if (n < 48) { // short runs between rewrites: a loop beats allocating a subarray
      for (let i = start; i < end; i++) buf[o++] = src[i]!;
    } else {
      buf.set(src.subarray(start, end), o);
    }
    this.len += n;
  }

  u32(v: number): void {
    this.grow(5);
    v >>>= 0;
    do {
      let byte = v & 0x7f;
      v >>>= 7;
      if (v !== 0) byte |= 0x80;
      this.buf[this.len++] = byte;
    } while (v !== 0);
  }

  /** Signed LEB128 of a 32-bit integer (i32.const immediates). */
  i32(v: number): void {
    this.grow(5);
    v |= 0;
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
        this.buf[this.len++] = byte;
        return;
      }
      this.buf[this.len++] = byte | 0x80;
    }
  }

  name(s: string): void {
    const enc = new TextEncoder().encode(s);
    this.u32(enc.length);
    this.bytes(enc);
  }

  /** Reserve room for a u32 LEB length prefix; returns a mark for `patchLength`. */
  reserveLength(): number {
    this.grow(5);
    const mark = this.len;
    this.len += 5;
    return mark;
  }

  /**
   * Write the length of everything written since `mark` as a minimal LEB128 in front of it,
   * sliding the payload back over the unused reserved bytes.
   */
  patchLength(mark: number): void {
    const payloadStart = mark + 5;
    const size = this.len - payloadStart;
    const n = u32LebSize(size);
    if (n !== 5) this.buf.copyWithin(mark + n, payloadStart, this.len);
    let v = size;
    for (let i = 0; i < n; i++) {
      let byte = v & 0x7f;
      v = Math.floor(v / 128);
      if (i < n - 1) byte |= 0x80;
      this.buf[mark + i] = byte;
    }
    this.len = mark + n + size;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
