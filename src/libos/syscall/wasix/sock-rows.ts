/**
 * wasix_32v1 rows for BSD sockets, name resolution and epoll: what wasix-libc's socket(),
 * bind(), connect(), accept4(), sendto()/recvfrom(), get/setsockopt(), getaddrinfo() and
 * epoll_*() call. The kernel sockets are net/'s KernelSocket; waiting goes through blocking.ts
 * (sockets never wait themselves). poll()/select() reach sockets through poll_oneoff (wasi/poll.ts)
 * and send()/recv() without an address through preview 1's sock_send/sock_recv (wasi/sock.ts).
 */
import { A, R } from "../codecs.ts";
import { directRow, row, type Completion, type SyscallRow } from "../table.ts";
import { X, XR, readCString } from "./codecs.ts";
import { SX, SXR, readAddrPort, writeAddrIp, writeAddrPort, epollFromLinux, type AcceptResult, type RecvFromResult } from "./sock-codecs.ts";
import { Errno, SysError, sysErr } from "../errno.ts";
import { RiFlags } from "../abi.ts";
import { blockingIo } from "../blocking.ts";
import { FdFlags, Ready, type OpenFile } from "../../fs/types.ts";
import type { MemCharge } from "../../ipc/byte-ring.ts";
import { onLastRelease, releaseFile, retainFile } from "../../process/file-refs.ts";
import type { Thread } from "../../process/thread.ts";
import { SOCKET_RIGHTS } from "../../net/socket.ts";
import { heapCharge, HeapOwner } from "../../vm-charge.ts";
import { createSocketFile, findSocketFile, isPathAddr, removeSocketFile } from "../../net/unix-path.ts";
import type { Attachment, UnixDgramSocket, UnixStreamSocket } from "../../net/unix.ts";
import type { RecvMsgOut } from "../occlum/sock-rows.ts";
import {
  createSocket, createSocketpair, createEpoll, epollPark, EpollCtl, EpollFile, NOT_READY, type EventData,
  Domain, IpProto, IPV6_V6ONLY, Msg, SOL_SOCKET, SockOpt, TCP_NODELAY, type KernelSocket, type SockAddr, type Ucred,
} from "../../net/index.ts";
import { nowMs } from "../../sched/clock.ts";
import { sock, writeCred } from "./linux-sockopts.ts";
// The occlum rows reach every socket handler through this module (occlum/sock-rows.ts).
export { occlum_sock_getsockopt, occlum_sock_setsockopt } from "./linux-sockopts.ts";

type Maybe<T> = T | Promise<T>;

const SIFLAGS_DONT_WAIT = 1;
const ROFLAGS_TRUNCATED = 1; // preview 1's RECV_DATA_TRUNCATED bit, what the libc tests for MSG_TRUNC
const FDFLAGS_NONBLOCK = FdFlags.NONBLOCK;

function domainOf(af: number): number {
  switch (af) {
    case 1: return Domain.INET;
    case 2: return Domain.INET6;
    case 3: return Domain.UNIX;
    default: throw sysErr(Errno.AFNOSUPPORT);
  }
}

/** wasix-libc turns protocol 0 into TCP/UDP by type, for AF_UNIX too; there it means "the default". */
function protoFor(domain: number, proto: number): number {
  return domain === Domain.UNIX && (proto === IpProto.TCP || proto === IpProto.UDP) ? 0 : proto;
}

/**
 * The caller's credentials (SO_PEERCRED, SCM_CREDENTIALS): its pid; uid and gid 0, as the libc's
 * getuid/getgid report for every process (the LibOS has no users).
 */
function credOf(t: Thread): Ucred {
  return { pid: t.process.pid, uid: 0, gid: 0 };
}

function install(t: Thread, s: KernelSocket): number {
  try {
    return t.process.fds.insert(s, SOCKET_RIGHTS, SOCKET_RIGHTS);
  } catch (e) {
    void s.release();
    throw e;
  }
}

/** Socket rings are kernel heap (ENOBUFS past it). */
function memOpts(t: Thread): { mem?: MemCharge } {
  const mem = heapCharge(t.process.kernel.vm, HeapOwner.SOCKET);
  return mem ? { mem } : {};
}

