/**
 * SocketBase: what every kernel socket shares. read/write and WASI's sock_recv/sock_send map onto
 * recvFrom/sendTo; the SOL_SOCKET options common to all kinds live here (a subclass hooks
 * `optionChanged` to push one to the host); the pending error (SO_ERROR) is reported once.
 */
import { FileBase } from "../fs/file-base.ts";
import { FdFlags, FileType } from "../fs/types.ts";
import { Errno, sysErr, type SysError } from "../syscall/errno.ts";
import { WaitQueue } from "../sched/wait-queue.ts";
import { RiFlags, RoFlags } from "../syscall/abi.ts";
import {
  Domain, IPV6_V6ONLY, IpOpt, IpProto, Ipv6Opt, Msg, SOL_SOCKET, SockOpt, SockType, TCP_NODELAY, TcpOpt,
  NO_CRED, type KernelSocket, type Linger, type OptValue, type RecvResult, type SockAddr, type Ucred,
} from "./types.ts";

type Maybe<T> = T | Promise<T>;

/** Apply `f` to a value or a Promise of it, staying synchronous when possible. */
export function then<T, U>(m: Maybe<T>, f: (v: T) => U): Maybe<U> {
  return m instanceof Promise ? m.then(f) : f(m);
}

/** sock_recv's (bytes, roflags) from a recvFrom result (one function, not a closure per call). */
const recvPair = (r: RecvResult): [number, number] => [r.n, r.truncated ? RoFlags.RECV_DATA_TRUNCATED : 0];

const NO_WATCHERS: readonly (() => void)[] = Object.freeze([]);

// Linux clamps SO_*BUF to [SOCK_MIN, *mem_max] and stores (and reports) twice the value.
/** Linux's bounds of the keepalive tuning options (include/net/tcp.h); outside them: EINVAL. */
const MAX_TCP_KEEPIDLE = 32767;
const MAX_TCP_KEEPINTVL = 32767;
const MAX_TCP_KEEPCNT = 127;
function inRange(v: number, max: number): number {
  if (v < 1 || v > max) throw sysErr(Errno.INVAL);
  return v;
}

/** SO_RCVLOWAT's ceiling on TCP without SO_RCVBUF: half of Linux's tcp_rmem[2] default (32 MiB). */
const TCP_RCVLOWAT_CAP = 16 * 1024 * 1024;

/** The hop limit Linux reports while IP_TTL / IPV6_UNICAST_HOPS is at its default (-1). */
const DEFAULT_TTL = 64;
/** Linux's ip_tos2prio: the SO_PRIORITY an IP_TOS setting implies (by the TOS bits 1-4). */
const TOS_TO_PRIORITY = [0, 0, 0, 0, 2, 2, 2, 2, 6, 6, 6, 6, 4, 4, 4, 4];
/** The ECN bits of IP_TOS / IPV6_TCLASS, which a TCP socket keeps from its current value. */
const ECN_MASK = 3;

/**
 * TCP_DEFER_ACCEPT is kept as a number of SYN-ACK retransmissions (1 s, doubling, at most
 * 120 s apart), as Linux's secs_to_retrans does, and read back as their total (so 5 reads as 7).
 */
function secsToRetrans(secs: number): number {
  if (secs <= 0) return 0;
  let timeout = 1;
  let period = 1;
  let res = 1;
  while (secs > period && res < 255) {
    res++;
    timeout = Math.min(timeout * 2, 120);
    period += timeout;
  }
  return res;
}
function retransToSecs(n: number): number {
  if (n === 0) return 0;
  let timeout = 1;
  let period = 1;
  for (let k = 1; k < n; k++) {
    timeout = Math.min(timeout * 2, 120);
    period += timeout;
  }
  return period;
}

const MIN_BUF = 4608;
const MAX_BUF = 212992;

