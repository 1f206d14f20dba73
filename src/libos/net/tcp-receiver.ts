/**
 * The receive side of a TCP connection (tcp.ts's TcpSocket owns one): the receive ring, where its
 * storage comes from, how host reads land in it and the back-pressure on the host socket. Apart
 * from the socket because it is the one part of a connection with its own memory and host-read
 * policy; the socket drives it through a few calls (attach, read, poll's questions, free) and
 * lends it what it needs through TcpReceiverOwner (this module does not import tcp.ts).
 *
 * Receive is proactive (Occlum's async sockets, reference §2.4): the host socket flows into a
 * 512 KiB receive ring from the moment it is connected. libuv reads straight into the ring's free
 * tail (node:net's `onread` with a buffer callback: the view of the next read is the ring's own
 * storage, so a received byte is copied once into the ring and once into guest memory). The
 * shared `hostReadBuf` takes the reads of a request/response socket (small reads, a ring that
 * never grew), and is the fallback when bytes are held back or the contiguous tail space is
 * small; those bytes are then copied into the ring. Ring storage grows with what the host
 * delivers (a chatty socket keeps a few KiB). When the ring is full the host socket is paused; it
 * resumes when the reader drains the ring: a slow reader slows the writer through TCP's own
 * window. Bytes that do not fit (a read sized before SO_RCVBUF shrank, a budget refusal) wait in
 * `rxOverflow`, and while any wait there, reads go to the shared buffer (refill() writes at the
 * tail, where a read would land). A socket whose ring has grown to 64 KiB or more also keeps a
 * spare of the ring's size, for the read after one that left little room at the ring's tail (see
 * nextReadBuf), charged as the ring is. Memory per socket stays below twice the ring +
 * RX_HOLD_MAX + one host read.
 *
 * Between two awaits nothing else runs: the host callbacks below only update state and notify.
 */
import type * as net from "node:net";
import { ByteRing, type MemCharge } from "../ipc/byte-ring.ts";
import { Errno } from "../syscall/errno.ts";
import { notifyFromHost, pollAfterHostIo } from "./epoll.ts";
import { StoragePool } from "./rx-pool.ts";

/**
 * Capacity of a TCP socket's receive and send rings (Linux autotunes a TCP buffer from 128 KiB up
 * to several MiB; an explicit SO_RCVBUF/SO_SNDBUF still sets it). Storage grows only as data
 * accumulates, so an idle or chatty socket holds a few KiB. 512 KiB against 128 KiB halves the
 * CPU per MiB of a bulk receiver: fewer, larger host reads and one guest wake-up per 512 KiB.
 */
export const TCP_RING_CAPACITY = 512 * 1024;
/** Bytes held back beyond a full receive ring before the host socket is paused (one host read). */
const RX_HOLD_MAX = 64 * 1024;
/** Smallest host read asked for (a full ring still needs a non-empty buffer for the next read). */
const MIN_READ = 4096;
/** Smallest ring storage for which a socket keeps a spare (see nextReadBuf). */
const SPARE_MIN = 64 * 1024;

/**
 * Bytes received from host sockets, by path (tests check the direct path runs; `spare`: bytes
 * that landed in a socket's spare storage, see nextReadBuf, and were swapped into its ring), how
 * often the host read callback ran and the host socket was paused and resumed (bench/net reports
 * them), and how often a ring or spare reused freed storage (`pooled`, see ringPool).
 */
export const tcpRxStats = { direct: 0, copied: 0, reads: 0, pauses: 0, resumes: 0, spare: 0, pooled: 0 };

/** Freed receive storage of the full ring size, for the next socket's ring or spare (see rx-pool.ts). */
const ringPool = new StoragePool(TCP_RING_CAPACITY, 8);

function takeRing(size: number): Uint8Array | undefined {
  const b = ringPool.take(size);
  if (b) tcpRxStats.pooled++;
  return b;
}

/** Storages waiting in the pool (tests). */
export function ringPoolSize(): number {
  return ringPool.size;
}

/**
 * The one buffer every host TCP read lands in when it cannot land in the ring itself. Safe to share: node:net calls the onread callback
 * synchronously after each read, and the callback copies the bytes out before anything else runs.
 */
const hostReadBuf = new Uint8Array(512 * 1024);

/** Reads at least this large copy through Buffer#copy (copyOut); smaller ones through the ring. */
const BULK_COPY = 4096;