/** WASIX socket types (stream, dgram, raw, seqpacket): anything else is Linux's EINVAL. */
function checkSockType(type: number): void {
  if (type < 1 || type > 4) throw sysErr(Errno.INVAL, "bad socket type");
}

function sock_open(t: Thread, af: number, type: number, proto: number): number {
  const d = domainOf(af);
  checkSockType(type);
  const s = createSocket(d, type, protoFor(d, proto), memOpts(t));
  s.cred = credOf(t);
  return install(t, s);
}

function sock_pair(t: Thread, af: number, type: number, proto: number): readonly [number, number] {
  const d = domainOf(af);
  checkSockType(type);
  const [a, b] = createSocketpair(d, type, protoFor(d, proto), { ...memOpts(t), cred: credOf(t) });
  const fa = install(t, a);
  try {
    return [fa, install(t, b)];
  } catch (e) {
    void t.process.fds.close(fa);
    throw e;
  }
}

function sock_bind(t: Thread, fd: number, addr: SockAddr): Maybe<void> {
  const s = sock(t, fd);
  if (s.domain === Domain.UNIX && isPathAddr(addr)) return bindPath(t, s, addr);
  return s.bind(addr);
}

/** A named AF_UNIX bind: the socket file first (EADDRINUSE if the path exists), then the name. */
async function bindPath(t: Thread, s: KernelSocket, addr: SockAddr & { family: "unix" }): Promise<void> {
  const { vfs } = t;
  const { cwd } = t.process;
  const keyed = await createSocketFile(vfs, cwd, addr, s.type);
  try {
    await s.bind(keyed);
  } catch (e) {
    await removeSocketFile(vfs, cwd, addr);
    throw e;
  }
}

/** A pathname AF_UNIX destination, resolved to its socket file (ENOENT if none). */
function resolveDest(t: Thread, s: KernelSocket, addr: SockAddr): Maybe<SockAddr> {
  return s.domain === Domain.UNIX && isPathAddr(addr) ? findSocketFile(t.vfs, t.process.cwd, addr) : addr;
}

function sock_listen(t: Thread, fd: number, backlog: number): Maybe<void> {
  const s = sock(t, fd);
  s.cred = credOf(t); // the listener's SO_PEERCRED and what its clients see: from listen()
  return s.listen(backlog);
}

/**
 * connect: EINPROGRESS from the socket means pending; a blocking caller waits for OUT, then
 * finishConnect. AF_UNSPEC (`addr` undefined, from sdk/libc/sockets.c) dissolves a datagram
 * socket's association, as Linux; stream sockets do not support it here (EOPNOTSUPP).
 */
function sock_connect(t: Thread, fd: number, addr: SockAddr | undefined): Maybe<void> {
  const s = sock(t, fd);
  if (addr === undefined) {
    if (!s.disconnect) throw sysErr(Errno.NOTSUP, "connect(AF_UNSPEC) on a stream socket");
    return s.disconnect();
  }
  s.cred = credOf(t); // what the accepted socket's SO_PEERCRED reports: the connecting process
  const dest = resolveDest(t, s, addr);
  return dest instanceof Promise ? dest.then((d) => connectTo(t, s, d)) : connectTo(t, s, dest);
}

function connectTo(t: Thread, s: KernelSocket, addr: SockAddr): Maybe<void> {
  const pending = (e: unknown): Maybe<void> => {
    if (!(e instanceof SysError) || e.errno !== Errno.INPROGRESS || (s.flags & FDFLAGS_NONBLOCK) !== 0) throw e;
    return blockingIo(t, s, { interest: Ready.OUT }, () => s.finishConnect());
  };
  let r: Maybe<void>;
  try {
    r = s.connect(addr);
  } catch (e) {
    return pending(e);
  }
  return r instanceof Promise ? r.catch(pending) : r;
}

