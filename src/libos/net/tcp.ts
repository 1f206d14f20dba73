/**
 * TCP sockets over node:net, buffered as Occlum's async sockets (reference §2.4):
 *
 * - Receive is proactive: the host socket flows into a 512 KiB receive ring from the moment it is
 *   connected, and is paused while the ring is full (tcp-receiver.ts: TcpReceiver, which the
 *   socket owns, holds the ring, its storage, the host read buffers and the back-pressure).
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
import { pollAfterHostIo } from "./epoll.ts";
import { Ready } from "../fs/types.ts";
import { EAGAIN_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { SocketBase, iovTotal } from "./socket-base.ts";
import { adoptUserBuffer, hostNet, hostWrite } from "./host-net.ts";
import { TCP_RING_CAPACITY, TcpReceiver } from "./tcp-receiver.ts";
import { anyAddr, bindsV6Only, hostAddr, hostErrno, hostError, sockAddrOf } from "./inet-addr.ts";
import { IpOpt, IpProto, Ipv6Opt, Msg, Shut, SockOpt, SockType, SOL_SOCKET, TCP_NODELAY, TcpOpt, type Domain, type KernelSocket, type RecvResult, type SockAddr } from "./types.ts";

/** Largest single host write: one ring's worth. */
const WRITE_CHUNK = 128 * 1024;
/**
 * TCP_CORK: while corked, only whole segments of this size go out (the loopback MSS, 65535 less
 * headers and timestamps); the rest waits for the cork to come off, a shutdown, a full ring, or
 * CORK_MS, Linux's ceiling.
 */
const CORK_MSS = 65483;
const CORK_MS = 200;

