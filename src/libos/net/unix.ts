/**
 * Unix domain sockets between LibOS processes, entirely in the kernel (no host socket).
 *
 * - Names live in a UnixNamespace (one per kernel), keyed by `nsKeyOf(addr)`: abstract names
 *   (leading "\0") as they are, pathnames by the identity of the socket file the syscall layer
 *   created for them in the VFS (unix-path.ts sets `addr.key`), so an unlinked or replaced file
 *   no longer reaches the socket, and a file whose socket is gone refuses (ECONNREFUSED), as on
 *   Linux. Without a key (kernel unit tests) the path itself is the key. getsockname and the
 *   peer names report the path as the program gave it.
 * - Stream: each direction is the receiver's ByteRing; send writes straight into the peer's
 *   ring, so "buffered bytes" are bounded by one ring per direction. shutdown and close mirror
 *   onto the peer as unix_shutdown/unix_release_sock do (closing with unread data gives the
 *   peer ECONNRESET). connect completes at once (queued in the listener's backlog), or EAGAIN
 *   when the backlog is full (retry connect after the wait queue fires).
 * - Datagram: a bounded queue of messages per receiver (bytes and count), with unnamed senders
 *   reported as path "". A sender blocked on a full receiver is woken when the receiver drains.
 *   Queued bytes are charged to the receiver's kernel heap budget (ENOBUFS when it refuses).
 * - SCM_RIGHTS: `sendMsg` attaches an opaque Attachment (the syscall layer's files in flight) to
 *   the message: for a stream, to the stream position of its first byte; a `recvMsg` that reaches
 *   that byte returns it, and stops short of the next attached byte, so attachments come with the
 *   data they were sent with (Linux keeps them with their skb). Plain reads (`recvFrom`) drop
 *   the attachments they pass, as Linux discards fds a recv without a control buffer receives.
 *   Anything undelivered is discarded when the receiver is released.
 * - Credentials: SO_PEERCRED is the peer's `cred` when the connection was made (socketpair: the
 *   creator's; a listener: its own from listen(), as Linux). Every message carries its sender's
 *   credentials (or those sendmsg gave in SCM_CREDENTIALS): a datagram with it, a stream as a list
 *   of (position, credentials) entries made when the sender changes; a receiver with SO_PASSCRED
 *   gets them from recvMsg, and a stream read stops where the writer changes, as Linux never
 *   glues messages of different writers.
 */
import { ByteRing, SOCKET_RING_CAPACITY, type MemCharge } from "../ipc/byte-ring.ts";
import { Ready } from "../fs/types.ts";
import { EAGAIN_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { SocketBase, gather, iovTotal, scatter } from "./socket-base.ts";
import { Domain, Msg, NO_CRED, Shut, SockType, type KernelSocket, type RecvResult, type SockAddr, type Ucred } from "./types.ts";

type UnixSocket = UnixStreamSocket | UnixDgramSocket;

/** Ancillary data in flight (SCM_RIGHTS): opaque here; `discard` frees it when never delivered. */
export interface Attachment {
  readonly items: readonly unknown[];
  discard(): void;
}

/** recvMsg's result: recvFrom's, plus the attachment that came with these bytes. */
export interface RecvMsgResult extends RecvResult {
  attachment?: Attachment;
  /** The sender's credentials, when the receiver has SO_PASSCRED. */
  cred?: Ucred;
}

function sameCred(a: Ucred, b: Ucred): boolean {
  return a.pid === b.pid && a.uid === b.uid && a.gid === b.gid;
}

/** The first `limit` bytes of `iovs` (views, no copy). */
function limitIovs(iovs: Uint8Array[], limit: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const v of iovs) {
    if (limit <= 0) break;
    out.push(v.byteLength <= limit ? v : v.subarray(0, limit));
    limit -= v.byteLength;
  }
  return out;
}

/** Namespace keys of socket files start with this (never a path's or abstract name's first byte). */
export const FILE_KEY_PREFIX = "\u0001";

