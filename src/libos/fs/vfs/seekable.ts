/**
 * SeekableFile: an open regular file with a position, over positional reads and writes that a
 * file system supplies (readAt/writeAt/getSize). Implements read/write/seek/tell and O_APPEND
 * (each write lands at the end of file, then the position follows it, as Linux).
 *
 * The position is claimed before any await: two guest threads reading one description each get
 * their own range, as with Linux's f_pos lock.
 */
import { Errno, sysErr } from "../../syscall/errno.ts";
import { FileBase, iovLength, type FileBaseInit } from "../file-base.ts";
import { FdFlags, FileType, Whence } from "../types.ts";

type Maybe<T> = T | Promise<T>;

/** Largest file offset we accept (Linux's is 2^63-1; WASI offsets are u64). */
export const MAX_OFFSET = (1n << 63n) - 1n;

export abstract class SeekableFile extends FileBase {
  protected pos = 0n;

  constructor(init: FileBaseInit) {
    super(FileType.REGULAR_FILE, init);
  }

  protected abstract readAt(iovs: Uint8Array[], offset: bigint): Maybe<number>;
  protected abstract writeAt(iovs: Uint8Array[], offset: bigint): Maybe<number>;
  protected abstract getSize(): Maybe<bigint>;

  override async read(iovs: Uint8Array[]): Promise<number> {
    const at = this.pos;
    this.pos += BigInt(iovLength(iovs));
    let n = 0;
    try {
      n = await this.readAt(iovs, at);
    } finally {
      // Give back what was not read (only if nobody moved the position meanwhile).
      if (this.pos === at + BigInt(iovLength(iovs))) this.pos = at + BigInt(n);
    }
    return n;
  }

  override async write(iovs: Uint8Array[]): Promise<number> {
    const len = BigInt(iovLength(iovs));
    if (len === 0n) return 0;
    let at: bigint;
    if (this.flags & FdFlags.APPEND) {
      at = await this.getSize();
    } else {
      at = this.pos;
    }
    if (at + len > MAX_OFFSET) throw sysErr(Errno.FBIG);
    this.pos = at + len;
    let n = 0;
    try {
      n = await this.writeAt(iovs, at);
    } finally {
      if (this.pos === at + len) this.pos = at + BigInt(n);
    }
    return n;
  }

  override pread(iovs: Uint8Array[], offset: bigint): Maybe<number> {
    if (offset < 0n || offset > MAX_OFFSET) throw sysErr(Errno.INVAL);
    return this.readAt(iovs, offset);
  }

  override async pwrite(iovs: Uint8Array[], offset: bigint): Promise<number> {
    const len = BigInt(iovLength(iovs));
    if (offset < 0n || offset + len > MAX_OFFSET) throw sysErr(offset < 0n ? Errno.INVAL : Errno.FBIG);
    // An empty write changes nothing, not even the size (Linux).
    if (len === 0n) return 0;
    // Linux (and so wasmtime) ignore the offset of pwrite on an O_APPEND description.
    if (this.flags & FdFlags.APPEND) offset = await this.getSize();
    return this.writeAt(iovs, offset);
  }

  override async seek(offset: bigint, whence: number): Promise<bigint> {
    let base: bigint;
    if (whence === Whence.SET) base = 0n;
    else if (whence === Whence.CUR) base = this.pos;
    else if (whence === Whence.END) base = await this.getSize();
    else throw sysErr(Errno.INVAL, "bad whence");
    const next = base + offset;
    if (next < 0n || next > MAX_OFFSET) throw sysErr(Errno.INVAL, "seek out of range");
    this.pos = next;
    return next;
  }

  override tell(): bigint {
    return this.pos;
  }
}

/** Copy `src` into the iovecs; returns bytes copied. */
export function scatter(iovs: Uint8Array[], src: Uint8Array): number {
  let off = 0;
  for (const v of iovs) {
    if (off >= src.length) break;
    const n = Math.min(v.length, src.length - off);
    v.set(src.subarray(off, off + n));
    off += n;
  }
  return off;
}

/** Concatenate the iovecs (no copy for a single one). */
export function gather(iovs: Uint8Array[]): Uint8Array {
  if (iovs.length === 1) return iovs[0]!;
  const out = new Uint8Array(iovLength(iovs));
  let off = 0;
  for (const v of iovs) {
    out.set(v, off);
    off += v.length;
  }
  return out;
}