/**
 * Copy the ring's oldest bytes into iovecs without consuming them; returns the count. Buffer's
 * copy is a plain memmove, where TypedArray#set into guest memory (a SharedArrayBuffer when the
 * program has threads) copies with relaxed atomics, about half as fast: it was a fifth of a
 * bulk receiver's CPU. For small reads the Buffer objects would cost more than they save.
 */
function copyOut(ring: ByteRing, iovs: readonly Uint8Array[]): number {
  let done = 0;
  for (const v of iovs) {
    let off = 0;
    while (off < v.byteLength) {
      const src = ring.peekContiguousAt(done, v.byteLength - off);
      if (src.byteLength === 0) return done;
      Buffer.from(src.buffer, src.byteOffset, src.byteLength).copy(v, off);
      off += src.byteLength;
      done += src.byteLength;
    }
  }
  return done;
}

/**
 * What the receiver needs of the socket that owns it, read when needed (the socket's state
 * changes under it: reconnects, release). Plain functions, called unbound.
 */
export interface TcpReceiverOwner {
  /** The socket's host socket now: paused and resumed for back-pressure; freed storage waits for its close. */
  readonly hostSocket: () => net.Socket | undefined;
  /** The host socket has closed: no host read can land in freed storage any more. */
  readonly hostClosed: () => boolean;
  /** The guest closed the socket: host reads are dropped and no longer land in the ring. */
  readonly released: () => boolean;
  /** Readiness changed (bytes or EOF arrived): wake the socket's waiters. */
  readonly notify: () => void;
}

export class TcpReceiver {
  private readonly rx: ByteRing;
  private rxOverflow: Uint8Array[] = [];
  private rxOverflowBytes = 0;
  private paused = false;
  /** How much ring storage the next direct host read asks for (grows while reads fill it). */
  private readWant = MIN_READ;
  /** The shared read buffer cut to the last size asked (a view per read costs an allocation). */
  private sharedView: Uint8Array | undefined;
  /** The buffer of the pending host read (the last one nextReadBuf returned). */
  private readBuf: Uint8Array | undefined;
  /** Storage of the receive ring's size for a host read the ring's tail is too small for (charged). */
  private rxSpare: Uint8Array | undefined;
  /**
   * The part of the spare a host read may fill: all but MIN_READ bytes, so that the ring it
   * becomes is never full (a full ring pauses the host socket: a readStop and a readStart).
   */
  private rxSpareView: Uint8Array | undefined;
  /** Bytes of the latest host read. */
  private lastRead = 0;
  /** The peer's FIN arrived (the socket clears it for a reconnect). */
  eof = false;
  private readonly mem: MemCharge | undefined;
  private readonly owner: TcpReceiverOwner;

  constructor(owner: TcpReceiverOwner, mem: MemCharge | undefined) {
    this.owner = owner;
    this.mem = mem;
    this.rx = new ByteRing({ capacity: TCP_RING_CAPACITY, refuseErrno: Errno.NOBUFS, ...(mem ? { mem } : {}), alloc: takeRing });
  }

  /** The receive ring's capacity (SO_RCVBUF). */
  get capacity(): number {
    return this.rx.capacity;
  }
  setCapacity(capacity: number): void {
    this.rx.setCapacity(capacity);
  }
  /** Bytes in the ring: what a read returns now (POLLIN). */
  get length(): number {
    return this.rx.length;
  }
  /** Bytes waiting to be read, held-back ones included (FIONREAD). */
  get pending(): number {
    return this.rx.length + this.rxOverflowBytes;
  }
  /** Some received byte was never read (a close then resets the connection). */
  get unread(): boolean {
    return this.rx.length > 0 || this.rxOverflow.length > 0;
  }
  /** The host socket is paused for back-pressure. */
  get hostPaused(): boolean {
    return this.paused;
  }

  /** `userBuffer`: reads arrive through onHostRead (onread), else as 'data' events. */
  attach(s: net.Socket, userBuffer: boolean): void {
    if (!userBuffer) s.on("data", (chunk: Buffer) => this.onData(chunk));
    s.on("end", () => {
      this.eof = true;
      this.owner.notify();
    });
  }

  /**
   * Copy the oldest bytes into `iovs`; unless `peek`, consume them and move held-back bytes in
   * (refill). Returns the count.
   */
  read(iovs: Uint8Array[], peek: boolean): number {
    const n = this.rx.length >= BULK_COPY ? copyOut(this.rx, iovs) : this.rx.read(iovs, true);
    if (!peek) {
      this.rx.consume(n);
      this.refill();
    }
    return n;
  }

