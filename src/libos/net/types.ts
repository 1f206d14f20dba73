/**
 * The kernel socket service: constants in Linux numbering (the syscall layer maps WASIX's own
 * enums onto them), the address union, and KernelSocket, which extends socket.ts's SocketFile
 * with what BSD sockets need beyond WASI preview 1.
 *
 * Waiting follows the OpenFile rule: no method waits for readiness. Would-block is EAGAIN_ERROR
 * (the caller waits on `waitQueue`, interest IN or OUT, and retries), except connect, which
 * throws EINPROGRESS when the connection cannot complete at once: a blocking caller then waits
 * through `finishConnect()` (EAGAIN while pending, the SO_ERROR result otherwise). Methods that
 * talk to the host may return a Promise (bind and listen of host sockets, a UDP send that must
 * first bind).
 */
import type { WaitQueue } from "../sched/wait-queue.ts";
import type { SocketFile } from "./socket.ts";

type Maybe<T> = T | Promise<T>;

export const Domain = { UNIX: 1, INET: 2, INET6: 10 } as const;
export type Domain = (typeof Domain)[keyof typeof Domain];
export const SockType = { STREAM: 1, DGRAM: 2 } as const;
export type SockType = (typeof SockType)[keyof typeof SockType];
export const IpProto = { IP: 0, TCP: 6, UDP: 17, IPV6: 41 } as const;

/** send/recv flags (Linux MSG_*). DONTWAIT only tells the caller not to wait. */
export const Msg = {
  OOB: 0x1, PEEK: 0x2, TRUNC: 0x20, DONTWAIT: 0x40, WAITALL: 0x100, NOSIGNAL: 0x4000,
} as const;

export const Shut = { RD: 1, WR: 2, RDWR: 3 } as const; // = WASI SdFlags bits

export const SOL_SOCKET = 1;
export const SockOpt = {
  SO_REUSEADDR: 2, SO_TYPE: 3, SO_ERROR: 4, SO_SNDBUF: 7, SO_RCVBUF: 8, SO_KEEPALIVE: 9,
  SO_PRIORITY: 12, SO_LINGER: 13, SO_REUSEPORT: 15, SO_RCVLOWAT: 18, SO_SNDLOWAT: 19, SO_RCVTIMEO: 20, SO_SNDTIMEO: 21,
  SO_ACCEPTCONN: 30, SO_PROTOCOL: 38, SO_DOMAIN: 39,
} as const;
export const TCP_NODELAY = 1;
/** IPPROTO_TCP options beyond TCP_NODELAY (Linux numbering). */
export const TcpOpt = { CORK: 3, KEEPIDLE: 4, KEEPINTVL: 5, KEEPCNT: 6, DEFER_ACCEPT: 9, QUICKACK: 12, USER_TIMEOUT: 18 } as const;
/** IPPROTO_IP options (Linux numbering). */
export const IpOpt = { TOS: 1, TTL: 2 } as const;
export const IPV6_V6ONLY = 26;
/** IPPROTO_IPV6 options beyond IPV6_V6ONLY (Linux numbering). */
export const Ipv6Opt = { UNICAST_HOPS: 16, TCLASS: 67 } as const;

/**
 * Process credentials as SO_PEERCRED / SCM_CREDENTIALS carry them. The LibOS has no users: every
 * process is uid 0 / gid 0 (what the libc's getuid/getgid report).
 */
export interface Ucred {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}
/** Credentials never set (Linux reports pid 0 and the overflow ids). */
export const NO_CRED: Ucred = Object.freeze({ pid: 0, uid: 65534, gid: 65534 });

export interface Linger {
  onoff: boolean;
  seconds: number;
}
/** An option value: an int, a linger pair, or a timeout in ms (SO_RCVTIMEO/SNDTIMEO; 0 = none). */
export type OptValue = number | Linger;

/** Socket addresses; the syscall layer encodes them to sockaddr. */
export type SockAddr =
  | { family: "inet"; addr: string; port: number }
  | { family: "inet6"; addr: string; port: number; flowinfo?: number; scopeId?: number }
  /**
   * path "" = unnamed; a leading "\0" = Linux abstract name. `key`: the socket file's identity
   * in the kernel's unix namespace, set by the syscall layer for pathnames (unix-path.ts).
   */
  | { family: "unix"; path: string; key?: string };

export interface RecvResult {
  n: number;
  /** Sender of a datagram (absent for streams). */
  from?: SockAddr;
  /** The datagram was longer than the buffers (MSG_TRUNC in msg_flags). */
  truncated: boolean;
  /** With MSG_TRUNC in the flags: the datagram's full length (recv returns it). */
  fullLength?: number;
}

export interface KernelSocket extends SocketFile {
  readonly domain: Domain;
  readonly type: SockType;
  readonly protocol: number;
  /** Always present on sockets: notified whenever readiness may have changed. */
  readonly waitQueue: WaitQueue;
  /** Called before EPIPE reaches the caller unless MSG_NOSIGNAL: the kernel raises SIGPIPE. */
  onSigpipe: (() => void) | undefined;
  /** SO_RCVTIMEO / SO_SNDTIMEO in ms (0 = none): deadlines for the blocking helper. */
  readonly rcvTimeoutMs: number;
  readonly sndTimeoutMs: number;
  /** Credentials of the process that created, connected or listened (the syscall layer sets them). */
  cred: Ucred;
  /** SO_PASSCRED. */
  passCred: boolean;
  /** SO_PEERCRED. */
  peerCred(): Ucred;

  bind(addr: SockAddr): Maybe<void>;
  listen(backlog: number): Maybe<void>;
  /** Start connecting: resolves when connected at once, throws EINPROGRESS when pending. */
  connect(addr: SockAddr): Maybe<void>;
  /** After EINPROGRESS: EAGAIN while pending, then void or the connection's error. */
  finishConnect(): Maybe<void>;
  /** connect(AF_UNSPEC) on a datagram socket: forget the peer (absent: EOPNOTSUPP here). */
  disconnect?(): void;
  /** accept4 without flags: a connected socket (EAGAIN_ERROR when none is pending). */
  accept(): Maybe<KernelSocket>;
  sendTo(iovs: Uint8Array[], flags: number, to?: SockAddr): Maybe<number>;
  recvFrom(iovs: Uint8Array[], flags: number): Maybe<RecvResult>;
  getsockname(): SockAddr;
  getpeername(): SockAddr;
  setsockopt(level: number, name: number, value: OptValue): Maybe<void>;
  getsockopt(level: number, name: number): OptValue;
}

export function isKernelSocket(f: unknown): f is KernelSocket {
  return typeof f === "object" && f !== null && (f as Partial<KernelSocket>).isSocket === true &&
    typeof (f as Partial<KernelSocket>).recvFrom === "function";
}

export function sameAddr(a: SockAddr, b: SockAddr): boolean {
  if (a.family !== b.family) return false;
  if (a.family === "unix") return a.path === (b as { path: string }).path;
  const bb = b as { addr: string; port: number };
  return a.port === bb.port && a.addr === bb.addr;
}