export abstract class SocketBase extends FileBase implements KernelSocket {
  readonly isSocket = true as const;
  readonly domain: Domain;
  readonly type: SockType;
  readonly protocol: number;
  readonly waitQueue = new WaitQueue();
  onSigpipe: (() => void) | undefined;
  rcvTimeoutMs = 0;
  sndTimeoutMs = 0;
  protected reuseAddr = false;
  protected reusePort = false;
  protected keepAlive = false;
  /**
   * TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT in seconds and probes, Linux's defaults (the
   * tcp_keepalive_* sysctls). The idle time reaches the host socket (setKeepAlive's initial
   * delay); Node has no way to set the other two, so they are kept and reported only.
   */
  protected keepIdle = 7200;
  protected keepIntvl = 75;
  protected keepCnt = 9;
  protected noDelay = false;
  /** TCP_CORK: hold partial segments back until uncorked, 200 ms at most (tcp.ts pump). */
  protected cork = false;
  /** TCP_QUICKACK, kept and reported (Node cannot set the host's; Linux starts in quick-ack mode). */
  protected quickAck = true;
  protected v6only = false;
  /**
   * IP_TOS and IPV6_TCLASS (the host TCP socket gets the one of its family: Node's
   * setTypeOfService), IP_TTL and IPV6_UNICAST_HOPS (-1: the default, 64; a UDP host socket gets
   * them through setTTL, a TCP one cannot: kept and reported), SO_PRIORITY (IP_TOS sets it, as
   * Linux does; no host effect), TCP_USER_TIMEOUT and TCP_DEFER_ACCEPT (kept and reported: the host
   * socket's timeouts and accept are Node's).
   */
  protected ipTos = 0;
  protected ipTtl = -1;
  protected tclass = 0;
  protected hopLimit = -1;
  protected priority = 0;
  /**
   * SO_RCVLOWAT: a stream socket's blocking receive waits for this many bytes (or as many as it
   * asked for, or the end of the stream), and TCP's poll says readable from here on (Linux's unix
   * poll does not look at it). Datagram sockets keep and report it only, as Linux.
   */
  protected rcvLowat = 1;
  /** SO_RCVBUF was set (Linux's SOCK_RCVBUF_LOCK): SO_RCVLOWAT is then capped at half of it. */
  private rcvBufSet = false;
  protected userTimeoutMs = 0;
  protected deferAcceptRetrans = 0;
  protected linger: Linger = { onoff: false, seconds: 0 };
  /** Pending asynchronous error (SO_ERROR), reported once. */
  protected soError: Errno | 0 = 0;
  /**
   * The credentials of the process that created the socket, or last connected or listened with
   * it (the syscall layer sets them): what the peer's SO_PEERCRED and SCM_CREDENTIALS report.
   */
  cred: Ucred = NO_CRED;
  /** SO_PASSCRED: received messages carry the sender's credentials (unix sockets). */
  passCred = false;

  /** SO_PEERCRED: the peer's credentials when it connected (unix sockets; NO_CRED elsewhere). */
  peerCred(): Ucred {
    return NO_CRED;
  }

  constructor(domain: Domain, type: SockType, protocol: number, flags = 0) {
    super(type === SockType.STREAM ? FileType.SOCKET_STREAM : FileType.SOCKET_DGRAM, { readable: true, writable: true, flags });
    this.domain = domain;
    this.type = type;
    this.protocol = protocol;
  }

