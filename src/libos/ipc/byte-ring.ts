/**
 * ByteRing: the bounded byte buffer behind pipes and stream sockets.
 *
 * - `capacity` is the most it ever holds (64 KiB for pipes as Linux, 128 KiB for sockets as
 *   Occlum's async-socket rings). Storage is allocated lazily and grows by doubling up to the
 *   capacity, so an idle pipe or socket costs no buffer memory.
 * - Every byte of storage is charged to a MemCharge (the kernel heap budget, later): growth that
 *   the charge refuses is not an error while some space is left (the write is partial); a write
 *   that cannot store a single byte throws the refusal errno (ENOMEM for pipes, ENOBUFS for
 *   sockets). `dispose()` returns the storage.
 * - Reads copy straight from storage into the caller's iovecs; `peekContiguous()` hands out a view
 *   of the oldest bytes so a host write can send them without a copy: the view stays valid until
 *   `consume()`, because writes only ever touch free space and growth allocates a new array.
 */
import { Errno, sysErr } from "../syscall/errno.ts";

export const PIPE_RING_CAPACITY = 64 * 1024;
export const SOCKET_RING_CAPACITY = 128 * 1024;

/** The memory budget hook: `charge` returns false to refuse. */
export interface MemCharge {
  charge(bytes: number): boolean;
  uncharge(bytes: number): void;
}

/** Charges nothing and never refuses (until the memory issue installs the kernel heap budget). */
export const unlimitedCharge: MemCharge = { charge: () => true, uncharge: () => {} };

/** A budget of `limit` bytes (tests, and a ready-made implementation for the memory issue). */
export class ByteBudget implements MemCharge {
  used = 0;
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  charge(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }
  uncharge(bytes: number): void {
    this.used -= bytes;
  }
}

const MIN_STORAGE = 4096;
const EMPTY = new Uint8Array(0);

/** Copies this short go byte by byte: a subarray for TypedArray#set costs more (request/response traffic). */
const SMALL_COPY = 32;
function copySmall(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): void {
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
}

export interface ByteRingOptions {
  capacity?: number;
  mem?: MemCharge;
  /** Errno thrown when the budget refuses all growth (ENOMEM by default, ENOBUFS for sockets). */
  refuseErrno?: Errno;
  /**
   * Storage of `size` bytes to grow into, when the owner keeps some (net/tcp-receiver.ts reuses freed
   * rings: fresh memory costs page faults); undefined = a new array. Its bytes need not be zero:
   * the ring never hands out bytes it has not stored.
   */
  alloc?: (size: number) => Uint8Array | undefined;
}

export class ByteRing {
  private buf: Uint8Array = EMPTY;
  private lastView: Uint8Array = EMPTY;
  private head = 0; // index of the oldest byte
  private len = 0;
  private cap: number;
  private readonly mem: MemCharge;
  private readonly refuseErrno: Errno;
  private readonly alloc: ((size: number) => Uint8Array | undefined) | undefined;

  constructor(opts: ByteRingOptions = {}) {
    this.cap = opts.capacity ?? PIPE_RING_CAPACITY;
    this.mem = opts.mem ?? unlimitedCharge;
    this.refuseErrno = opts.refuseErrno ?? Errno.NOMEM;
    this.alloc = opts.alloc;
  }

  get length(): number {
    return this.len;
  }
  get capacity(): number {
    return this.cap;
  }
  /** Bytes a write may still add (ignoring the memory budget). */
  get free(): number {
    return this.cap - this.len;
  }
  /** Bytes of storage currently allocated (and charged). */
  get allocated(): number {
    return this.buf.byteLength;
  }

  /** Change the bound (SO_RCVBUF/SO_SNDBUF, F_SETPIPE_SZ); never below what is stored. */
  setCapacity(capacity: number): void {
    this.cap = Math.max(capacity, this.len, 1);
  }

