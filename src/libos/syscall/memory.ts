/**
 * Guest memory access for the syscall layer. A pointer that is out of bounds or misaligned is a
 * trap (wasmtime's rule for witx pointers), raised as GuestTrap: dispatch lets it unwind the wasm
 * stack and the process dies as by SIGSEGV. Views are refreshed when the memory grew (a grow of a
 * non-shared memory detaches the old ArrayBuffer).
 */

import type { WasmMemory } from "../wasm.ts";

export class GuestTrap extends Error {
  constructor(message: string) {
    // Deep enough to reach the guest's wasm frames below the kernel's own (the trap report names one).
    const saved = Error.stackTraceLimit;
    Error.stackTraceLimit = 64;
    super(message);
    Error.stackTraceLimit = saved;
    this.name = "GuestTrap";
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Enc = new TextEncoder();

export class GuestMemory {
  readonly memory: WasmMemory;
  private buf: ArrayBufferLike;
  u8: Uint8Array;
  dv: DataView;
  /** Decoded iovec arrays that hot rows hand out again, by slot (codecs.ts reusedIovecs). */
  readonly iovCache: (Uint8Array[] | undefined)[] = [];

  constructor(memory: WasmMemory) {
    this.memory = memory;
    this.buf = memory.buffer;
    this.u8 = new Uint8Array(this.buf);
    this.dv = new DataView(this.buf);
  }

  /**
   * Called at the start of every syscall. A grow of a non-shared memory detaches the old buffer
   * (length 0): reload then. A shared memory's grow keeps the old view valid but short; check()
   * reloads before deciding a pointer is out of bounds. Reading `memory.buffer` on every call
   * would cost a host call each time.
   */
  refresh(): void {
    if (this.u8.byteLength === 0) this.reload();
  }

  private reload(): void {
    const b = this.memory.buffer;
    if (b !== this.buf) {
      this.buf = b;
      this.u8 = new Uint8Array(b);
      this.dv = new DataView(b);
    }
  }

  get byteLength(): number {
    return this.u8.byteLength;
  }

  /** Trap unless [ptr, ptr+len) is inside memory and ptr is aligned to `align`. */
  check(ptr: number, len: number, align = 1): void {
    if (ptr + len > this.u8.byteLength) {
      this.reload();
      if (ptr + len > this.u8.byteLength) throw new GuestTrap(`memory access out of bounds: pointer 0x${ptr.toString(16)} + ${len}`);
    }
    if ((ptr & (align - 1)) !== 0) {
      throw new GuestTrap(`misaligned pointer 0x${ptr.toString(16)} (needs ${align}-byte alignment)`);
    }
  }

  u32(ptr: number): number {
    this.check(ptr, 4, 4);
    return this.dv.getUint32(ptr, true);
  }
  setU32(ptr: number, v: number): void {
    this.check(ptr, 4, 4);
    this.dv.setUint32(ptr, v, true);
  }
  u64(ptr: number): bigint {
    this.check(ptr, 8, 8);
    return this.dv.getBigUint64(ptr, true);
  }
  /** A number (exact below 2^53: the hot clock path avoids allocating a BigInt) or a bigint. */
  setU64(ptr: number, v: bigint | number): void {
    this.check(ptr, 8, 8);
    if (typeof v === "number") {
      this.dv.setUint32(ptr, v >>> 0, true);
      this.dv.setUint32(ptr + 4, Math.floor(v / 4294967296), true);
    } else {
      this.dv.setBigUint64(ptr, v, true);
    }
  }

  /** A live view of guest bytes (no copy). */
  bytes(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    return new Uint8Array(this.u8.buffer, ptr, len);
  }

  /** UTF-8 text at [ptr, ptr+len); undefined when not valid UTF-8 (callers map that to EILSEQ). */
  text(ptr: number, len: number): string | undefined {
    this.check(ptr, len);
    try {
      // Decoding straight from a shared buffer is not allowed: copy first in that case.
      const view = this.u8.subarray(ptr, ptr + len);
      return utf8.decode(this.u8.buffer instanceof ArrayBuffer ? view : view.slice());
    } catch {
      return undefined;
    }
  }

  /** Write `s` as UTF-8 at ptr, at most `max` bytes; returns the bytes written. */
  writeText(ptr: number, s: string | Uint8Array, max: number): number {
    const bytes = typeof s === "string" ? utf8Enc.encode(s) : s;
    const n = Math.min(bytes.byteLength, max);
    this.check(ptr, n);
    this.u8.set(n === bytes.byteLength ? bytes : bytes.subarray(0, n), ptr);
    return n;
  }
}

export function encodeUtf8(s: string): Uint8Array {
  return utf8Enc.encode(s);
}
