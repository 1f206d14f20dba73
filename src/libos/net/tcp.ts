/**
 * TCP sockets over node:net, buffered as Occlum's async sockets (reference §2.4):
 *
 * - Receive is proactive: the host socket flows into a 512 KiB receive ring from the moment it is
 *   connected. libuv reads straight into the ring's free tail (node:net's `onread` with a buffer
 *   callback: the view of the next read is the ring's own storage, so a received byte is copied
 *   once into the ring and once into guest memory). The shared `hostReadBuf` takes the reads of
 *   a request/response socket (small reads, a ring that never grew), and is the fallback when
 *   bytes are held back or the contiguous tail space is small; those bytes are then copied into
 *   the ring. Ring storage grows with what the host delivers (a chatty socket keeps a few
 *   KiB). When the ring is full the host socket is paused; it resumes when the reader drains the
 *   ring: a slow reader slows the writer through TCP's own window. Bytes that do not fit (a read
 *   sized before SO_RCVBUF shrank, a budget refusal) wait in `rxOverflow`, and while any wait
 *   there, reads go to the shared buffer (refill() writes at the tail, where a read would land).
 *   A socket whose ring has grown to 64 KiB or more also keeps a spare of the ring's size, for
 *   the read after one that left little room at the ring's tail (see nextReadBuf), charged as
 *   the ring is. Memory per socket stays below twice the ring + RX_HOLD_MAX + one host read.
 * - Send is write-behind: send copies into a 512 KiB send ring and returns; the ring's unsent bytes
 *   go to the host as views (no second copy) through net.Socket's own write step (below the
 *   Writable layer), consumed when the host write completes, synchronously in the usual case.
 *   EAGAIN when the ring is full. SHUT_WR and close send FIN after the ring drains; close with
 *   unread received data, or SO_LINGER {on, 0}, resets (as tcp_close).
 * - bind reserves the address on the host at once (a listening host server, so EADDRINUSE and the
 *   ephemeral port are known at bind, as in Linux); listen only starts handing out connections.
 *   Connections that arrive between bind and listen are reset (Linux would refuse them). A bound
 *   socket that connects instead releases the server and connects from the bound address.
 * - The host keeps SO_REUSEADDR on for every listening socket (libuv does); the option is stored
 *   and reported, not applied. Connections beyond the listen backlog stay queued (Node accepts
 *   them before we see them).
 *
 * Between two awaits nothing else runs: the host callbacks below only update state and notify.
 */