export class UnixNamespace {
  private readonly names = new Map<string, UnixSocket>();
  private autobindSeq = 0;
  lookup(key: string): UnixSocket {
    const s = this.names.get(key);
    if (s) return s;
    // A missing abstract name or a socket file without a socket refuses; a missing path does not exist.
    throw sysErr(key.startsWith("\0") || key.startsWith(FILE_KEY_PREFIX) ? Errno.CONNREFUSED : Errno.NOENT);
  }
  bind(path: string, s: UnixSocket): void {
    if (this.names.has(path)) throw sysErr(Errno.ADDRINUSE, path);
    this.names.set(path, s);
  }
  unbind(path: string, s: UnixSocket): void {
    if (this.names.get(path) === s) this.names.delete(path);
  }
  /** Linux autobind: an abstract name of 5 hex digits. */
  autoName(): string {
    for (;;) {
      const name = "\0" + (this.autobindSeq++ & 0xfffff).toString(16).padStart(5, "0");
      if (!this.names.has(name)) return name;
    }
  }
  /** Whether a name is bound (tests, and the VFS's view of socket files later). */
  has(path: string): boolean {
    return this.names.has(path);
  }
}

export const defaultUnixNamespace = new UnixNamespace();

function unixPath(addr: SockAddr): string {
  if (addr.family !== "unix") throw sysErr(Errno.INVAL, "not a unix address");
  return addr.path;
}

/** The namespace key of a unix address: its socket file's identity when resolved, else the name. */
function nsKeyOf(addr: SockAddr): string {
  unixPath(addr);
  return addr.family === "unix" ? addr.key ?? addr.path : "";
}

export interface UnixOptions {
  ns?: UnixNamespace;
  mem?: MemCharge;
  flags?: number;
  cred?: Ucred;
}

abstract class UnixBase extends SocketBase {
  protected readonly ns: UnixNamespace;
  protected readonly mem: MemCharge | undefined;
  name: string | undefined;
  /** The namespace key `name` is bound under. */
  private nsKey: string | undefined;
  released = false;
  /** SO_PEERCRED (set when the connection is made). */
  protected peerCredVal: Ucred | undefined;
  constructor(type: SockType, opts: UnixOptions) {
    super(Domain.UNIX, type, 0, opts.flags ?? 0);
    this.ns = opts.ns ?? defaultUnixNamespace;
    this.mem = opts.mem;
    if (opts.cred) this.cred = opts.cred;
  }
  protected isBound(): boolean {
    return this.name !== undefined;
  }
  bind(addr: SockAddr): void {
    let path = unixPath(addr);
    if (this.name !== undefined) throw sysErr(Errno.INVAL, "already bound");
    let key = nsKeyOf(addr);
    if (path === "") path = key = this.ns.autoName();
    this.ns.bind(key, this as unknown as UnixSocket);
    this.name = path;
    this.nsKey = key;
  }
  getsockname(): SockAddr {
    return { family: "unix", path: this.name ?? "" };
  }
  override peerCred(): Ucred {
    return this.peerCredVal ?? NO_CRED;
  }
  protected unbindName(): void {
    if (this.nsKey !== undefined) this.ns.unbind(this.nsKey, this as unknown as UnixSocket);
  }
}

export class UnixStreamSocket extends UnixBase {
  private state: "new" | "listening" | "connected" = "new";
  private peer: UnixStreamSocket | undefined;
  private peerName = "";
  /** Bytes from the peer. */
  private readonly rx: ByteRing;
  /** RCV_SHUTDOWN / SEND_SHUTDOWN as in Linux, mirrored from the peer's shutdown and close. */
  private rcvShut = false;
  private sndShut = false;
  private readonly backlog: UnixStreamSocket[] = [];
  private backlogMax = 0;
  private readonly blockedConnectors = new Set<UnixStreamSocket>();
  private waitingOn: UnixStreamSocket | undefined;
  /** Stream positions: bytes ever written into / read from `rx`. */
  private rxIn = 0;
  private rxOut = 0;
  /** Attachments by the stream position of their first byte, oldest first. */
  private readonly attached: { pos: number; att: Attachment }[] = [];
  /** Senders' credentials from a stream position on, oldest first (a new entry per change). */
  private readonly creds: { pos: number; cred: Ucred }[] = [];