function sock_accept_v2(t: Thread, fd: number, flags: number): Maybe<AcceptResult> {
  const s = sock(t, fd);
  if ((flags & ~FDFLAGS_NONBLOCK) !== 0) throw sysErr(Errno.INVAL);
  const done = (conn: KernelSocket): AcceptResult => {
    if ((flags & FDFLAGS_NONBLOCK) !== 0) conn.flags |= FDFLAGS_NONBLOCK;
    let peer: SockAddr;
    try {
      peer = conn.getpeername();
    } catch {
      peer = { family: "unix", path: "" };
    }
    return { fd: install(t, conn), peer };
  };
  const deadline = s.rcvTimeoutMs > 0 ? { deadlineMs: nowMs() + s.rcvTimeoutMs } : {};
  const r = blockingIo(t, s, { interest: Ready.IN, ...deadline }, () => s.accept());
  return r instanceof Promise ? r.then(done) : done(r);
}

function sock_addr_local(t: Thread, fd: number): SockAddr {
  return sock(t, fd).getsockname();
}

function sock_addr_peer(t: Thread, fd: number): SockAddr {
  return sock(t, fd).getpeername();
}

function sock_send_to(t: Thread, fd: number, iovs: Uint8Array[], siflags: number, addr: SockAddr): Maybe<number> {
  const s = sock(t, fd);
  const dest = resolveDest(t, s, addr);
  return dest instanceof Promise ? dest.then((d) => sendTo(t, s, iovs, siflags, d)) : sendTo(t, s, iovs, siflags, dest);
}

function sendTo(t: Thread, s: KernelSocket, iovs: Uint8Array[], siflags: number, to: SockAddr): Maybe<number> {
  const flags = (siflags & SIFLAGS_DONT_WAIT) !== 0 ? Msg.DONTWAIT : 0;
  // An unspecified address (tag 0 decodes as AFNOSUPPORT) never reaches here; connected sockets send via sock_send.
  const op = (): Maybe<number> => s.sendTo(iovs, flags, to);
  if (flags & Msg.DONTWAIT) return op();
  const deadline = s.sndTimeoutMs > 0 ? { deadlineMs: nowMs() + s.sndTimeoutMs } : {};
  return blockingIo(t, s, { interest: Ready.OUT, ...deadline }, op);
}

function sock_recv_from(t: Thread, fd: number, iovs: Uint8Array[], riflags: number): Maybe<RecvFromResult> {
  const s = sock(t, fd);
  let flags = 0;
  if (riflags & RiFlags.RECV_PEEK) flags |= Msg.PEEK;
  if (riflags & RiFlags.RECV_WAITALL) flags |= Msg.WAITALL;
  if (riflags & RiFlags.RECV_DONT_WAIT) flags |= Msg.DONTWAIT;
  const done = (r: { n: number; from?: SockAddr; truncated: boolean }): RecvFromResult =>
    ({ n: r.n, roflags: r.truncated ? ROFLAGS_TRUNCATED : 0, from: r.from });
  const op = () => s.recvFrom(iovs, flags);
  if (riflags & RiFlags.RECV_DONT_WAIT) {
    const r = op();
    return r instanceof Promise ? r.then(done) : done(r);
  }
  const deadline = s.rcvTimeoutMs > 0 ? { deadlineMs: nowMs() + s.rcvTimeoutMs } : {};
  const r = blockingIo(t, s, { interest: Ready.IN, ...deadline }, op);
  return r instanceof Promise ? r.then(done) : done(r);
}

/** WASIX sock_option → (level, optname) in Linux numbering, as net/ speaks it. */
const OPTS: Record<number, readonly [number, number]> = {
  1: [SOL_SOCKET, SockOpt.SO_REUSEPORT],
  2: [SOL_SOCKET, SockOpt.SO_REUSEADDR],
  3: [IpProto.TCP, TCP_NODELAY],
  5: [IpProto.IPV6, IPV6_V6ONLY],
  10: [SOL_SOCKET, SockOpt.SO_ACCEPTCONN],
  11: [SOL_SOCKET, SockOpt.SO_ERROR],
  12: [SOL_SOCKET, SockOpt.SO_KEEPALIVE],
  13: [SOL_SOCKET, SockOpt.SO_LINGER],
  15: [SOL_SOCKET, SockOpt.SO_RCVBUF],
  16: [SOL_SOCKET, SockOpt.SO_SNDBUF],
  19: [SOL_SOCKET, SockOpt.SO_RCVTIMEO],
  20: [SOL_SOCKET, SockOpt.SO_SNDTIMEO],
  25: [SOL_SOCKET, SockOpt.SO_TYPE],
  26: [SOL_SOCKET, SockOpt.SO_PROTOCOL],
};
/** Options Linux accepts that the kernel sockets have no use for (BROADCAST, DONT_ROUTE, OOB_INLINE). */
const IGNORED = new Set([4, 6, 14]);