  /** Copy as much of `iovs` as fits; returns the bytes stored (0 when full). */
  write(iovs: readonly Uint8Array[], max = Number.POSITIVE_INFINITY): number {
    let want = 0;
    for (const v of iovs) want += v.byteLength;
    want = Math.min(want, max, this.free);
    if (want === 0) return 0;
    const room = this.reserve(want);
    let done = 0;
    for (const v of iovs) {
      if (done >= room) break;
      done += this.put(v, 0, Math.min(v.byteLength, room - done));
    }
    return done;
  }

  /** Copy bytes [off, off+len) of `src` as far as they fit; returns the bytes stored. */
  writeFrom(src: Uint8Array, off = 0, len = src.byteLength - off): number {
    const want = Math.min(len, this.free);
    if (want === 0) return 0;
    const room = this.reserve(want);
    return this.put(src, off, room);
  }

  /**
   * For a producer that fills the ring in place (a host read straight into storage): make storage
   * for up to `want` more bytes (as reserve, growing within the budget; a refusal just leaves
   * less) and return a view of the contiguous free space at the tail, possibly empty. Nothing is
   * stored until `commitTail`. The view stays valid while the ring has no other writer: reads
   * only free space, and growth, the one thing that moves storage, happens only in writes.
   */
  tailSpace(want: number): Uint8Array {
    try {
      this.reserve(want);
    } catch {
      // the budget refused all growth: offer what is allocated
    }
    const size = this.buf.byteLength;
    if (this.len >= size) return EMPTY;
    if (this.len === 0) this.head = 0;
    const tail = (this.head + this.len) % size;
    const n = Math.min(tail < this.head ? this.head - tail : size - tail, this.free);
    return this.view(tail, n);
  }

  /**
   * `buf.subarray(start, start + n)`, reusing the last view made when it covers the same bytes:
   * a socket asks for the same tail or head view on every host read or write of a request (a
   * typed array is ~100 bytes of garbage each). A view is immutable, so sharing it is safe.
   */
  private view(start: number, n: number): Uint8Array {
    const v = this.lastView;
    if (v.buffer === this.buf.buffer && v.byteOffset === this.buf.byteOffset + start && v.byteLength === n) return v;
    return (this.lastView = this.buf.subarray(start, start + n));
  }

  /**
   * Store the first `n` bytes of `view`, a view from `tailSpace()` that a producer filled:
   * without a copy when it still is the tail (or the ring emptied meanwhile), else copied.
   * Returns the bytes stored; fewer than `n` only when the capacity shrank meanwhile.
   */
  commitTail(view: Uint8Array, n: number): number {
    n = Math.min(n, view.byteLength);
    const size = this.buf.byteLength;
    const off = view.byteOffset - this.buf.byteOffset;
    const inPlace = view.buffer === this.buf.buffer && off >= 0 && off + n <= size &&
      (this.len === 0 || (this.head + this.len) % size === off);
    if (!inPlace) return this.writeFrom(view.slice(0, n));
    const k = Math.min(n, this.free);
    if (this.len === 0) this.head = off;
    this.len += k;
    return k;
  }

  /**
   * While the ring is empty: make `next` (as large as the current storage, charged by the
   * caller) the storage, holding its first `n` bytes (at most the capacity), and return the old
   * storage, now the caller's. For a producer whose host read landed outside the ring (net/tcp-receiver.ts:
   * the free space at the tail was a small piece) and that finds the reader took everything
   * meanwhile: the bytes become the content without a copy (`length` says how many it took).
   */
  swapStorage(next: Uint8Array, n: number): Uint8Array {
    if (this.len !== 0 || next.byteLength !== this.buf.byteLength) throw new Error("kernel bug: swapStorage needs an empty ring and storage of the same size");
    const old = this.buf;
    this.buf = next;
    this.head = 0;
    this.len = Math.min(n, next.byteLength, this.cap);
    return old;
  }