  abstract bind(addr: SockAddr): Maybe<void>;
  abstract listen(backlog: number): Maybe<void>;
  abstract connect(addr: SockAddr): Maybe<void>;
  abstract finishConnect(): Maybe<void>;
  abstract accept(): Maybe<KernelSocket>;
  abstract sendTo(iovs: Uint8Array[], flags: number, to?: SockAddr): Maybe<number>;
  abstract recvFrom(iovs: Uint8Array[], flags: number): Maybe<RecvResult>;
  abstract shutdown(how: number): Maybe<void>;
  abstract getsockname(): SockAddr;
  abstract getpeername(): SockAddr;
  /** Whether the socket is listening (SO_ACCEPTCONN). */
  protected abstract get listening(): boolean;
  /** Current receive / send buffer bound in bytes. */
  protected abstract get rcvBuf(): number;
  protected abstract get sndBuf(): number;
  protected abstract setBufSizes(rcv: number | undefined, snd: number | undefined): void;
  /** A host-backed socket pushes an option to its host handle here. */
  protected optionChanged(_level: number, _name: number): void {}

  override read(iovs: Uint8Array[]): Maybe<number> {
    return then(this.recvFrom(iovs, 0), (r) => r.n);
  }
  override write(iovs: Uint8Array[]): Maybe<number> {
    return this.sendTo(iovs, 0);
  }
  recv(iovs: Uint8Array[], riflags: number): Maybe<[number, number]> {
    // RECV_DONT_WAIT is MSG_DONTWAIT: the socket may answer differently (UDP after SHUT_RD).
    const flags = ((riflags & RiFlags.RECV_PEEK) !== 0 ? Msg.PEEK : 0) | ((riflags & RiFlags.RECV_DONT_WAIT) !== 0 ? Msg.DONTWAIT : 0);
    return then(this.recvFrom(iovs, flags), recvPair);
  }
  send(iovs: Uint8Array[]): Maybe<number> {
    return this.sendTo(iovs, 0);
  }

  /** The pending error as a SysError, cleared (as sock_error()). */
  protected takeError(): SysError | undefined {
    if (this.soError === 0) return undefined;
    const e = sysErr(this.soError);
    this.soError = 0;
    return e;
  }
  /** EPIPE, raising SIGPIPE through the hook unless MSG_NOSIGNAL. */
  protected epipe(flags: number): SysError {
    if ((flags & Msg.NOSIGNAL) === 0) this.onSigpipe?.();
    return sysErr(Errno.PIPE);
  }
  /**
   * Readiness watchers (epoll interests): called on every notification, before the waiters.
   * Kept apart from the wait queue's waiters, which a notification iterates as a Set (a socket
   * with an epoll interest notifies once per received segment). Copy-on-write: a callback may
   * add or remove watchers while they are being called.
   */
  private watchers: readonly (() => void)[] = NO_WATCHERS;

  /** Call `cb` on every readiness notification until the returned function is called. */
  watchReadiness(cb: () => void): () => void {
    this.watchers = [...this.watchers, cb];
    return () => {
      this.watchers = this.watchers.filter((w) => w !== cb);
    };
  }

  protected notify(): void {
    const w = this.watchers;
    for (let i = 0; i < w.length; i++) w[i]!();
    if (this.waitQueue.size > 0) this.waitQueue.notifyAll();
  }