  constructor(opts: UnixOptions = {}) {
    super(SockType.STREAM, opts);
    this.rx = new ByteRing({ capacity: SOCKET_RING_CAPACITY, refuseErrno: Errno.NOBUFS, ...(opts.mem ? { mem: opts.mem } : {}) });
  }

  protected get listening(): boolean {
    return this.state === "listening";
  }
  protected get rcvBuf(): number {
    return this.rx.capacity;
  }
  protected get sndBuf(): number {
    return this.peer?.rx.capacity ?? SOCKET_RING_CAPACITY;
  }
  protected setBufSizes(rcv: number | undefined, _snd: number | undefined): void {
    if (rcv !== undefined) this.rx.setCapacity(rcv);
  }

  /** Pair two fresh sockets (socketpair, and the server side of connect). */
  static link(a: UnixStreamSocket, b: UnixStreamSocket): void {
    a.state = b.state = "connected";
    a.peer = b;
    b.peer = a;
    a.peerName = b.name ?? "";
    b.peerName = a.name ?? "";
    a.peerCredVal = b.cred;
    b.peerCredVal = a.cred;
  }

  listen(backlog: number): void {
    if (this.state === "connected") throw sysErr(Errno.INVAL);
    if (this.name === undefined) throw sysErr(Errno.INVAL, "listen on an unbound unix socket");
    this.backlogMax = Math.min(Math.max(backlog, 0), 4096) + 1;
    this.state = "listening";
    this.peerCredVal = this.cred; // Linux: a listener's SO_PEERCRED is its own, from listen()
    for (const c of this.blockedConnectors) c.notify(); // a larger backlog may admit them
  }

  connect(addr: SockAddr): void {
    const key = nsKeyOf(addr);
    if (this.state === "connected") throw sysErr(Errno.ISCONN);
    if (this.state === "listening") throw sysErr(Errno.INVAL);
    this.waitingOn = undefined;
    const target = this.ns.lookup(key);
    if (!(target instanceof UnixStreamSocket)) throw sysErr(Errno.PROTOTYPE);
    if (target.state !== "listening") throw sysErr(Errno.CONNREFUSED);
    if (target.backlog.length >= target.backlogMax) {
      this.waitingOn = target;
      target.blockedConnectors.add(this);
      throw EAGAIN_ERROR;
    }
    const server = new UnixStreamSocket({ ns: this.ns, ...(this.mem ? { mem: this.mem } : {}) });
    server.name = target.name; // getsockname of an accepted socket is the listener's name
    server.cred = target.cred; // the client's SO_PEERCRED: the listener's from listen()
    UnixStreamSocket.link(this, server);
    this.peerName = target.name ?? "";
    target.backlog.push(server);
    target.notify();
    this.notify();
  }

  finishConnect(): void {
    if (this.state === "connected") return;
    if (this.waitingOn) throw EAGAIN_ERROR;
    throw this.takeError() ?? sysErr(Errno.NOTCONN);
  }

  accept(): KernelSocket {
    if (this.state !== "listening") throw sysErr(Errno.INVAL);
    const s = this.backlog.shift();
    if (!s) throw EAGAIN_ERROR;
    for (const c of this.blockedConnectors) {
      c.waitingOn = undefined;
      c.notify();
    }
    this.blockedConnectors.clear();
    return s;
  }

  sendTo(iovs: Uint8Array[], flags: number, to?: SockAddr): number {
    return this.sendMsg(iovs, flags, to, undefined);
  }