function opt(o: number): readonly [number, number] {
  const m = OPTS[o];
  if (!m) throw sysErr(Errno.NOPROTOOPT);
  return m;
}

function numeric(v: unknown): number {
  if (typeof v === "number") return v;
  const l = v as { onoff: boolean; seconds: number };
  return l.onoff ? l.seconds * 1000 : 0;
}

function sock_set_opt_flag(t: Thread, fd: number, o: number, flag: number): Maybe<void> {
  const s = sock(t, fd);
  if (IGNORED.has(o)) return;
  const [level, name] = opt(o);
  return s.setsockopt(level, name, flag !== 0 ? 1 : 0);
}

function sock_get_opt_flag(t: Thread, fd: number, o: number): boolean {
  const s = sock(t, fd);
  if (IGNORED.has(o)) return false;
  const [level, name] = opt(o);
  return numeric(s.getsockopt(level, name)) !== 0;
}

function sock_set_opt_size(t: Thread, fd: number, o: number, size: bigint): Maybe<void> {
  const s = sock(t, fd);
  const [level, name] = opt(o);
  return s.setsockopt(level, name, Number(BigInt.asUintN(32, size)));
}

function sock_get_opt_size(t: Thread, fd: number, o: number): number {
  const s = sock(t, fd);
  const [level, name] = opt(o);
  return numeric(s.getsockopt(level, name));
}

function sock_set_opt_time(t: Thread, fd: number, o: number, ms: number): Maybe<void> {
  const s = sock(t, fd);
  const [level, name] = opt(o);
  if (name === SockOpt.SO_LINGER) return s.setsockopt(level, name, { onoff: ms > 0, seconds: Math.ceil(ms / 1000) });
  return s.setsockopt(level, name, ms);
}

function sock_get_opt_time(t: Thread, fd: number, o: number): number {
  const [level, name] = opt(o);
  return numeric(sock(t, fd).getsockopt(level, name));
}

function sock_status(t: Thread, fd: number): number {
  sock(t, fd);
  return 1; // OPENED: failures surface through SO_ERROR and the calls themselves
}

