/**
 * UDP sockets over node:dgram.
 *
 * - The host socket is created at bind (explicit, or implicit on the first send/connect, as
 *   Linux autobinds), because Node fixes reuseAddr / reusePort / ipv6Only at creation.
 * - Received datagrams queue in the kernel up to SO_RCVBUF bytes; more are dropped, as Linux
 *   drops on a full receive buffer. A connected socket drops datagrams from other peers.
 * - Sends copy the datagram (Node keeps the buffer until sent); bytes in flight are bounded by
 *   SO_SNDBUF: EAGAIN beyond it. Send errors reported later (ECONNREFUSED from ICMP on a
 *   connected socket) become SO_ERROR.
 * - Both are kernel memory, charged to the kernel heap budget (`mem`) while held: a datagram
 *   that arrives when the budget refuses is dropped (Linux drops on socket memory pressure), a
 *   send the budget refuses fails with ENOBUFS (as Linux's sock_alloc_send_skb).
 */
import type * as dgram from "node:dgram";

/** node:dgram, loaded with the first UDP socket: every `occlum run` would pay for it otherwise. */
const dgramModule = (): typeof dgram => process.getBuiltinModule("node:dgram");
import { FdFlags, Ready } from "../fs/types.ts";
import { EAGAIN_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { SocketBase, gather, iovTotal, scatter } from "./socket-base.ts";
import { anyAddr, bindsV6Only, hostAddr, hostErrno, hostError, sockAddrOf } from "./inet-addr.ts";
import { Domain, IpOpt, IpProto, Ipv6Opt, Msg, Shut, SockType, type KernelSocket, type RecvResult, type SockAddr } from "./types.ts";
import { unlimitedCharge, type MemCharge } from "../ipc/byte-ring.ts";
import { pollAfterHostIo } from "./epoll.ts";

const DEFAULT_BUF = 212992; // net.core.rmem_default / wmem_default
const MAX_UDP_PAYLOAD = 65507;

interface Datagram {
  data: Uint8Array;
  from: SockAddr;
}

export class UdpSocket extends SocketBase {
  private sock: dgram.Socket | undefined;
  private bindPromise: Promise<void> | undefined;
  private local: SockAddr | undefined;
  private peer: SockAddr | undefined;
  private readonly queue: Datagram[] = [];
  private queued = 0;
  private rcvCap = DEFAULT_BUF;
  private sndCap = DEFAULT_BUF;
  private inflight = 0;
  private rdShut = false;
  /**
   * The local address a connect to the peer makes Linux report for a socket bound to the
   * wildcard (the route's source). Known here for a loopback peer, the only route this sandbox
   * has; the host socket itself is never connected (the peer filter is ours).
   */
  private routeSource: string | undefined;
  private wrShut = false;
  private released = false;
  private readonly mem: MemCharge;

  constructor(domain: Domain, flags = 0, mem: MemCharge = unlimitedCharge) {
    super(domain, SockType.DGRAM, IpProto.UDP, flags);
    this.mem = mem;
  }

  protected get listening(): boolean {
    return false;
  }
  protected get rcvBuf(): number {
    return this.rcvCap;
  }
  protected get sndBuf(): number {
    return this.sndCap;
  }
  protected setBufSizes(rcv: number | undefined, snd: number | undefined): void {
    if (rcv !== undefined) this.rcvCap = rcv;
    if (snd !== undefined) this.sndCap = snd;
  }
  protected isBound(): boolean {
    return this.local !== undefined || this.bindPromise !== undefined;
  }

  bind(addr: SockAddr): Promise<void> {
    if (this.isBound()) throw sysErr(Errno.INVAL, "already bound");
    const { host, port } = hostAddr(this.domain, addr, this.v6only, true);
    const sock = dgramModule().createSocket({
      type: this.domain === Domain.INET6 ? "udp6" : "udp4",
      reuseAddr: this.reuseAddr,
      reusePort: this.reusePort,
      ipv6Only: this.v6only,
    });
    const p = new Promise<void>((resolve, reject) => {
      sock.once("error", reject);
      sock.bind({ address: host, port, exclusive: true }, () => {
        sock.off("error", reject);
        resolve();
      });
    }).then(
      () => {
        if (this.released) {
          sock.close();
          throw sysErr(Errno.BADF);
        }
        this.sock = sock;
        if (this.hostTtl() !== 64) this.applyTtl();
        const a = sock.address();
        this.local = sockAddrOf(this.domain, a.address, a.port);
        if (bindsV6Only(this.domain, addr)) this.v6only = true;
        sock.on("message", (msg: Buffer, rinfo: dgram.RemoteInfo) => this.onMessage(msg, rinfo));
        sock.on("error", (e: Error) => {
          this.soError = hostErrno(e);
          this.notify();
        });
        this.notify();
      },
      (e: unknown) => {
        this.bindPromise = undefined;
        sock.close();
        throw hostError(e);
      },
    );
    this.bindPromise = p;
    return p;
  }

  /** Bind to the wildcard address first when needed (implicit bind of send/connect). */
  private ensureBound(): Promise<void> | undefined {
    if (this.sock) return undefined;
    return this.bindPromise ?? this.bind(anyAddr(this.domain));
  }

  protected override optionChanged(level: number, name: number): void {
    if ((level === IpProto.IP && name === IpOpt.TTL && this.domain === Domain.INET) || (level === IpProto.IPV6 && name === Ipv6Opt.UNICAST_HOPS)) {
      this.applyTtl();
    }
  }

  /**
   * IP_TTL or IPV6_UNICAST_HOPS (the socket's family) on the host socket: dgram's setTTL sets it.
   * It takes 1-255: a hop limit of 0 (IPV6_UNICAST_HOPS allows it) stays the guest's own.
   */
  private applyTtl(): void {
    const ttl = this.hostTtl();
    if (this.sock && ttl >= 1) this.sock.setTTL(ttl);
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.released) return; // SHUT_RD does not stop datagrams (Linux keeps queueing them)
    const from = sockAddrOf(this.domain, rinfo.address, rinfo.port);
    if (this.peer && !samePeer(this.peer, from)) return;
    if (this.queue.length > 0 && this.queued + msg.byteLength > this.rcvCap) return; // receive buffer full: drop
    if (!this.mem.charge(msg.byteLength)) return; // kernel memory exhausted: drop
    this.queue.push({ data: msg, from });
    this.queued += msg.byteLength;
    pollAfterHostIo(msg.byteLength);
    this.notify();
  }

  listen(_backlog: number): void {
    throw sysErr(Errno.NOTSUP);
  }
  accept(): KernelSocket {
    throw sysErr(Errno.NOTSUP);
  }

  connect(addr: SockAddr): void | Promise<void> {
    const { host, port } = hostAddr(this.domain, addr, this.v6only);
    this.peer = sockAddrOf(this.domain, host, port);
    this.routeSource = loopbackSource(this.peer);
    // As Linux, datagrams already queued stay; only later arrivals from other peers are dropped.
    const p = this.ensureBound();
    return p?.then(() => {});
  }
  finishConnect(): void {}
  disconnect(): void {
    this.peer = undefined;
    this.routeSource = undefined;
  }

  sendTo(iovs: Uint8Array[], flags: number, to?: SockAddr): number | Promise<number> {
    if ((flags & Msg.OOB) !== 0) throw sysErr(Errno.NOTSUP);
    if (this.wrShut) throw this.epipe(flags);
    const err = this.takeError();
    if (err) throw err;
    let dest: { host: string; port: number };
    if (to !== undefined) dest = hostAddr(this.domain, to, this.v6only);
    else if (this.peer) dest = hostAddr(this.domain, this.peer, false);
    else throw sysErr(Errno.DESTADDRREQ);
    const len = iovTotal(iovs);
    if (len > MAX_UDP_PAYLOAD) throw sysErr(Errno.MSGSIZE);
    if (this.inflight > 0 && this.inflight + len > this.sndCap) throw EAGAIN_ERROR;
    const data = gather(iovs);
    const bound = this.ensureBound();
    if (bound) return bound.then(() => this.transmit(data, dest));
    return this.transmit(data, dest);
  }

  private transmit(data: Uint8Array, dest: { host: string; port: number }): number {
    const sock = this.sock;
    if (!sock) throw sysErr(Errno.BADF);
    if (!this.mem.charge(data.byteLength)) throw sysErr(Errno.NOBUFS, "kernel heap budget exhausted");
    this.inflight += data.byteLength;
    sock.send(data, dest.port, dest.host, (e) => {
      if (this.released) return; // release() uncharged what was in flight
      this.inflight -= data.byteLength;
      this.mem.uncharge(data.byteLength);
      if (e) this.soError = hostErrno(e);
      this.notify();
    });
    return data.byteLength;
  }

  recvFrom(iovs: Uint8Array[], flags: number): RecvResult {
    if ((flags & Msg.OOB) !== 0) throw sysErr(Errno.INVAL);
    const d = this.queue[0];
    if (!d) {
      const err = this.takeError();
      if (err) throw err;
      // After SHUT_RD an empty queue is EOF for a blocking call and EAGAIN for a non-blocking
      // one (Linux's __skb_try_recv_datagram gives up before it looks at the shutdown).
      if (this.rdShut && (flags & Msg.DONTWAIT) === 0 && (this.flags & FdFlags.NONBLOCK) === 0) return { n: 0, truncated: false };
      throw EAGAIN_ERROR;
    }
    const n = scatter(d.data, iovs);
    if ((flags & Msg.PEEK) === 0) {
      this.queue.shift();
      this.queued -= d.data.byteLength;
      this.mem.uncharge(d.data.byteLength);
    }
    return {
      n: (flags & Msg.TRUNC) !== 0 ? d.data.byteLength : n,
      from: d.from,
      truncated: n < d.data.byteLength,
      fullLength: d.data.byteLength,
    };
  }

  shutdown(how: number): void {
    // Linux's inet_shutdown marks an unconnected socket too, then reports ENOTCONN.
    if ((how & Shut.RD) !== 0) this.rdShut = true;
    if ((how & Shut.WR) !== 0) this.wrShut = true;
    this.notify();
    if (!this.peer) throw sysErr(Errno.NOTCONN);
  }

  getsockname(): SockAddr {
    const local = this.local ?? anyAddr(this.domain);
    // Connected while bound to the wildcard: Linux reports the source address its route chose.
    if (this.routeSource && local.family !== "unix" && (local.addr === "0.0.0.0" || local.addr === "::")) {
      return { ...local, addr: this.routeSource };
    }
    return local;
  }
  getpeername(): SockAddr {
    if (!this.peer) throw sysErr(Errno.NOTCONN);
    return this.peer;
  }

  override poll(): number {
    let r = 0;
    if (this.soError !== 0) r |= Ready.ERR;
    if (this.queue.length > 0 || this.rdShut) r |= Ready.IN;
    if (this.rdShut) r |= Ready.RDHUP;
    if (this.rdShut && this.wrShut) r |= Ready.HUP;
    if (this.inflight < this.sndCap) r |= Ready.OUT;
    return r;
  }

  override release(): void {
    if (this.released) return;
    this.released = true;
    this.sock?.close();
    this.queue.length = 0;
    this.mem.uncharge(this.queued + this.inflight);
    this.inflight = 0;
    this.queued = 0;
    this.notify();
  }
}

function samePeer(a: SockAddr, b: SockAddr): boolean {
  return a.family !== "unix" && b.family !== "unix" && a.port === b.port && a.addr === b.addr;
}

/** The source address of the route to a loopback peer (`ip route get 127.0.0.2`: src 127.0.0.1). */
function loopbackSource(peer: SockAddr): string | undefined {
  if (peer.family === "inet") return peer.addr.startsWith("127.") ? "127.0.0.1" : undefined;
  if (peer.family === "inet6") {
    if (peer.addr === "::1") return "::1";
    if (peer.addr.startsWith("::ffff:127.")) return "::ffff:127.0.0.1";
  }
  return undefined;
}