// The receive side's counters and pool, for the tests and bench/net that read them here.
export { ringPoolSize, tcpRxStats } from "./tcp-receiver.ts";

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
  private readonly rx: TcpReceiver;
  private readonly tx: ByteRing;
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
    this.rx = new TcpReceiver({
      hostSocket: () => this.sock,
      hostClosed: () => this.hostClosed,
      released: () => this.released,
      notify: () => this.notify(),
    }, opts.mem);
    this.tx = new ByteRing({ capacity: TCP_RING_CAPACITY, refuseErrno: Errno.NOBUFS, ...(opts.mem ? { mem: opts.mem } : {}) });
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
    if ((level === SOL_SOCKET && name === SockOpt.SO_KEEPALIVE) || (level === IpProto.TCP && name === TcpOpt.KEEPIDLE)) {
      this.sock.setKeepAlive(this.keepAlive, this.keepIdle * 1000);
    }
    if ((level === IpProto.IP && name === IpOpt.TOS) || (level === IpProto.IPV6 && name === Ipv6Opt.TCLASS)) this.applyTos(this.sock, true);
    if (level === IpProto.TCP && name === TcpOpt.CORK && !this.cork) {
      // Uncorked: what was held goes out now.
      if (this.corkTimer) clearTimeout(this.corkTimer);
      this.corkTimer = undefined;
      this.pump();
    }
  }

  /**
   * The traffic class of the socket's family on the host socket (Node's setTypeOfService sets
   * IP_TOS or IPV6_TCLASS); `always` also when it is the default. A host socket without a handle
   * yet (connecting) gets it at 'connect'.
   */
  private applyTos(s: net.Socket, always = false): void {
    const tos = this.hostTos();
    if (tos === 0 && !always) return;
    try {
      s.setTypeOfService?.(tos);
    } catch {
      // not connected yet (no handle): applied at 'connect'
    }
  }

  // ---- server side -------------------------------------------------------------------------

  async bind(addr: SockAddr): Promise<void> {
    if (this.state !== "new" || this.binding) throw sysErr(Errno.INVAL, "already bound");
    const { host, port } = hostAddr(this.domain, addr, this.v6only, true);
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
    if (bindsV6Only(this.domain, addr)) this.v6only = true;
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
    child.inheritOptions(this);
    child.adopt(s);
    this.backlog.push(child);
    pollAfterHostIo(0); // its first request likely follows soon
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
    const { host, port } = hostAddr(this.domain, addr, this.v6only, true);
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
      host, port, allowHalfOpen: true, noDelay: this.noDelay, keepAlive: this.keepAlive, keepAliveInitialDelay: this.keepIdle * 1000,
      onread: { buffer: this.rx.nextReadBuf, callback: this.rx.onHostRead },
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
      this.applyTos(s);
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
    this.broken = this.hostClosed = this.endSent = false;
    this.rx.eof = false;
  }

  /** Take over a host socket accepted by a listener. */
  private adopt(s: net.Socket): void {
    this.state = "connected";
    this.connectUnreported = false;
    this.attach(s, adoptUserBuffer(s, this.rx.nextReadBuf, this.rx.onHostRead));
    this.fillAddrs(s);
    if (this.noDelay) s.setNoDelay(true);
    if (this.keepAlive) s.setKeepAlive(true, this.keepIdle * 1000);
    this.applyTos(s);
    s.resume();
  }

  private fillAddrs(s: net.Socket): void {
    this.local = sockAddrOf(this.domain, s.localAddress, s.localPort);
    this.remote = sockAddrOf(this.domain, s.remoteAddress, s.remotePort);
  }

  /** `userBuffer`: reads arrive through the receiver's onHostRead (onread), else as 'data' events. */
  private attach(s: net.Socket, userBuffer: boolean): void {
    this.sock = s;
    this.rx.attach(s, userBuffer);
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

  // ---- data --------------------------------------------------------------------------------

  recvFrom(iovs: Uint8Array[], flags: number): RecvResult {
    if ((flags & Msg.OOB) !== 0) throw sysErr(Errno.INVAL);
    if (this.state === "connecting") throw EAGAIN_ERROR; // tcp_recvmsg waits in SYN_SENT
    if (this.state !== "connected") {
      throw (this.state === "failed" ? this.takeError() : undefined) ?? sysErr(Errno.NOTCONN);
    }
    if (this.rx.length > 0) {
      if (this.belowLowat(this.rx.length, iovs, flags, this.rx.eof || this.rdShut || this.hostClosed || this.broken || this.soError !== 0)) throw EAGAIN_ERROR;
      return { n: this.rx.read(iovs, (flags & Msg.PEEK) !== 0), truncated: false };
    }
    const err = this.takeError();
    if (err) throw err;
    if (this.rx.eof || this.rdShut || this.hostClosed || this.broken || iovTotal(iovs) === 0) return { n: 0, truncated: false };
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
    for (let limit = this.sendable(); this.inflight < limit && this.sock === s && !this.broken; limit = this.sendable()) {
      const view = this.tx.peekContiguousAt(this.inflight, Math.min(WRITE_CHUNK, limit - this.inflight));
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

  /**
   * How much of the send ring may go to the host: all of it, unless TCP_CORK holds a partial
   * segment back (then its timer is armed: CORK_MS at most, as Linux's ceiling).
   */
  private sendable(): number {
    const n = this.tx.length;
    if (!this.cork || this.wrShut || this.corkExpired || this.tx.free === 0) return n;
    const hold = (n - this.inflight) % CORK_MSS;
    if (hold > 0) this.corkTimer ??= setTimeout(this.corkTimeout, CORK_MS);
    return n - hold;
  }

  private corkExpired = false;
  private corkTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly corkTimeout = (): void => {
    this.corkTimer = undefined;
    this.corkExpired = true;
    try {
      this.pump();
    } finally {
      this.corkExpired = false;
    }
  };

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
    if (this.rx.length >= this.rcvLowat) r |= Ready.IN;
    const rcvShut = this.rx.eof || this.rdShut || this.hostClosed || this.broken;
    const sndShut = this.wrShut || this.hostClosed || this.broken;
    if (rcvShut) r |= Ready.IN | Ready.RDHUP;
    if ((rcvShut && sndShut) || this.broken) r |= Ready.HUP;
    if (sndShut || this.tx.free > 0) r |= Ready.OUT;
    return r;
  }

  /** Bytes waiting to be read (FIONREAD) and not yet sent (SIOCOUTQ). */
  get pendingIn(): number {
    return this.rx.pending;
  }
  get pendingOut(): number {
    return this.tx.length;
  }

  override release(): void {
    if (this.released) return;
    this.released = true;
    if (this.corkTimer) clearTimeout(this.corkTimer);
    this.corkTimer = undefined;
    this.server?.close();
    this.server = undefined;
    for (const c of this.backlog) c.abort();
    this.backlog.length = 0;
    const s = this.sock;
    if (s && this.state === "connected" && !this.broken && !this.hostClosed) {
      const unread = this.rx.unread;
      if (unread || (this.linger.onoff && this.linger.seconds === 0)) {
        this.abort();
      } else if (this.endSent) {
        // SHUT_WR already sent the FIN: drop the host socket once it is flushed.
        if (s.writableFinished) s.destroy();
        else s.once("finish", () => s.destroy());
        this.tx.dispose();
      } else {
        if (this.rx.hostPaused) s.resume();
        this.wrShut = true;
        this.pump(); // FIN after the send ring drains, then the host socket is destroyed
      }
    } else if (s) {
      s.destroy();
      this.tx.dispose();
    }
    this.rx.free();
    this.rx.dropHeld();
    this.notify();
  }

  /** Close with RST (linger 0, unread data, never-accepted connections). */
  private abort(): void {
    this.released = true;
    this.sock?.resetAndDestroy();
    this.rx.free();
    this.tx.dispose();
  }
}
