/**
 * Socket options in Linux numbering, for what WASIX's sock_set_opt_* / sock_get_opt_* cannot name:
 * the handlers of the `occlum` rows sock_setsockopt / sock_getsockopt (syscall/occlum/sock-rows.ts;
 * sdk/libc/sockets.c's setsockopt/getsockopt wrappers call them). The options' semantics live in
 * net/socket-base.ts; this is the guest ABI: ints, lengths, credentials.
 */
import { Errno, sysErr } from "../errno.ts";
import type { Thread } from "../../process/thread.ts";
import {
  isKernelSocket, IpOpt, IpProto, Ipv6Opt, SOL_SOCKET, SockOpt, TcpOpt, type KernelSocket, type Ucred,
} from "../../net/index.ts";

/** The kernel socket behind a guest fd (ENOTSOCK for any other file). */
export function sock(t: Thread, fd: number): KernelSocket {
  const f = t.process.fds.get(fd).file;
  if (!isKernelSocket(f)) throw sysErr(Errno.NOTSOCK);
  return f;
}

/** struct ucred (pid, uid, gid), the first `len` bytes of it, into guest memory. */
export function writeCred(t: Thread, ptr: number, c: Ucred, len = 12): void {
  const m = t.process.memory!;
  m.refresh();
  m.check(ptr, len);
  const words = [c.pid, c.uid, c.gid];
  for (let k = 0; k < len / 4; k++) m.dv.setInt32(ptr + 4 * k, words[k]!, true);
}

/** Linux SOL_SOCKET options the WASIX option enum lacks (sock_getsockopt / sock_setsockopt). */
const SO_PASSCRED = 16;
const SO_PEERCRED = 17;

/**
 * sock_setsockopt(fd, level, name, val, len): Linux numbering, for the options WASIX's
 * sock_set_opt_* cannot name: the ints of LINUX_INTS and SOL_SOCKET SO_PASSCRED (EINVAL when
 * shorter than an int, except at IPPROTO_IP, whose options Linux also takes as one byte).
 */
export function occlum_sock_setsockopt(t: Thread, fd: number, level: number, name: number, valPtr: number, len: number): void {
  const s = sock(t, fd);
  const int = isLinuxInt(level, name);
  if (!int && (level !== SOL_SOCKET || name !== SO_PASSCRED)) throw sysErr(Errno.NOPROTOOPT);
  const byte = level === IpProto.IP && len >= 1 && len < 4;
  if (len < 4 && !byte) throw sysErr(Errno.INVAL);
  const m = t.process.memory!;
  m.check(valPtr, byte ? 1 : 4);
  const v = byte ? m.u8[valPtr]! : m.dv.getInt32(valPtr, true);
  if (int) s.setsockopt(level, name, v);
  else s.passCred = v !== 0;
}

/**
 * SOL_SOCKET ints the libc's getsockopt gets wrong (it reports SO_ERROR and SO_PROTOCOL as 0) or
 * cannot name (SO_DOMAIN): read here in Linux numbering. SO_ERROR's value is an errno in the
 * guest's numbering (the kernel's Errno, as the libc's errno.h).
 */
const INT_OPTS = new Set<number>([SockOpt.SO_ERROR, SockOpt.SO_PROTOCOL, SockOpt.SO_DOMAIN]);
/**
 * Int options WASIX cannot name, set and read in net/socket-base.ts: TCP_CORK, TCP's keepalive
 * tuning, user timeout, deferred accept and quick-ack mode; IP_TOS/IP_TTL; IPV6_UNICAST_HOPS/TCLASS; SO_PRIORITY,
 * SO_RCVLOWAT and SO_SNDLOWAT. Keyed by level * 256 + name.
 */
const LINUX_INTS = new Set<number>([
  ...[TcpOpt.CORK, TcpOpt.KEEPIDLE, TcpOpt.KEEPINTVL, TcpOpt.KEEPCNT, TcpOpt.USER_TIMEOUT, TcpOpt.DEFER_ACCEPT, TcpOpt.QUICKACK].map((n) => IpProto.TCP * 256 + n),
  ...[IpOpt.TOS, IpOpt.TTL].map((n) => IpProto.IP * 256 + n),
  ...[Ipv6Opt.UNICAST_HOPS, Ipv6Opt.TCLASS].map((n) => IpProto.IPV6 * 256 + n),
  ...[SockOpt.SO_PRIORITY, SockOpt.SO_RCVLOWAT, SockOpt.SO_SNDLOWAT].map((n) => SOL_SOCKET * 256 + n),
]);
const isLinuxInt = (level: number, name: number): boolean => name < 256 && LINUX_INTS.has(level * 256 + name);

/**
 * sock_getsockopt(fd, level, name, val, len_ptr): SO_PASSCRED (an int) and SO_PEERCRED (struct
 * ucred), truncated to *len_ptr as Linux does, which gets the length written; SO_ERROR,
 * SO_PROTOCOL and SO_DOMAIN (ints).
 */
export function occlum_sock_getsockopt(t: Thread, fd: number, level: number, name: number, valPtr: number, lenPtr: number): void {
  const s = sock(t, fd);
  if ((level === SOL_SOCKET && INT_OPTS.has(name)) || isLinuxInt(level, name)) {
    const m = t.process.memory!;
    m.check(lenPtr, 4);
    const want = m.dv.getInt32(lenPtr, true);
    if (want < 0) throw sysErr(Errno.INVAL);
    const v = s.getsockopt(level, name) as number;
    // IPv4's ip_getsockopt hands a byte to a shorter buffer (its values fit one); others copy bytes.
    const len = level === IpProto.IP && want > 0 && want < 4 && v >= 0 && v <= 255 ? 1 : Math.min(want, 4);
    if (len > 0) {
      m.check(valPtr, len);
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, v, true);
      m.u8.set(b.subarray(0, len), valPtr);
    }
    m.dv.setInt32(lenPtr, len, true);
    return;
  }
  if (level !== SOL_SOCKET || (name !== SO_PASSCRED && name !== SO_PEERCRED)) throw sysErr(Errno.NOPROTOOPT);
  const m = t.process.memory!;
  m.check(lenPtr, 4);
  const want = m.dv.getInt32(lenPtr, true);
  if (want < 0) throw sysErr(Errno.INVAL);
  const full = name === SO_PEERCRED ? 12 : 4;
  const len = Math.min(want, full) & ~3; // whole fields (Linux copies bytes; ints are all we hand out)
  if (name === SO_PEERCRED) writeCred(t, valPtr, s.peerCred(), len);
  else if (len >= 4) {
    m.check(valPtr, 4);
    m.dv.setInt32(valPtr, +s.passCred, true);
  }
  m.dv.setInt32(lenPtr, len, true);
}