  /**
   * sendmsg: `att` rides with the first byte sent (dropped by the caller if this throws); `cred`
   * (SCM_CREDENTIALS, checked by the caller) replaces the socket's own credentials.
   */
  sendMsg(iovs: Uint8Array[], flags: number, to: SockAddr | undefined, att: Attachment | undefined, cred?: Ucred): number {
    if ((flags & Msg.OOB) !== 0) throw sysErr(Errno.NOTSUP);
    if (to !== undefined) throw sysErr(this.state === "connected" ? Errno.ISCONN : Errno.NOTSUP);
    const peer = this.peer;
    if (this.state !== "connected" || !peer) throw sysErr(Errno.NOTCONN);
    if (this.sndShut || peer.released) throw this.epipe(flags);
    const total = iovTotal(iovs);
    if (total === 0) {
      att?.discard();
      return 0;
    }
    if (peer.rx.free === 0) throw EAGAIN_ERROR;
    const pos = peer.rxIn;
    const n = peer.rx.write(iovs);
    peer.rxIn += n;
    if (att) peer.attached.push({ pos, att });
    const c = cred ?? this.cred;
    const last = peer.creds[peer.creds.length - 1];
    if (!last || !sameCred(last.cred, c)) peer.creds.push({ pos, cred: c });
    peer.notify();
    return n;
  }

  recvFrom(iovs: Uint8Array[], flags: number): RecvResult {
    const r = this.recvMsg(iovs, flags);
    r.attachment?.discard();
    delete r.attachment;
    return r;
  }

  /**
   * recvmsg: the bytes up to the next attached position; an attachment at the first byte read
   * comes with them. recvFrom drops what it passes (see the header).
   */
  recvMsg(iovs: Uint8Array[], flags: number): RecvMsgResult {
    if ((flags & Msg.OOB) !== 0) throw sysErr(Errno.NOTSUP);
    if (this.state !== "connected") throw sysErr(Errno.INVAL);
    if (this.rx.length > 0) {
      if (this.belowLowat(this.rx.length, iovs, flags, this.rcvShut || this.soError !== 0)) throw EAGAIN_ERROR;
      const peek = (flags & Msg.PEEK) !== 0;
      let attachment: Attachment | undefined;
      let k = 0;
      if (this.attached[0]?.pos === this.rxOut) {
        if (!peek) attachment = this.attached[0].att; // a peek leaves it for the real read
        k = 1;
      }
      const creds = this.creds;
      while (creds.length > 1 && creds[1]!.pos <= this.rxOut) creds.shift();
      let stop = this.attached[k]?.pos ?? Number.POSITIVE_INFINITY;
      if (this.passCred && creds.length > 1) stop = Math.min(stop, creds[1]!.pos); // another writer's bytes
      const n = this.rx.read(stop !== Number.POSITIVE_INFINITY ? limitIovs(iovs, stop - this.rxOut) : iovs, peek);
      if (!peek) {
        this.rxOut += n;
        if (attachment) this.attached.shift();
      }
      if (n > 0 && !peek) this.peer?.notify();
      const r: RecvMsgResult = attachment ? { n, truncated: false, attachment } : { n, truncated: false };
      if (this.passCred) r.cred = creds[0] !== undefined && creds[0].pos <= this.rxOut - (peek ? 0 : n) ? creds[0].cred : NO_CRED;
      return r;
    }
    const err = this.takeError();
    if (err) throw err;
    if (this.rcvShut || iovTotal(iovs) === 0) return { n: 0, truncated: false };
    throw EAGAIN_ERROR;
  }

  shutdown(how: number): void {
    if (this.state !== "connected" || !this.peer) {
      // Linux's unix_shutdown marks the socket itself and succeeds, connected or not.
      if ((how & Shut.RD) !== 0) this.rcvShut = true;
      if ((how & Shut.WR) !== 0) this.sndShut = true;
      this.notify();
      return;
    }
    if ((how & Shut.RD) !== 0) {
      this.rcvShut = true;
      this.peer.sndShut = true;
    }
    if ((how & Shut.WR) !== 0) {
      this.sndShut = true;
      this.peer.rcvShut = true;
    }
    this.notify();
    this.peer.notify();
  }

  getpeername(): SockAddr {
    if (this.state !== "connected") throw sysErr(Errno.NOTCONN);
    return { family: "unix", path: this.peerName };
  }

