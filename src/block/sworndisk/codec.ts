/**
 * Little-endian binary encoding for SwornDisk metadata. Readers bound-check and throw
 * BlockError("Corrupted"): authenticated-but-malformed metadata must never crash the process.
 */

import { BlockError } from "../block-device.ts";

export class Writer {
  private buf: Uint8Array;
  private dv: DataView;
  len = 0;

  constructor(cap = 256) {
    this.buf = new Uint8Array(cap);
    this.dv = new DataView(this.buf.buffer);
  }

  private need(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const nb = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }

  u8(v: number): this {
    this.need(1);
    this.buf[this.len++] = v;
    return this;
  }

  u32(v: number): this {
    this.need(4);
    this.dv.setUint32(this.len, v >>> 0, true);
    this.len += 4;
    return this;
  }

  /** Non-negative safe integer as u64. */
  u64(v: number): this {
    this.need(8);
    this.dv.setUint32(this.len, v >>> 0, true);
    this.dv.setUint32(this.len + 4, Math.floor(v / 4294967296), true);
    this.len += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.need(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export class Reader {
  private readonly dv: DataView;
  pos = 0;
  readonly what: string;
  readonly buf: Uint8Array;

  constructor(buf: Uint8Array, what: string) {
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.what = what;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new BlockError("Corrupted", `${this.what}: truncated record`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const lo = this.dv.getUint32(this.pos, true);
    const hi = this.dv.getUint32(this.pos + 4, true);
    this.pos += 8;
    if (hi >= 0x200000) throw new BlockError("Corrupted", `${this.what}: integer out of range`);
    return hi * 4294967296 + lo;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Fail unless `cond` (structural sanity of decoded, authenticated data). */
  check(cond: boolean, msg: string): void {
    if (!cond) throw new BlockError("Corrupted", `${this.what}: ${msg}`);
  }
}
