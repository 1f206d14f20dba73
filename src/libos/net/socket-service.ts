/**
 * The socket service the syscall layer calls: socket(domain, type, protocol) and socketpair.
 * SOCK_NONBLOCK / SOCK_CLOEXEC are the caller's: it passes NONBLOCK as `flags` (FdFlags) and
 * keeps CLOEXEC in its fd table.
 */
import type { MemCharge } from "../ipc/byte-ring.ts";
import { Errno, sysErr } from "../syscall/errno.ts";
import { TcpSocket } from "./tcp.ts";
import { UdpSocket } from "./udp.ts";
import { UnixDgramSocket, UnixStreamSocket, defaultUnixNamespace, unixSocketpair, type UnixNamespace } from "./unix.ts";
import { Domain, IpProto, SockType, type KernelSocket, type Ucred } from "./types.ts";

export interface SocketServiceOptions {
  /** Namespace of unix socket names (one per kernel). */
  unixNs?: UnixNamespace;
  /** Memory budget of socket buffers (kernel heap). */
  mem?: MemCharge;
  /** FdFlags of the new description (NONBLOCK). */
  flags?: number;
  /** The creating process's credentials (socketpair: each end's SO_PEERCRED). */
  cred?: Ucred;
}

function checkType(domain: number, type: number, protocol: number): void {
  if (domain !== Domain.UNIX && domain !== Domain.INET && domain !== Domain.INET6) throw sysErr(Errno.AFNOSUPPORT);
  if (type !== SockType.STREAM && type !== SockType.DGRAM) throw sysErr(Errno.NOTSUP, "socket type not supported");
  if (domain === Domain.UNIX) {
    if (protocol !== 0) throw sysErr(Errno.PROTONOSUPPORT);
    return;
  }
  const want = type === SockType.STREAM ? IpProto.TCP : IpProto.UDP;
  if (protocol !== 0 && protocol !== want) throw sysErr(Errno.PROTONOSUPPORT);
}

/** socket(2). */
export function createSocket(domain: number, type: number, protocol: number, opts: SocketServiceOptions = {}): KernelSocket {
  checkType(domain, type, protocol);
  const flags = opts.flags ?? 0;
  if (domain === Domain.UNIX) {
    const uopts = { ns: opts.unixNs ?? defaultUnixNamespace, flags, ...(opts.mem ? { mem: opts.mem } : {}) };
    return type === SockType.STREAM ? new UnixStreamSocket(uopts) : new UnixDgramSocket(uopts);
  }
  const d = domain as Domain;
  if (type === SockType.STREAM) return new TcpSocket(d, { flags, ...(opts.mem ? { mem: opts.mem } : {}) });
  return new UdpSocket(d, flags, opts.mem);
}

/** socketpair(2): AF_UNIX only, as Linux (EOPNOTSUPP for inet). */
export function createSocketpair(domain: number, type: number, protocol: number, opts: SocketServiceOptions = {}): [KernelSocket, KernelSocket] {
  checkType(domain, type, protocol);
  if (domain !== Domain.UNIX) throw sysErr(Errno.NOTSUP);
  const uopts = { ns: opts.unixNs ?? defaultUnixNamespace, flags: opts.flags ?? 0, ...(opts.mem ? { mem: opts.mem } : {}), ...(opts.cred ? { cred: opts.cred } : {}) };
  return unixSocketpair(type as SockType, uopts);
}