  /** Copy up to the iovecs' total length out of the ring; `peek` leaves the bytes in place. */
  read(iovs: readonly Uint8Array[], peek = false): number {
    let pos = this.head;
    let left = this.len;
    let done = 0;
    const size = this.buf.byteLength;
    for (const v of iovs) {
      let vOff = 0;
      while (vOff < v.byteLength && left > 0) {
        const n = Math.min(v.byteLength - vOff, left, size - pos);
        if (n <= SMALL_COPY) copySmall(this.buf, pos, v, vOff, n);
        else v.set(this.buf.subarray(pos, pos + n), vOff);
        vOff += n;
        left -= n;
        done += n;
        pos += n;
        if (pos === size) pos = 0;
      }
      if (left === 0) break;
    }
    if (!peek) this.consume(done);
    return done;
  }

  /** A view of the oldest contiguous bytes (at most `max`), valid until consume(). */
  peekContiguous(max = Number.POSITIVE_INFINITY): Uint8Array {
    const n = Math.min(this.len, this.buf.byteLength - this.head, max);
    return this.buf.subarray(this.head, this.head + n);
  }

  /** A view of the contiguous bytes starting `offset` bytes after the oldest (at most `max`). */
  peekContiguousAt(offset: number, max = Number.POSITIVE_INFINITY): Uint8Array {
    if (offset >= this.len) return EMPTY;
    const size = this.buf.byteLength;
    const start = (this.head + offset) % size;
    const n = Math.min(this.len - offset, size - start, max);
    return this.view(start, n);
  }

  /** Drop the `n` oldest bytes. */
  consume(n: number): void {
    if (n > this.len) n = this.len;
    this.len -= n;
    this.head = this.len === 0 ? 0 : (this.head + n) % this.buf.byteLength;
  }

  /** Drop everything and return the storage to the budget; returns the storage dropped. */
  dispose(): Uint8Array {
    const old = this.buf;
    this.mem.uncharge(old.byteLength);
    this.buf = EMPTY;
    this.head = 0;
    this.len = 0;
    return old;
  }

  /**
   * Make storage for `want` more bytes (at most `free`), growing within the budget; returns how
   * many fit (>= 1), or throws the refusal errno when none does. Atomic writers call this first.
   */
  reserve(want: number): number {
    want = Math.min(want, this.free);
    if (want <= 0) return 0;
    const size = this.buf.byteLength;
    const need = this.len + want;
    if (need <= size) return want;
    let target = Math.max(MIN_STORAGE, size);
    while (target < need) target *= 2;
    target = Math.min(target, this.cap);
    // Ask for the whole growth first, then for halves the budget may still allow.
    let t = target;
    while (t > size) {
      if (this.mem.charge(t - size)) {
        this.grow(t);
        break;
      }
      t = t >> 1 > size ? t >> 1 : size;
    }
    const room = Math.min(want, this.buf.byteLength - this.len);
    if (room === 0) throw sysErr(this.refuseErrno, "buffer memory budget exhausted");
    return room;
  }

  private grow(target: number): void {
    const old = this.buf;
    const given = this.alloc?.(target);
    const next = given?.byteLength === target ? given : new Uint8Array(target);
    // Linearize: the oldest byte moves to index 0. `old` stays intact for outstanding views.
    const first = Math.min(this.len, old.byteLength - this.head);
    next.set(old.subarray(this.head, this.head + first), 0);
    if (first < this.len) next.set(old.subarray(0, this.len - first), first);
    this.buf = next; // the delta was charged by reserve()
    this.head = 0;
  }

  private put(src: Uint8Array, off: number, n: number): number {
    const size = this.buf.byteLength;
    let tail = (this.head + this.len) % size;
    let left = n;
    while (left > 0) {
      const k = Math.min(left, size - tail);
      if (k <= SMALL_COPY) copySmall(src, off, this.buf, tail, k);
      else this.buf.set(src.subarray(off, off + k), tail);
      off += k;
      left -= k;
      tail = (tail + k) % size;
    }
    this.len += n;
    return n;
  }
}