import type * as net from "node:net";
import { ByteRing, type MemCharge } from "../ipc/byte-ring.ts";
import { Ready } from "../fs/types.ts";
import { EAGAIN_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { SocketBase, iovTotal } from "./socket-base.ts";
import { notifyFromHost } from "./epoll.ts";
import { adoptUserBuffer, hostNet, hostWrite } from "./host-net.ts";
import { StoragePool } from "./rx-pool.ts";
import { anyAddr, hostAddr, hostErrno, hostError, sockAddrOf } from "./inet-addr.ts";
import { IpProto, Msg, Shut, SockOpt, SockType, SOL_SOCKET, TCP_NODELAY, type Domain, type KernelSocket, type RecvResult, type SockAddr } from "./types.ts";

/**
 * Capacity of a TCP socket's receive and send rings (Linux autotunes a TCP buffer from 128 KiB up
 * to several MiB; an explicit SO_RCVBUF/SO_SNDBUF still sets it). Storage grows only as data
 * accumulates, so an idle or chatty socket holds a few KiB. 512 KiB against 128 KiB halves the
 * CPU per MiB of a bulk receiver: fewer, larger host reads and one guest wake-up per 512 KiB.
 */
const TCP_RING_CAPACITY = 512 * 1024;
/** Bytes held back beyond a full receive ring before the host socket is paused (one host read). */
const RX_HOLD_MAX = 64 * 1024;
/** Largest single host write: one ring's worth. */
const WRITE_CHUNK = 128 * 1024;
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

type State = "new" | "bound" | "listening" | "connecting" | "connected" | "failed";

export interface TcpOptions {
  mem?: MemCharge;
  flags?: number;
}

export class TcpSocket extends SocketBase {
  private state: State = "new";
  private server: net.Server | undefined;
  private binding = false;
  private readonly backlog: TcpSocket[] = [];
  private sock: net.Socket | undefined;
  private local: SockAddr | undefined;
  private remote: SockAddr | undefined;
  private readonly rx: ByteRing;
  private readonly tx: ByteRing;
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
  private rxEof = false; // the peer's FIN
  private rdShut = false;
  private wrShut = false;
  private endSent = false;
  /** Bytes of the send ring handed to the host and not yet completed (the ring's oldest). */
  private inflight = 0;
  /**
   * Lengths of the host writes in flight: entries [inflightHead, inflightTail), oldest first (a
   * FIFO without Array#shift: a write usually completes at once, so it empties and restarts at
   * 0; the array keeps its storage, where setting its length to 0 dropped it: a reallocation per
   * write).
   */
  private inflightLens: number[] = [];
  private inflightHead = 0;
  private inflightTail = 0;
  private broken = false; // reset or failed: nothing more goes out
  private hostClosed = false;
  /** A non-blocking connect completed but no connect call has reported it yet. */
  private connectUnreported = false;
  private released = false;
  private readonly mem: MemCharge | undefined;

  constructor(domain: Domain, opts: TcpOptions = {}) {
    super(domain, SockType.STREAM, IpProto.TCP, opts.flags ?? 0);
    this.mem = opts.mem;
    const ring = { capacity: TCP_RING_CAPACITY, refuseErrno: Errno.NOBUFS, ...(opts.mem ? { mem: opts.mem } : {}) };
    this.rx = new ByteRing({ ...ring, alloc: takeRing });
    this.tx = new ByteRing(ring);
  }

  protected get listening(): boolean {
    return this.state === "listening";
  }
  protected get rcvBuf(): number {
    return this.rx.capacity;
  }
  protected get sndBuf(): number {
    return this.tx.capacity;
  }
  protected setBufSizes(rcv: number | undefined, snd: number | undefined): void {
    if (rcv !== undefined) this.rx.setCapacity(rcv);
    if (snd !== undefined) this.tx.setCapacity(snd);
  }
  protected isBound(): boolean {
    return this.local !== undefined;
  }
  protected override optionChanged(level: number, name: number): void {
    if (!this.sock) return;
    if (level === IpProto.TCP && name === TCP_NODELAY) this.sock.setNoDelay(this.noDelay);
    if (level === SOL_SOCKET && name === SockOpt.SO_KEEPALIVE) this.sock.setKeepAlive(this.keepAlive);
  }

  // ---- server side -------------------------------------------------------------------------

  async bind(addr: SockAddr): Promise<void> {
    if (this.state !== "new" || this.binding) throw sysErr(Errno.INVAL, "already bound");
    const { host, port } = hostAddr(this.domain, addr, this.v6only);
    this.binding = true;
    // Paused so that no read happens before adopt() has installed the shared read buffer.
    const server = hostNet().createServer({ allowHalfOpen: true, pauseOnConnect: true });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ host, port, backlog: 511, exclusive: true, ipv6Only: this.v6only, reusePort: this.reusePort }, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (e) {
      throw hostError(e);
    } finally {
      this.binding = false;
    }
    if (this.released) {
      server.close();
      throw sysErr(Errno.BADF);
    }
    const a = server.address() as net.AddressInfo;
    this.server = server;
    this.local = sockAddrOf(this.domain, a.address, a.port);
    this.state = "bound";
    server.on("connection", (s: net.Socket) => this.onConnection(s));
    server.on("error", () => {}); // accept errors (EMFILE) leave the listener as it is
  }

  listen(_backlog: number): void | Promise<void> {
    if (this.state === "listening") return;
    if (this.state === "new") {
      return this.bind(anyAddr(this.domain)).then(() => this.listen(_backlog));
    }
    if (this.state !== "bound") throw sysErr(Errno.INVAL);
    this.state = "listening";
  }

  private onConnection(s: net.Socket): void {
    if (this.state !== "listening") {
      s.resetAndDestroy();
      return;
    }
    const child = new TcpSocket(this.domain, this.mem ? { mem: this.mem } : {});
    child.adopt(s);
    this.backlog.push(child);
    this.notify();
  }

  accept(): KernelSocket {
    if (this.state !== "listening") throw sysErr(Errno.INVAL);
    const s = this.backlog.shift();
    if (!s) throw EAGAIN_ERROR;
    return s;
  }

  // ---- client side -------------------------------------------------------------------------

  connect(addr: SockAddr): void | Promise<void> {
    switch (this.state) {
      case "connected":
        if (this.connectUnreported) {
          this.connectUnreported = false;
          return;
        }
        throw sysErr(Errno.ISCONN);
      case "connecting": throw sysErr(Errno.ALREADY);
      case "listening": throw sysErr(Errno.ISCONN);
      case "failed": {
        const err = this.takeError();
        this.resetForReconnect();
        if (err) throw err;
        break;
      }
      default: break;
    }
    if (this.binding) throw sysErr(Errno.INVAL);
    const { host, port } = hostAddr(this.domain, addr, this.v6only);
    const server = this.server;
    if (server) {
      // Bound first: give the port back to the host, then connect from it.
      this.server = undefined;
      return new Promise<void>((resolve) => server.close(() => resolve())).then(() => this.startConnect(host, port));
    }
    return this.startConnect(host, port);
  }

  private startConnect(host: string, port: number): never {
    const opts: net.NetConnectOpts = {
      host, port, allowHalfOpen: true, noDelay: this.noDelay, keepAlive: this.keepAlive,
      onread: { buffer: this.nextReadBuf, callback: this.onHostRead },
    };
    if (this.local) {
      const l = hostAddr(this.domain, this.local, this.v6only);
      opts.localAddress = l.host;
      opts.localPort = l.port;
    }
    const s = hostNet().connect(opts);
    this.state = "connecting";
    this.connectUnreported = true;
    this.attach(s, true);
    s.once("connect", () => {
      if (this.state !== "connecting") return;
      this.state = "connected";
      this.fillAddrs(s);
      this.notify();
      this.pump();
    });
    throw sysErr(Errno.INPROGRESS);
  }

  finishConnect(): void {
    if (this.state === "connecting") throw EAGAIN_ERROR;
    if (this.state === "connected") {
      this.connectUnreported = false;
      return;
    }
    if (this.state === "failed") {
      const err = this.takeError() ?? sysErr(Errno.CONNABORTED);
      this.resetForReconnect();
      throw err;
    }
    throw sysErr(Errno.NOTCONN);
  }

  private resetForReconnect(): void {
    this.sock = undefined;
    this.state = "new";
    this.broken = this.hostClosed = this.rxEof = this.endSent = false;
  }

  /** Take over a host socket accepted by a listener. */
  private adopt(s: net.Socket): void {
    this.state = "connected";
    this.connectUnreported = false;
    this.attach(s, adoptUserBuffer(s, this.nextReadBuf, this.onHostRead));
    this.fillAddrs(s);
    if (this.noDelay) s.setNoDelay(true);
    s.resume();
  }

  private fillAddrs(s: net.Socket): void {
    this.local = sockAddrOf(this.domain, s.localAddress, s.localPort);
    this.remote = sockAddrOf(this.domain, s.remoteAddress, s.remotePort);
  }

  /** `userBuffer`: reads arrive through onHostRead (onread), else as 'data' events. */
  private attach(s: net.Socket, userBuffer: boolean): void {
    this.sock = s;
    if (!userBuffer) s.on("data", (chunk: Buffer) => this.onData(chunk));
    s.on("end", () => {
      this.rxEof = true;
      this.notify();
    });
    s.on("error", (e: Error) => {
      if (this.sock !== s) return;
      this.soError = hostErrno(e);
      this.broken = true;
      if (this.state === "connecting") this.state = "failed";
      this.tx.consume(this.tx.length);
      this.notify();
    });
    s.on("close", () => {
      if (this.sock !== s) return;
      this.hostClosed = true;
      if (this.state === "connecting") {
        this.state = "failed";
        if (this.soError === 0) this.soError = Errno.CONNREFUSED;
      }
      this.notify();
    });
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
  private readonly nextReadBuf = (): Uint8Array => {
    // After a small read into a ring that never grew (a request/response socket), the shared
    // buffer: copying a few bytes costs less than the fresh view of the ring's tail (it moves by
    // the bytes read) that node:net stores for every read, on the way from a request's arrival
    // to its response.
    const small = this.lastRead < MIN_READ && this.rx.allocated < SPARE_MIN;
    if (!small && this.rxOverflow.length === 0 && !this.released) {
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
  private freeRx(): void {
    const bufs = [this.rx.dispose()];
    if (this.rxSpare) bufs.push(this.rxSpare);
    this.dropSpare();
    if (!bufs.some((b) => b.byteLength === TCP_RING_CAPACITY)) return;
    const s = this.sock;
    if (!s || this.hostClosed) ringPool.give(bufs);
    else s.once("close", () => ringPool.give(bufs));
  }

  /** onread callback: `n` bytes are in `buf` (from nextReadBuf); false pauses the host socket. */
  private readonly onHostRead = (n: number, landed?: Uint8Array): boolean => {
    if (this.released) return true;
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
    notifyFromHost(this.notifyNow); // a host callback: a woken epoll_wait needs no setImmediate
    if (this.rx.free > 0 && this.rxOverflowBytes < RX_HOLD_MAX) return true;
    this.paused = true;
    tcpRxStats.pauses++;
    return false;
  };

  private readonly notifyNow = (): void => this.notify();

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
    if (this.released) return;
    this.store(chunk, chunk.byteLength);
    // Holding back up to one host read more than the ring keeps the host reading while the
    // guest keeps up (a pause/resume costs event-loop turns); past that, stop the sender.
    if (this.rxOverflowBytes >= RX_HOLD_MAX && !this.paused) {
      this.paused = true;
      this.sock?.pause();
    }
    this.notify();
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
      this.sock?.resume();
    }
  }

  // ---- data --------------------------------------------------------------------------------

  recvFrom(iovs: Uint8Array[], flags: number): RecvResult {
    if ((flags & Msg.OOB) !== 0) throw sysErr(Errno.INVAL);
    if (this.state === "connecting") throw EAGAIN_ERROR; // tcp_recvmsg waits in SYN_SENT
    if (this.state !== "connected") {
      throw (this.state === "failed" ? this.takeError() : undefined) ?? sysErr(Errno.NOTCONN);
    }
    if (this.rx.length > 0) {
      const peek = (flags & Msg.PEEK) !== 0;
      const n = this.rx.length >= BULK_COPY ? copyOut(this.rx, iovs) : this.rx.read(iovs, true);
      if (!peek) {
        this.rx.consume(n);
        this.refill();
      }
      return { n, truncated: false };
    }
    const err = this.takeError();
    if (err) throw err;
    if (this.rxEof || this.rdShut || this.hostClosed || this.broken || iovTotal(iovs) === 0) return { n: 0, truncated: false };
    throw EAGAIN_ERROR;
  }

  sendTo(iovs: Uint8Array[], flags: number, _to?: SockAddr): number {
    if ((flags & Msg.OOB) !== 0) throw sysErr(Errno.NOTSUP);
    if (this.state === "connecting") throw EAGAIN_ERROR;
    if (this.state !== "connected") throw this.takeError() ?? this.epipe(flags);
    const err = this.takeError();
    if (err) throw err;
    if (this.wrShut || this.broken || this.hostClosed) throw this.epipe(flags);
    if (iovTotal(iovs) === 0) return 0;
    if (this.tx.free === 0) throw EAGAIN_ERROR;
    const n = this.tx.write(iovs);
    this.pump();
    return n;
  }

  /**
   * Hand every unsent byte of the send ring to the host (at most two views: the ring may wrap);
   * each completion consumes its bytes, in order. FIN once drained, if asked.
   */
  private pump(): void {
    const s = this.sock;
    if (!s || this.state !== "connected" || this.broken) return;
    // hostWrite may call onWritten before it returns (which pumps again): the bookkeeping of a
    // write is done before it starts, and the loop re-reads the state after each.
    while (this.inflight < this.tx.length && this.sock === s && !this.broken) {
      const view = this.tx.peekContiguousAt(this.inflight, WRITE_CHUNK);
      this.inflight += view.byteLength;
      this.inflightLens[this.inflightTail++] = view.byteLength;
      hostWrite(s, view, this.onWritten);
    }
    if (this.inflight === 0 && this.wrShut && !this.endSent) {
      this.endSent = true;
      s.end();
      if (this.released) {
        this.tx.dispose();
        // A closed socket takes no more data: once the FIN is out, drop it (data after → RST).
        s.once("finish", () => s.destroy());
      }
    }
  }

  private readonly onWritten = (err?: Error | null): void => {
    if (err || this.broken) {
      // A failed write breaks the connection now (its 'error' event, which records SO_ERROR,
      // comes later): a write error seen synchronously must not let pump() try again. Below the
      // Writable layer nobody else destroys the host socket (destroying twice is harmless).
      if (err) {
        this.broken = true;
        this.sock?.destroy(err);
      }
      this.inflight = 0;
      this.inflightHead = this.inflightTail = 0;
      return;
    }
    // Completions come in write order: the oldest in-flight view is done.
    const n = this.inflightHead < this.inflightTail ? this.inflightLens[this.inflightHead++]! : 0;
    if (this.inflightHead >= this.inflightTail) this.inflightHead = this.inflightTail = 0;
    // Readiness changes only if the ring was full (POLLOUT comes back, as Linux's write_space
    // fires only after a writer found no room); otherwise a notify would only wake an epoll
    // waiter watching EPOLLIN for nothing, once per write.
    const wasFull = this.tx.free === 0;
    this.tx.consume(n);
    this.inflight -= n;
    if (this.released && this.tx.length === 0 && this.endSent) this.tx.dispose();
    if (wasFull) this.notify();
    this.pump();
  };

  shutdown(how: number): void {
    if (this.state !== "connected") throw sysErr(Errno.NOTCONN);
    if ((how & Shut.RD) !== 0) this.rdShut = true;
    if ((how & Shut.WR) !== 0) {
      this.wrShut = true;
      this.pump();
    }
    this.notify();
  }

  getsockname(): SockAddr {
    return this.local ?? anyAddr(this.domain);
  }
  getpeername(): SockAddr {
    if (this.state !== "connected" || !this.remote) throw sysErr(Errno.NOTCONN);
    return this.remote;
  }

  override poll(): number {
    switch (this.state) {
      case "new": case "bound": return Ready.OUT | Ready.HUP;
      case "listening": return this.backlog.length > 0 ? Ready.IN : 0;
      case "connecting": return 0;
      case "failed": return Ready.OUT | Ready.HUP | (this.soError !== 0 ? Ready.ERR : 0);
      default: break;
    }
    let r = 0;
    if (this.soError !== 0) r |= Ready.ERR;
    if (this.rx.length > 0) r |= Ready.IN;
    const rcvShut = this.rxEof || this.rdShut || this.hostClosed || this.broken;
    const sndShut = this.wrShut || this.hostClosed || this.broken;
    if (rcvShut) r |= Ready.IN | Ready.RDHUP;
    if ((rcvShut && sndShut) || this.broken) r |= Ready.HUP;
    if (sndShut || this.tx.free > 0) r |= Ready.OUT;
    return r;
  }

  /** Bytes waiting to be read (FIONREAD) and not yet sent (SIOCOUTQ). */
  get pendingIn(): number {
    return this.rx.length + this.rxOverflowBytes;
  }
  get pendingOut(): number {
    return this.tx.length;
  }

  override release(): void {
    if (this.released) return;
    this.released = true;
    this.server?.close();
    this.server = undefined;
    for (const c of this.backlog) c.abort();
    this.backlog.length = 0;
    const s = this.sock;
    if (s && this.state === "connected" && !this.broken && !this.hostClosed) {
      const unread = this.rx.length > 0 || this.rxOverflow.length > 0;
      if (unread || (this.linger.onoff && this.linger.seconds === 0)) {
        this.abort();
      } else if (this.endSent) {
        // SHUT_WR already sent the FIN: drop the host socket once it is flushed.
        if (s.writableFinished) s.destroy();
        else s.once("finish", () => s.destroy());
        this.tx.dispose();
      } else {
        if (this.paused) s.resume();
        this.wrShut = true;
        this.pump(); // FIN after the send ring drains, then the host socket is destroyed
      }
    } else if (s) {
      s.destroy();
      this.tx.dispose();
    }
    this.freeRx();
    this.rxOverflow = [];
    this.rxOverflowBytes = 0;
    this.notify();
  }

  /** Close with RST (linger 0, unread data, never-accepted connections). */
  private abort(): void {
    this.released = true;
    this.sock?.resetAndDestroy();
    this.freeRx();
    this.tx.dispose();
  }
}
