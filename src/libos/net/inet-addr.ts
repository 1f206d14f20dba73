/**
 * Internet addresses between the kernel's SockAddr union and Node's host sockets: family checks
 * (as Linux's inet/inet6 connect and bind), IPv4-mapped addresses on dual-stack IPv6 sockets,
 * and host error → errno.
 */
import { Errno, SysError, sysErr } from "../syscall/errno.ts";
import { errnoOf } from "../syscall/errno-map.ts";
import { Domain, type SockAddr } from "./types.ts";

// node:net at the first use, not at start-up (it loads Node's stream modules; see tcp.ts).
const isIPv4 = (a: string): boolean => process.getBuiltinModule("node:net").isIPv4(a);
const isIPv6 = (a: string): boolean => process.getBuiltinModule("node:net").isIPv6(a);

/**
 * The host address to use for `addr` on a socket of `domain` (EAFNOSUPPORT / EINVAL otherwise).
 * `strict` (bind, TCP connect): an IPv6 socket takes only sockaddr_in6, whose length Linux
 * checks first (EINVAL for a sockaddr_in); UDP's connect and sendto accept IPv4 peers.
 */
export function hostAddr(domain: Domain, addr: SockAddr, v6only: boolean, strict = false): { host: string; port: number } {
  if (domain === Domain.INET) {
    if (addr.family !== "inet") throw sysErr(Errno.AFNOSUPPORT);
    if (!isIPv4(addr.addr)) throw sysErr(Errno.INVAL, "bad IPv4 address");
    return { host: addr.addr, port: addr.port };
  }
  if (addr.family === "inet6") {
    if (!isIPv6(addr.addr)) throw sysErr(Errno.INVAL, "bad IPv6 address");
    return { host: addr.addr, port: addr.port };
  }
  if (strict && addr.family === "inet") throw sysErr(Errno.INVAL, "sockaddr_in on an IPv6 socket");
  // A dual-stack IPv6 socket reaches IPv4 peers through mapped addresses.
  if (addr.family === "inet" && !v6only && isIPv4(addr.addr)) return { host: "::ffff:" + addr.addr, port: addr.port };
  throw sysErr(Errno.AFNOSUPPORT);
}

/**
 * Whether binding `addr` makes an IPv6 socket v6-only: Linux's inet6_bind sets IPV6_V6ONLY for
 * any address but the wildcard and IPv4-mapped ones (such a socket can never see IPv4 peers).
 */
export function bindsV6Only(domain: Domain, addr: SockAddr): boolean {
  if (domain !== Domain.INET6 || addr.family !== "inet6") return false;
  return !/^(::|0:0:0:0:0:0:0:0)$/.test(addr.addr) && !/^::ffff:/i.test(addr.addr);
}

/** The wildcard address of a domain. */
export function anyAddr(domain: Domain): SockAddr {
  return domain === Domain.INET6 ? { family: "inet6", addr: "::", port: 0 } : { family: "inet", addr: "0.0.0.0", port: 0 };
}

/** A SockAddr for a host address seen on a socket of `domain`. */
export function sockAddrOf(domain: Domain, host: string | undefined, port: number | undefined): SockAddr {
  if (domain === Domain.INET6) {
    let a = host ?? "::";
    if (isIPv4(a)) a = "::ffff:" + a;
    return { family: "inet6", addr: a, port: port ?? 0 };
  }
  let a = host ?? "0.0.0.0";
  if (a.startsWith("::ffff:")) a = a.slice(7);
  return { family: "inet", addr: a, port: port ?? 0 };
}

/** The errno of a host error (Node `err.code`), EIO when unknown. */
export function hostErrno(e: unknown): Errno {
  return errnoOf(e) ?? Errno.IO;
}

export function hostError(e: unknown): SysError {
  if (e instanceof SysError) return e;
  return sysErr(hostErrno(e), (e as Error | undefined)?.message);
}