  /**
   * The buffer for the next host read (node:net asks right after each read, and once at the
   * start): the free space at the receive ring's tail, so the bytes land in the ring without a
   * copy; the shared buffer, cut to the ring's free space, when bytes are held back (they must
   * enter the ring first: refill() writes at the tail, where a pending read would land) or the
   * contiguous space is small. The ring's storage grows with what the host delivers (a read that
   * filled its buffer asks for twice as much next time), so a chatty socket keeps a few KiB.
   *
   * node:net asks before the reader has run: the ring still holds the bytes just read, which the
   * reader usually takes before the next read. Where that leaves a small piece at the tail (the
   * free space is split at the wrap point: a bulk receiver's reads alternated between most of
   * the ring and the rest, twice the reads and guest wake-ups), the read lands in a spare of the
   * ring's size instead, which becomes the ring's storage without a copy if the ring is empty
   * when the bytes arrive (onHostRead), and is copied in otherwise. (Every read into the spare,
   * so that reads alternate between the starts of two buffers, was tried: ~5-10% more CPU per
   * MiB with 4 streams in an A/B, bench/net/README.md.)
   */
  readonly nextReadBuf = (): Uint8Array => {
    // After a small read into a ring that never grew (a request/response socket), the shared
    // buffer: copying a few bytes costs less than the fresh view of the ring's tail (it moves by
    // the bytes read) that node:net stores for every read, on the way from a request's arrival
    // to its response.
    const small = this.lastRead < MIN_READ && this.rx.allocated < SPARE_MIN;
    if (!small && this.rxOverflow.length === 0 && !this.owner.released()) {
      // A socket whose reads have outgrown SPARE_MIN grows straight to the capacity when freed
      // storage of that size is at hand (no growth steps through fresh memory).
      const v = this.rx.tailSpace(this.readWant >= SPARE_MIN && ringPool.size > 0 ? this.rx.capacity : this.readWant);
      // Only while the ring holds no more than the read just done (a reader that lags behind
      // would leave the bytes to be copied in: no gain), and once its storage has grown to the
      // capacity (no spare per growth step: fresh memory costs ~2 ms per 512 KiB here, in page
      // faults, once touched).
      const size = this.rx.allocated;
      if (v.byteLength < this.readWant >> 1 && this.rx.length > 0 && this.rx.length <= this.lastRead && size >= SPARE_MIN && size >= this.rx.capacity) {
        const spare = this.spareStorage();
        if (spare) return (this.readBuf = spare);
      }
      if (v.byteLength >= MIN_READ) return (this.readBuf = v);
    }
    const size = Math.min(hostReadBuf.byteLength, Math.max(MIN_READ, this.rx.free));
    if (this.sharedView === undefined || this.sharedView.byteLength !== size) this.sharedView = hostReadBuf.subarray(0, size);
    return (this.readBuf = this.sharedView);
  };

  /** The spare's view for a host read (see rxSpareView; undefined when the budget refuses). */
  private spareStorage(): Uint8Array | undefined {
    const size = this.rx.allocated;
    if (this.rxSpare?.byteLength !== size) {
      this.dropSpare();
      if (this.mem && !this.mem.charge(size)) return undefined;
      this.setSpare(takeRing(size) ?? new Uint8Array(size));
    }
    return this.rxSpareView;
  }

  private setSpare(storage: Uint8Array): void {
    this.rxSpare = storage;
    this.rxSpareView = storage.subarray(0, storage.byteLength - MIN_READ);
  }

  private dropSpare(): void {
    if (!this.rxSpare) return;
    this.mem?.uncharge(this.rxSpare.byteLength);
    this.rxSpare = this.rxSpareView = undefined;
  }

  /** Drop the receive ring's storage and the spare; to the pool once the host socket is closed. */
  free(): void {
    const bufs = [this.rx.dispose()];
    if (this.rxSpare) bufs.push(this.rxSpare);
    this.dropSpare();
    if (!bufs.some((b) => b.byteLength === TCP_RING_CAPACITY)) return;
    const s = this.owner.hostSocket();
    if (!s || this.owner.hostClosed()) ringPool.give(bufs);
    else s.once("close", () => ringPool.give(bufs));
  }