  override poll(): number {
    if (this.state === "listening") return this.backlog.length > 0 ? Ready.IN : 0;
    if (this.state === "new") return this.waitingOn ? 0 : Ready.OUT | Ready.HUP;
    let r = 0;
    if (this.soError !== 0) r |= Ready.ERR;
    if (this.rx.length > 0) r |= Ready.IN;
    if (this.rcvShut) r |= Ready.IN | Ready.RDHUP;
    if (this.rcvShut && this.sndShut) r |= Ready.HUP;
    if (this.sndShut || !this.peer || this.peer.released || this.peer.rx.free > 0) r |= Ready.OUT;
    return r;
  }

  override release(): void {
    if (this.released) return;
    this.released = true;
    this.unbindName();
    for (const s of this.backlog) s.release(); // never accepted: their connectors see EOF
    this.backlog.length = 0;
    for (const c of this.blockedConnectors) {
      c.waitingOn = undefined;
      c.notify();
    }
    this.blockedConnectors.clear();
    const peer = this.peer;
    if (peer) {
      peer.rcvShut = peer.sndShut = true;
      if (this.rx.length > 0) peer.soError = Errno.CONNRESET;
      peer.notify();
    }
    this.rx.dispose();
    for (const a of this.attached.splice(0)) a.att.discard();
    this.creds.length = 0;
    this.notify();
  }
}

interface Datagram {
  data: Uint8Array;
  from: string;
  att?: Attachment;
  cred: Ucred;
}

const DGRAM_QLEN = 512; // net.unix.max_dgram_qlen
const DGRAM_RCVBUF = 212992; // net.core.rmem_default

export class UnixDgramSocket extends UnixBase {
  private peer: UnixDgramSocket | undefined;
  private readonly queue: Datagram[] = [];
  private queued = 0;
  private rcvCap = DGRAM_RCVBUF;
  private sndCap = DGRAM_RCVBUF;
  private rcvShut = false;
  private sndShut = false;
  private readonly blockedSenders = new Set<UnixDgramSocket>();
  private blockedOn: UnixDgramSocket | undefined;
  private blockedLen = 1;