  setsockopt(level: number, name: number, value: OptValue): Maybe<void> {
    const int = typeof value === "number" ? value : undefined;
    const needInt = (): number => {
      if (int === undefined) throw sysErr(Errno.INVAL);
      return int;
    };
    if (level === SOL_SOCKET) {
      switch (name) {
        case SockOpt.SO_REUSEADDR: this.reuseAddr = needInt() !== 0; break;
        case SockOpt.SO_REUSEPORT: this.reusePort = needInt() !== 0; break;
        case SockOpt.SO_KEEPALIVE: this.keepAlive = needInt() !== 0; break;
        case SockOpt.SO_RCVBUF:
          this.setBufSizes(clampBuf(needInt()), undefined);
          this.rcvBufSet = true;
          break;
        case SockOpt.SO_RCVLOWAT: {
          let v = needInt();
          if (v < 0) v = 0x7fffffff;
          if (this.isInetStream()) v = Math.min(v, this.rcvBufSet ? this.rcvBuf >> 1 : TCP_RCVLOWAT_CAP);
          this.rcvLowat = v || 1;
          this.notify(); // readable now, perhaps (Linux's tcp_data_ready)
          break;
        }
        case SockOpt.SO_SNDBUF: this.setBufSizes(undefined, clampBuf(needInt())); break;
        case SockOpt.SO_RCVTIMEO: this.rcvTimeoutMs = Math.max(0, needInt()); break;
        case SockOpt.SO_SNDTIMEO: this.sndTimeoutMs = Math.max(0, needInt()); break;
        case SockOpt.SO_LINGER:
          if (typeof value === "number") throw sysErr(Errno.INVAL);
          this.linger = { onoff: value.onoff, seconds: Math.max(0, value.seconds) };
          break;
        case SockOpt.SO_PRIORITY: this.priority = needInt(); break; // any value: processes have CAP_NET_ADMIN
        case SockOpt.SO_TYPE: case SockOpt.SO_ERROR: case SockOpt.SO_ACCEPTCONN:
        case SockOpt.SO_PROTOCOL: case SockOpt.SO_DOMAIN: case SockOpt.SO_SNDLOWAT:
          throw sysErr(Errno.NOPROTOOPT, "read-only option");
        default: throw sysErr(Errno.NOPROTOOPT);
      }
    } else if (this.domain === Domain.UNIX) {
      throw sysErr(Errno.NOTSUP, "unix sockets have SOL_SOCKET options only"); // no proto_ops.setsockopt
    } else if (level === IpProto.TCP && this.isInetStream()) {
      switch (name) {
        case TCP_NODELAY: this.noDelay = needInt() !== 0; break;
        case TcpOpt.CORK: this.cork = needInt() !== 0; break;
        case TcpOpt.KEEPIDLE: this.keepIdle = inRange(needInt(), MAX_TCP_KEEPIDLE); break;
        case TcpOpt.KEEPINTVL: this.keepIntvl = inRange(needInt(), MAX_TCP_KEEPINTVL); break;
        case TcpOpt.KEEPCNT: this.keepCnt = inRange(needInt(), MAX_TCP_KEEPCNT); break;
        case TcpOpt.USER_TIMEOUT: {
          const v = needInt();
          if (v < 0) throw sysErr(Errno.INVAL);
          this.userTimeoutMs = v;
          break;
        }
        case TcpOpt.DEFER_ACCEPT: this.deferAcceptRetrans = secsToRetrans(needInt()); break;
        case TcpOpt.QUICKACK: this.quickAck = needInt() !== 0; break;
        default: throw sysErr(Errno.NOPROTOOPT);
      }
    } else if (level === IpProto.IP) {
      const v = needInt();
      switch (name) {
        case IpOpt.TOS: this.setTos(v); break;
        case IpOpt.TTL:
          if (v !== -1 && (v < 1 || v > 255)) throw sysErr(Errno.INVAL);
          this.ipTtl = v;
          break;
        default: throw sysErr(Errno.NOPROTOOPT);
      }
    } else if (level === IpProto.IPV6 && this.domain === Domain.INET6) {
      const v = needInt();
      switch (name) {
        case IPV6_V6ONLY:
          if (this.isBound()) throw sysErr(Errno.INVAL, "IPV6_V6ONLY after bind");
          this.v6only = v !== 0;
          break;
        case Ipv6Opt.UNICAST_HOPS:
          if (v < -1 || v > 255) throw sysErr(Errno.INVAL);
          this.hopLimit = v;
          break;
        case Ipv6Opt.TCLASS:
          if (v < -1 || v > 0xff) throw sysErr(Errno.INVAL);
          this.tclass = this.type === SockType.STREAM ? (Math.max(v, 0) & ~ECN_MASK) | (this.tclass & ECN_MASK) : Math.max(v, 0);
          break;
        default: throw sysErr(Errno.NOPROTOOPT);
      }
    } else {
      throw sysErr(Errno.NOPROTOOPT);
    }
    this.optionChanged(level, name);
  }