  /** Forget the bytes held back beyond the ring (the socket is closed: nobody reads them). */
  dropHeld(): void {
    this.rxOverflow = [];
    this.rxOverflowBytes = 0;
  }

  /** onread callback: `n` bytes are in `buf` (from nextReadBuf); false pauses the host socket. */
  readonly onHostRead = (n: number, landed?: Uint8Array): boolean => {
    if (this.owner.released()) return true;
    tcpRxStats.reads++;
    this.lastRead = n;
    // node:net passes the buffer the bytes landed in; it is the one nextReadBuf handed out last.
    const buf = landed instanceof Uint8Array ? landed : this.readBuf;
    if (buf === this.sharedView) {
      tcpRxStats.copied += n;
      this.store(hostReadBuf, n);
    } else if (buf !== undefined && buf === this.rxSpareView) {
      if (n >= buf.byteLength) this.readWant = Math.min(this.rx.capacity, 2 * Math.max(this.readWant, buf.byteLength));
      const spare = this.rxSpare!;
      if (this.rx.length === 0 && spare.byteLength === this.rx.allocated) {
        // The reader took everything: the spare becomes the storage, the old storage the spare.
        tcpRxStats.spare += n;
        this.setSpare(this.rx.swapStorage(spare, n));
        const k = this.rx.length;
        if (k < n) this.hold(buf.slice(k, n));
      } else {
        tcpRxStats.copied += n;
        this.store(buf, n);
      }
    } else if (buf !== undefined && buf.buffer !== hostReadBuf.buffer) {
      // Read straight into the ring (no other writer since nextReadBuf: nothing was held back).
      if (n >= buf.byteLength) this.readWant = Math.min(this.rx.capacity, 2 * Math.max(this.readWant, buf.byteLength));
      tcpRxStats.direct += n;
      let k = n;
      try {
        k = this.rx.commitTail(buf, n);
      } catch {
        k = 0; // only a copy can fail (the budget): hold the bytes until the reader drains
      }
      if (k < n) this.hold(buf.slice(k, n));
    } else {
      tcpRxStats.copied += n;
      this.store(hostReadBuf, n);
    }
    pollAfterHostIo(n);
    notifyFromHost(this.owner.notify); // a host callback: a woken epoll_wait needs no setImmediate
    if (this.rx.free > 0 && this.rxOverflowBytes < RX_HOLD_MAX) return true;
    this.paused = true;
    tcpRxStats.pauses++;
    return false;
  };

  private hold(bytes: Uint8Array): void {
    this.rxOverflow.push(bytes);
    this.rxOverflowBytes += bytes.byteLength;
  }

  /**
   * Put `src`'s first `n` bytes into the ring, behind any held back; hold what does not fit or
   * what the memory budget refuses (a copy: `src` may be a buffer the next host read reuses).
   */
  private store(src: Uint8Array, n: number): void {
    let k = 0;
    if (this.rxOverflow.length === 0) {
      try {
        k = this.rx.writeFrom(src, 0, n);
      } catch {
        k = 0; // the budget refused: held until the reader drains
      }
    }
    if (k < n) this.hold(src.slice(k, n));
  }

  private onData(chunk: Buffer): void {
    if (this.owner.released()) return;
    this.store(chunk, chunk.byteLength);
    // Holding back up to one host read more than the ring keeps the host reading while the
    // guest keeps up (a pause/resume costs event-loop turns); past that, stop the sender.
    if (this.rxOverflowBytes >= RX_HOLD_MAX && !this.paused) {
      this.paused = true;
      this.owner.hostSocket()?.pause();
    }
    this.owner.notify();
  }

  /** Move held-back bytes into the ring; resume the host socket once few are left. */
  private refill(): void {
    while (this.rxOverflow.length > 0 && this.rx.free > 0) {
      const c = this.rxOverflow[0]!;
      let n = 0;
      try {
        n = this.rx.writeFrom(c);
      } catch {
        break;
      }
      this.rxOverflowBytes -= n;
      if (n < c.byteLength) {
        this.rxOverflow[0] = c.subarray(n);
        break;
      }
      this.rxOverflow.shift();
    }
    if (this.paused && this.rxOverflowBytes < RX_HOLD_MAX && this.rx.free > 0) {
      this.paused = false;
      tcpRxStats.resumes++;
      this.owner.hostSocket()?.resume();
    }
  }
}