  constructor(opts: UnixOptions = {}) {
    super(SockType.DGRAM, opts);
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

  static link(a: UnixDgramSocket, b: UnixDgramSocket): void {
    a.peer = b;
    b.peer = a;
    a.peerCredVal = b.cred;
    b.peerCredVal = a.cred;
  }

  listen(_backlog: number): void {
    throw sysErr(Errno.NOTSUP);
  }
  accept(): KernelSocket {
    throw sysErr(Errno.NOTSUP);
  }

  connect(addr: SockAddr): void {
    const target = this.ns.lookup(nsKeyOf(addr));
    if (!(target instanceof UnixDgramSocket)) throw sysErr(Errno.PROTOTYPE);
    this.peer = target;
  }
  finishConnect(): void {}
  disconnect(): void {
    this.peer = undefined;
  }

  private full(extra: number): boolean {
    return this.queue.length >= DGRAM_QLEN || (this.queue.length > 0 && this.queued + extra > this.rcvCap);
  }

  sendTo(iovs: Uint8Array[], flags: number, to?: SockAddr): number {
    return this.sendMsg(iovs, flags, to, undefined);
  }

  /** sendmsg: `att` and `cred` (else the socket's own) travel with the datagram (`att` dropped by the caller if this throws). */
  sendMsg(iovs: Uint8Array[], flags: number, to: SockAddr | undefined, att: Attachment | undefined, cred?: Ucred): number {
    if ((flags & Msg.OOB) !== 0) throw sysErr(Errno.NOTSUP);
    let target: UnixSocket;
    if (to !== undefined) {
      target = this.ns.lookup(nsKeyOf(to));
    } else {
      if (!this.peer) throw sysErr(Errno.NOTCONN);
      if (this.peer.released) {
        this.peer = undefined;
        throw sysErr(Errno.CONNREFUSED);
      }
      target = this.peer;
    }
    if (!(target instanceof UnixDgramSocket)) throw sysErr(Errno.PROTOTYPE);
    if (target.peer !== undefined && target.peer !== this) throw sysErr(Errno.PERM);
    if (this.sndShut || target.rcvShut) throw this.epipe(flags);
    const len = iovTotal(iovs);
    if (len > this.sndCap - 32) throw sysErr(Errno.MSGSIZE);
    if (target.full(len)) {
      this.blockedOn = target;
      this.blockedLen = len;
      target.blockedSenders.add(this);
      throw EAGAIN_ERROR;
    }
    if (target.mem && !target.mem.charge(len)) throw sysErr(Errno.NOBUFS, "kernel heap budget exhausted");
    this.blockedOn = undefined;
    target.queue.push({ data: gather(iovs), from: this.name ?? "", cred: cred ?? this.cred, ...(att ? { att } : {}) });
    target.queued += len;
    target.notify();
    return len;
  }

  recvFrom(iovs: Uint8Array[], flags: number): RecvResult {
    const r = this.recvMsg(iovs, flags);
    r.attachment?.discard();
    delete r.attachment;
    return r;
  }

  recvMsg(iovs: Uint8Array[], flags: number): RecvMsgResult {
    if ((flags & Msg.OOB) !== 0) throw sysErr(Errno.NOTSUP);
    const d = this.queue[0];
    if (!d) {
      const err = this.takeError();
      if (err) throw err;
      if (this.rcvShut) return { n: 0, truncated: false };
      throw EAGAIN_ERROR;
    }
    const n = scatter(d.data, iovs);
    if ((flags & Msg.PEEK) === 0) {
      this.queue.shift();
      this.queued -= d.data.byteLength;
      this.mem?.uncharge(d.data.byteLength);
      for (const s of this.blockedSenders) {
        s.blockedOn = undefined;
        s.notify();
      }
      this.blockedSenders.clear();
    }
    const truncated = n < d.data.byteLength;
    const r: RecvMsgResult = {
      n: (flags & Msg.TRUNC) !== 0 ? d.data.byteLength : n,
      from: { family: "unix", path: d.from },
      truncated,
      fullLength: d.data.byteLength,
    };
    if (d.att && (flags & Msg.PEEK) === 0) r.attachment = d.att;
    if (this.passCred) r.cred = d.cred;
    return r;
  }

  shutdown(how: number): void {
    if ((how & Shut.RD) !== 0) this.rcvShut = true;
    if ((how & Shut.WR) !== 0) this.sndShut = true;
    this.notify();
  }

  getpeername(): SockAddr {
    if (!this.peer) throw sysErr(Errno.NOTCONN);
    return { family: "unix", path: this.peer.name ?? "" };
  }

  override poll(): number {
    let r = 0;
    if (this.soError !== 0) r |= Ready.ERR;
    if (this.queue.length > 0) r |= Ready.IN;
    if (this.rcvShut) r |= Ready.IN | Ready.RDHUP;
    if (this.rcvShut && this.sndShut) r |= Ready.HUP;
    const target = this.blockedOn ?? this.peer;
    if (!target || target.released || !target.full(this.blockedOn ? this.blockedLen : 1)) r |= Ready.OUT;
    return r;
  }

  override release(): void {
    if (this.released) return;
    this.released = true;
    this.unbindName();
    for (const s of this.blockedSenders) {
      s.blockedOn = undefined;
      s.notify();
    }
    this.blockedSenders.clear();
    for (const d of this.queue.splice(0)) d.att?.discard();
    this.mem?.uncharge(this.queued);
    this.queued = 0;
  }
}

/** socketpair(AF_UNIX, type): two connected, unnamed sockets. */
export function unixSocketpair(type: SockType, opts: UnixOptions = {}): [UnixStreamSocket | UnixDgramSocket, UnixStreamSocket | UnixDgramSocket] {
  if (type === SockType.STREAM) {
    const a = new UnixStreamSocket(opts);
    const b = new UnixStreamSocket(opts);
    UnixStreamSocket.link(a, b);
    return [a, b];
  }
  const a = new UnixDgramSocket(opts);
  const b = new UnixDgramSocket(opts);
  UnixDgramSocket.link(a, b);
  return [a, b];
}