  getsockopt(level: number, name: number): OptValue {
    if (level === SOL_SOCKET) {
      switch (name) {
        case SockOpt.SO_REUSEADDR: return +this.reuseAddr;
        case SockOpt.SO_REUSEPORT: return +this.reusePort;
        case SockOpt.SO_KEEPALIVE: return +this.keepAlive;
        case SockOpt.SO_RCVBUF: return this.rcvBuf;
        case SockOpt.SO_SNDBUF: return this.sndBuf;
        case SockOpt.SO_RCVTIMEO: return this.rcvTimeoutMs;
        case SockOpt.SO_SNDTIMEO: return this.sndTimeoutMs;
        case SockOpt.SO_LINGER: return { ...this.linger };
        case SockOpt.SO_TYPE: return this.type;
        case SockOpt.SO_PROTOCOL: return this.protocol;
        case SockOpt.SO_DOMAIN: return this.domain;
        case SockOpt.SO_ACCEPTCONN: return +this.listening;
        case SockOpt.SO_PRIORITY: return this.priority;
        case SockOpt.SO_RCVLOWAT: return this.rcvLowat;
        case SockOpt.SO_SNDLOWAT: return 1;
        case SockOpt.SO_ERROR: {
          const e = this.soError;
          this.soError = 0;
          return e;
        }
        default: throw sysErr(Errno.NOPROTOOPT);
      }
    }
    if (this.domain === Domain.UNIX) throw sysErr(Errno.NOTSUP, "unix sockets have SOL_SOCKET options only");
    if (level === IpProto.TCP && this.isInetStream()) {
      switch (name) {
        case TCP_NODELAY: return +this.noDelay;
        case TcpOpt.CORK: return +this.cork;
        case TcpOpt.KEEPIDLE: return this.keepIdle;
        case TcpOpt.KEEPINTVL: return this.keepIntvl;
        case TcpOpt.KEEPCNT: return this.keepCnt;
        case TcpOpt.USER_TIMEOUT: return this.userTimeoutMs;
        case TcpOpt.DEFER_ACCEPT: return retransToSecs(this.deferAcceptRetrans);
        case TcpOpt.QUICKACK: return +this.quickAck;
      }
    }
    if (level === IpProto.IP) {
      if (name === IpOpt.TOS) return this.ipTos;
      if (name === IpOpt.TTL) return this.ipTtl < 0 ? DEFAULT_TTL : this.ipTtl;
    }
    if (level === IpProto.IPV6 && this.domain === Domain.INET6) {
      switch (name) {
        case IPV6_V6ONLY: return +this.v6only;
        case Ipv6Opt.UNICAST_HOPS: return this.hopLimit < 0 ? DEFAULT_TTL : this.hopLimit;
        case Ipv6Opt.TCLASS: return this.tclass;
      }
    }
    // IPv4's ip_getsockopt answers a level it does not own with EOPNOTSUPP (IPv6's: ENOPROTOOPT).
    const own = level === IpProto.IP || level === (this.type === SockType.STREAM ? IpProto.TCP : IpProto.UDP);
    if (this.domain === Domain.INET && !own) throw sysErr(Errno.NOTSUP);
    throw sysErr(Errno.NOPROTOOPT);
  }

  /**
   * IP_TOS as Linux's __ip_sock_set_tos: a TCP socket keeps its ECN bits; the value is stored as
   * a byte; a change also sets SO_PRIORITY from the TOS bits (ip_tos2prio).
   */
  private setTos(v: number): void {
    if (this.type === SockType.STREAM) v = (v & ~ECN_MASK) | (this.ipTos & ECN_MASK);
    if (v === this.ipTos) return;
    this.ipTos = v & 0xff;
    this.priority = TOS_TO_PRIORITY[(v & 0x1e) >> 1]!;
  }