/** resolve: numeric addresses, "localhost", then the image's /etc/hosts. */
async function resolve(t: Thread, hostPtr: number, _port: number, addrsPtr: number, naddrs: number): Promise<number> {
  const m = t.process.memory!;
  const host = readCString(m, hostPtr).trim();
  const found = await lookup(t, host);
  if (found.length === 0) throw sysErr(Errno.NOENT, `resolve ${host}`);
  const n = Math.min(found.length, naddrs);
  for (let k = 0; k < n; k++) writeAddrIp(t.process.memory!, addrsPtr + 18 * k, found[k]!);
  return n;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

async function lookup(t: Thread, host: string): Promise<string[]> {
  if (IPV4.test(host) || (host.includes(":") && /^[0-9a-fA-F:.%]+$/.test(host))) return [host];
  const lower = host.toLowerCase();
  const out: string[] = [];
  for (const line of (await readHosts(t)).split("\n")) {
    const f = line.replace(/#.*/, "").trim().split(/\s+/);
    if (f.length >= 2 && f.slice(1).some((n) => n.toLowerCase() === lower) && !out.includes(f[0]!)) out.push(f[0]!);
  }
  if (out.length === 0 && (lower === "localhost" || lower === "localhost.localdomain")) out.push("127.0.0.1", "::1");
  return out;
}

async function readHosts(t: Thread): Promise<string> {
  let f;
  try {
    f = await t.process.vfs.openAbsolute("/etc/hosts", { oflags: 0, fdflags: 0, read: true, write: false, followSymlinks: true });
  } catch (e) {
    if (e instanceof SysError) return "";
    throw e;
  }
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(4096);
      const n = await f.read([buf]);
      if (n === 0 || total > 1 << 20) break;
      chunks.push(buf.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    await f.release();
  }
}

function epoll_create(t: Thread): number {
  const ep = createEpoll();
  return t.process.fds.insert(ep, SOCKET_RIGHTS, SOCKET_RIGHTS);
}

/**
 * Files each epoll has a release hook on: Linux drops an interest when its description is
 * released (programs close without EPOLL_CTL_DEL), so ADD subscribes once per (epoll, file) and
 * the last close of the file runs forgetFile. A hook outliving its epoll is harmless.
 */
const watched = new WeakMap<EpollFile, Set<OpenFile>>();

function epoll(t: Thread, epfd: number): EpollFile {
  const f = t.process.fds.get(epfd).file;
  if (!(f instanceof EpollFile)) throw sysErr(Errno.INVAL);
  return f;
}

/**
 * wasix-libc passes epoll_ctl's op unchanged from <sys/epoll.h> (Linux: ADD 1, DEL 2, MOD 3), not
 * api_wasix.h's enum (ADD 0, MOD 1, DEL 2); the libc is what guests run, so Linux numbering wins
 * and 0 is ADD as well.
 */
const CTL_OPS = [EpollCtl.ADD, EpollCtl.ADD, EpollCtl.DEL, EpollCtl.MOD] as const;

function epoll_ctl(t: Thread, epfd: number, op: number, fd: number, ev: { events: number; data: bigint } | undefined): void {
  const ep = epoll(t, epfd);
  const lop = CTL_OPS[op];
  if (lop === undefined) throw sysErr(Errno.INVAL);
  const file = t.process.fds.get(fd).file;
  ep.ctl(lop, fd, file, ev);
  if (lop === EpollCtl.ADD) {
    let files = watched.get(ep);
    if (!files) watched.set(ep, (files = new Set()));
    if (!files.has(file)) {
      files.add(file);
      onLastRelease(file, () => {
        ep.forgetFile(file);
        files.delete(file);
      });
    }
  }
}

const NO_TIMEOUT = 1n << 63n;

// The target of writeEvent while one collect() runs (synchronous: module state is safe).
let evDv: DataView;
let evPtr = 0;

/** Encode one epoll event into the guest's array (32 bytes each: events, pad, 192-bit data). */
function writeEvent(events: number, it: EventData, k: number): void {
  const dv = evDv;
  const o = evPtr + 32 * k;
  const w = it.words;
  dv.setUint32(o, epollFromLinux(events), true);
  dv.setUint32(o + 4, 0, true);
  dv.setUint32(o + 8, w[0]!, true);
  dv.setUint32(o + 12, w[1]!, true);
  dv.setUint32(o + 16, w[2]!, true);
  dv.setUint32(o + 20, w[3]!, true);
  dv.setUint32(o + 24, w[4]!, true);
  dv.setUint32(o + 28, w[5]!, true);
}

/** Collect up to `max` ready events of `ep` straight into the guest's array; returns the count. */
function collectEvents(t: Thread, ep: EpollFile, eventsPtr: number, max: number): number {
  const m = t.process.memory!;
  m.refresh(); // after a wait: the views of a memory that grew meanwhile are reloaded
  evDv = m.dv;
  evPtr = eventsPtr;
  return ep.collect(max, writeEvent);
}

/**
 * A direct row (dispatch.ts "Direct resumes"): a wake-up writes the events and the count into
 * guest memory and completes the call (`done`), with no reaction of dispatch's in between; an
 * interruption completes it with EINTR through `done.fail`. Events ready at once, or a zero
 * timeout, return as usual.
 */
export function epoll_wait(t: Thread, epfd: number, eventsPtr: number, maxevents: number, timeoutNs: bigint, done: Completion<number> | undefined): Maybe<number> {
  const ep = epoll(t, epfd);
  if (maxevents === 0 || maxevents > 1 << 16) throw sysErr(Errno.INVAL);
  t.process.memory!.check(eventsPtr, maxevents * 32, 8);
  const n = collectEvents(t, ep, eventsPtr, maxevents);
  if (n > 0 || timeoutNs === 0n) return n;
  // Rounded up to ms; a negative i64 (as u64, >= 2^63) waits forever. Number(): no BigInt division.
  const ns = BigInt.asUintN(64, timeoutNs);
  const ms = ns >= NO_TIMEOUT ? -1 : Math.ceil(Number(ns) / 1e6);
  if (done === undefined || done.fail === undefined) {
    return epollPark(ep, ms, t, (timedOut) => {
      const k = collectEvents(t, ep, eventsPtr, maxevents);
      return k === 0 && !timedOut ? NOT_READY : k;
    });
  }
  // Settles with the call's return value (a Promise of it on the slow path, which the import adopts).
  return epollPark<number | Promise<number>>(ep, ms, t, (timedOut) => {
    const k = collectEvents(t, ep, eventsPtr, maxevents);
    return k === 0 && !timedOut ? NOT_READY : done(k);
  }, done.fail) as Promise<number>;
}

// ---- sendmsg / recvmsg with SCM_RIGHTS, SCM_CREDENTIALS and MSG_NOSIGNAL: the handlers of the
// `occlum` rows in syscall/occlum/sock-rows.ts (loaded on their first call), for
// sdk/libc/sockets.c; its socket options are in linux-sockopts.ts ----

/** Linux's SCM_MAX_FD: most fds one message carries. */
const SCM_MAX_FD = 253;
const MSG_CTRUNC = 0x8;
const MSG_TRUNC = 0x20;
const MSG_CMSG_CLOEXEC = 0x40000000;

/** A file in flight: its description (one reference held) and the rights of the fd it left. */
interface InFlight {
  file: OpenFile;
  base: number;
  inheriting: number;
}

type UnixSock = UnixStreamSocket | UnixDgramSocket;
function isUnixMsg(s: KernelSocket): s is KernelSocket & UnixSock {
  return s.domain === Domain.UNIX && typeof (s as Partial<UnixSock>).sendMsg === "function";
}

/** Take a reference on each fd's description (EBADF for a closed one), as sendmsg does at once. */
function takeFiles(t: Thread, fdsPtr: number, nfds: number): Attachment | undefined {
  if (nfds === 0) return undefined;
  if (nfds > SCM_MAX_FD) throw sysErr(Errno.INVAL);
  const m = t.process.memory!;
  m.check(fdsPtr, 4 * nfds, 4);
  const entries = Array.from({ length: nfds }, (_, k) => t.process.fds.get(m.dv.getInt32(fdsPtr + 4 * k, true)));
  const items: InFlight[] = entries.map((e) => ({ file: e.file, base: e.base, inheriting: e.inheriting }));
  for (const it of items) retainFile(it.file);
  let done = false;
  return {
    items,
    discard: () => {
      if (done) return;
      done = true;
      for (const it of items) void releaseFile(it.file);
    },
  };
}

/** struct ucred {pid, uid, gid} (3 × i32) at `ptr`. */
function readCred(t: Thread, ptr: number): Ucred {
  const m = t.process.memory!;
  m.check(ptr, 12);
  return { pid: m.dv.getInt32(ptr, true), uid: m.dv.getInt32(ptr + 4, true), gid: m.dv.getInt32(ptr + 8, true) };
}

/**
 * SCM_CREDENTIALS a sender gives: checked as Linux's scm_check_creds for a privileged sender
 * (every process is uid 0 here, with the capabilities that lets it name any pid, uid and gid),
 * then the pid must exist (ESRCH), as __scm_send requires.
 */
function checkCred(t: Thread, c: Ucred): Ucred {
  if (c.pid !== t.process.pid && !t.process.kernel.processes.process(c.pid)) throw sysErr(Errno.SRCH, "SCM_CREDENTIALS: no such process");
  return c;
}

/**
 * sock_sendmsg(fd, iovs, flags, addr, fds, nfds) -> sent: sendmsg with Linux MSG_* flags
 * (MSG_NOSIGNAL: EPIPE without SIGPIPE; MSG_DONTWAIT), an optional __wasi_addr_port_t destination
 * (0 = none) and the SCM_RIGHTS fds (AF_UNIX only, EINVAL elsewhere, as Linux); sock_sendmsg_v2
 * adds the SCM_CREDENTIALS to send (`credPtr`, 0 = the sender's own; other sockets ignore them).
 */
export function occlum_sock_sendmsg(t: Thread, fd: number, iovs: Uint8Array[], flags: number, addrPtr: number, fdsPtr: number, nfds: number, credPtr = 0): Maybe<number> {
  const s = sock(t, fd);
  if (nfds > 0 && !isUnixMsg(s)) throw sysErr(Errno.INVAL, "SCM_RIGHTS on a non-unix socket");
  const addr = addrPtr !== 0 ? readAddrPort(t.process.memory!, addrPtr) : undefined;
  const cred = credPtr !== 0 ? checkCred(t, readCred(t, credPtr)) : undefined;
  const att = takeFiles(t, fdsPtr, nfds);
  const send = (to: SockAddr | undefined): Maybe<number> => {
    const op = (): Maybe<number> => ((att || cred) && isUnixMsg(s) ? s.sendMsg(iovs, flags, to, att, cred) : s.sendTo(iovs, flags, to));
    if ((flags & Msg.DONTWAIT) !== 0) return op();
    const deadline = s.sndTimeoutMs > 0 ? { deadlineMs: nowMs() + s.sndTimeoutMs } : {};
    return blockingIo(t, s, { interest: Ready.OUT, ...deadline }, op);
  };
  try {
    const dest = addr ? resolveDest(t, s, addr) : undefined;
    const r = dest instanceof Promise ? dest.then(send) : send(dest);
    if (r instanceof Promise) {
      return r.catch((e: unknown) => {
        att?.discard();
        throw e;
      });
    }
    return r;
  } catch (e) {
    att?.discard();
    throw e;
  }
}

/** Install received files as new fds (up to `max`); the rest are closed and MSG_CTRUNC is set. */
function installFiles(t: Thread, att: Attachment | undefined, fdsPtr: number, max: number, cloexec: boolean): { nfds: number; ctrunc: boolean } {
  if (!att) return { nfds: 0, ctrunc: false };
  const items = att.items as InFlight[];
  const m = t.process.memory!;
  let nfds = 0;
  let ctrunc = false;
  for (const it of items) {
    if (nfds < max && !ctrunc) {
      try {
        const nfd = t.process.fds.insert(it.file, it.base, it.inheriting, { cloexec });
        m.dv.setInt32(fdsPtr + 4 * nfds++, nfd, true);
      } catch {
        ctrunc = true; // EMFILE: Linux stops installing and reports MSG_CTRUNC
      }
    } else {
      ctrunc = true;
    }
    void releaseFile(it.file); // the in-flight reference
  }
  return { nfds, ctrunc };
}

/**
 * sock_recvmsg(fd, iovs, flags, fds, max_fds, addr) -> (bytes, nfds, msg_flags): recvmsg with the
 * SCM_RIGHTS fds installed in the caller's table and written at `fds` (at most max_fds; the libc
 * wrapper builds the cmsghdr), the sender's address at `addr` (0 = not wanted).
 */
export function occlum_sock_recvmsg(t: Thread, fd: number, iovs: Uint8Array[], flags: number, fdsPtr: number, maxFds: number, addrPtr: number, credPtr = 0): Maybe<RecvMsgOut> {
  const s = sock(t, fd);
  if (maxFds > 0) t.process.memory!.check(fdsPtr, 4 * maxFds, 4);
  if (credPtr !== 0) t.process.memory!.check(credPtr, 12);
  const rflags = flags & (Msg.PEEK | Msg.WAITALL | Msg.TRUNC | Msg.OOB);
  const op = () => (isUnixMsg(s) ? s.recvMsg(iovs, rflags) : s.recvFrom(iovs, rflags));
  const done = (r: { n: number; truncated: boolean; from?: SockAddr; attachment?: Attachment; cred?: Ucred }): RecvMsgOut => {
    const got = installFiles(t, r.attachment, fdsPtr, maxFds, (flags & MSG_CMSG_CLOEXEC) !== 0);
    if (addrPtr !== 0) writeAddrPort(t.process.memory!, addrPtr, r.from ?? { family: "unix", path: "" });
    const hasCred = credPtr !== 0 && r.cred !== undefined;
    if (hasCred) writeCred(t, credPtr, r.cred!);
    return { n: r.n, nfds: got.nfds, msgFlags: (r.truncated ? MSG_TRUNC : 0) | (got.ctrunc ? MSG_CTRUNC : 0), hasCred };
  };
  let r;
  if ((flags & Msg.DONTWAIT) !== 0) {
    r = op();
  } else {
    const deadline = s.rcvTimeoutMs > 0 ? { deadlineMs: nowMs() + s.rcvTimeoutMs } : {};
    r = blockingIo(t, s, { interest: Ready.IN, ...deadline }, op);
  }
  return r instanceof Promise ? r.then(done) : done(r);
}

const B = { blocking: true } as const;

export const sockRows: readonly SyscallRow[] = [
  row("sock_open", [X.u32, X.u32, X.u32], XR.u32, sock_open, { note: "AF_INET/INET6 over host TCP/UDP, AF_UNIX in-kernel; SOCK_NONBLOCK/CLOEXEC come as fd flag calls" }),
  row("sock_pair", [X.u32, X.u32, X.u32], XR.fdPair, sock_pair, { note: "AF_UNIX only (EOPNOTSUPP otherwise), as Linux" }),
  row("sock_bind", [A.fd, SX.addrPort], R.none, sock_bind, B),
  row("sock_listen", [A.fd, X.u32], R.none, sock_listen, B),
  row("sock_connect", [A.fd, SX.connectAddr], R.none, sock_connect, { ...B, note: "blocking or EINPROGRESS on O_NONBLOCK (then poll for POLLOUT and SO_ERROR)" }),
  row("sock_accept_v2", [A.fd, A.fdflags], SXR.accept, sock_accept_v2, B),
  row("sock_addr_local", [A.fd], SXR.addrPort, sock_addr_local),
  row("sock_addr_peer", [A.fd], SXR.addrPort, sock_addr_peer),
  row("sock_send_to", [A.fd, A.iovecs, X.u32, SX.addrPort], XR.u32, sock_send_to, B),
  row("sock_recv_from", [A.fd, A.iovecs, X.u32], SXR.recvFrom, sock_recv_from, B),
  row("sock_status", [A.fd], SXR.u8, sock_status, { support: "partial", note: "always OPENED" }),
  row("sock_set_opt_flag", [A.fd, X.u32, X.u32], R.none, sock_set_opt_flag, B),
  row("sock_get_opt_flag", [A.fd, X.u32], SXR.bool, sock_get_opt_flag),
  row("sock_set_opt_size", [A.fd, X.u32, A.u64], R.none, sock_set_opt_size, B),
  row("sock_get_opt_size", [A.fd, X.u32], SXR.u64, sock_get_opt_size),
  row("sock_set_opt_time", [A.fd, X.u32, SX.optionTimeMs], R.none, sock_set_opt_time, B),
  row("sock_get_opt_time", [A.fd, X.u32], SXR.optionTimeMs, sock_get_opt_time),
  row("resolve", [X.u32, X.u32, X.u32, X.u32], XR.u32, resolve, { ...B, support: "partial", note: "numeric addresses, the image's /etc/hosts, localhost; no host resolver" }),
  row("epoll_create", [], XR.u32, epoll_create),
  row("epoll_ctl", [A.fd, X.u32, A.fd, SX.epollEvent], R.none, epoll_ctl),
  directRow("epoll_wait", [A.fd, X.u32, X.u32, A.u64], XR.u32, epoll_wait, { note: "level and edge triggered, EPOLLONESHOT; timeout in ns" }),
];