  /**
   * A stream receive finds `available` bytes: must it wait for more (throw EAGAIN)? Only a call
   * that may block, before the end of the stream, with fewer bytes than SO_RCVLOWAT or than it
   * asked for (Linux's tcp_recvmsg target); a non-blocking one takes what there is.
   */
  protected belowLowat(available: number, iovs: readonly Uint8Array[], flags: number, ended: boolean): boolean {
    if (this.rcvLowat <= 1 || available >= this.rcvLowat || ended) return false;
    if ((flags & Msg.DONTWAIT) !== 0 || (this.flags & FdFlags.NONBLOCK) !== 0) return false;
    return available < Math.min(this.rcvLowat, iovTotal(iovs));
  }

  /** The hop limit of this socket's family (IP_TTL or IPV6_UNICAST_HOPS), the default resolved. */
  protected hostTtl(): number {
    const v = this.domain === Domain.INET6 ? this.hopLimit : this.ipTtl;
    return v < 0 ? DEFAULT_TTL : v;
  }

  /** The traffic class of this socket's family (IP_TOS or IPV6_TCLASS). */
  protected hostTos(): number {
    return this.domain === Domain.INET6 ? this.tclass : this.ipTos;
  }

  /**
   * An accepted socket starts with its listener's options, as Linux's sk_clone copies them
   * (SO_KEEPALIVE and its TCP_KEEP* tuning, TCP_NODELAY, IPV6_V6ONLY, SO_LINGER, SO_REUSEADDR/PORT,
   * timeouts, IP_TOS/TTL, IPV6_TCLASS/UNICAST_HOPS, SO_PRIORITY, SO_RCVLOWAT, TCP_USER_TIMEOUT; not
   * TCP_DEFER_ACCEPT, which belongs to the listener's queue).
   */
  protected inheritOptions(from: SocketBase): void {
    this.reuseAddr = from.reuseAddr;
    this.reusePort = from.reusePort;
    this.keepAlive = from.keepAlive;
    this.keepIdle = from.keepIdle;
    this.keepIntvl = from.keepIntvl;
    this.keepCnt = from.keepCnt;
    this.noDelay = from.noDelay;
    this.v6only = from.v6only;
    this.linger = { ...from.linger };
    this.rcvTimeoutMs = from.rcvTimeoutMs;
    this.sndTimeoutMs = from.sndTimeoutMs;
    this.ipTos = from.ipTos;
    this.ipTtl = from.ipTtl;
    this.tclass = from.tclass;
    this.hopLimit = from.hopLimit;
    this.priority = from.priority;
    this.rcvLowat = from.rcvLowat;
    this.userTimeoutMs = from.userTimeoutMs;
  }

  protected isInetStream(): boolean {
    return this.domain !== Domain.UNIX && this.type === SockType.STREAM;
  }
  /** Whether an address is bound (IPV6_V6ONLY must come before). */
  protected abstract isBound(): boolean;
}

function clampBuf(v: number): number {
  return Math.min(Math.max(v, MIN_BUF / 2), MAX_BUF) * 2;
}

/** Total length of iovecs. */
export function iovTotal(iovs: readonly Uint8Array[]): number {
  let n = 0;
  for (const v of iovs) n += v.byteLength;
  return n;
}

/** Gather iovecs into one fresh buffer (datagrams). */
export function gather(iovs: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(iovTotal(iovs));
  let off = 0;
  for (const v of iovs) {
    out.set(v, off);
    off += v.byteLength;
  }
  return out;
}

/** Scatter `src` into iovecs; returns the bytes copied. */
export function scatter(src: Uint8Array, iovs: readonly Uint8Array[]): number {
  let off = 0;
  for (const v of iovs) {
    if (off >= src.byteLength) break;
    const n = Math.min(v.byteLength, src.byteLength - off);
    v.set(src.subarray(off, off + n), 0);
    off += n;
  }
  return off;
}
