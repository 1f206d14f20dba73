/**
 * Codecs for the wasix_32v1 socket layouts (api_wasix.h of Debian's wasix-libc):
 *   __wasi_addr_port_t (110 bytes, align 2): tag u8 @0 (0 unspec, 1 inet4, 2 inet6, 3 unix), union @2:
 *     inet4: port u16 @2 (host order, little-endian), 4 address bytes @4 (network order)
 *     inet6: port u16 @2, 16 address bytes @4 (network order: the libc memcpy's s6_addr),
 *            flow_info hi/lo u16 @20/@22, scope_id hi/lo u16 @24/@26
 *     unix:  108 path bytes @2 (NUL-padded; a leading NUL is an abstract name)
 *   __wasi_addr_ip_t (18 bytes): tag u8 @0, 4 or 16 address bytes @2 (resolve's output)
 *   __wasi_epoll_event_t (32 bytes): events u32 @0, data @8 (24 opaque bytes: ptr, fd, data1, data2)
 *   __wasi_option_timestamp_t (16 bytes): tag u8 @0, u64 ns @8
 */
import { Errno, sysErr } from "../errno.ts";
import type { ArgCodec, RetCodec } from "../codecs.ts";
import type { GuestMemory } from "../memory.ts";
import type { SockAddr } from "../../net/types.ts";
import { Epoll, type EpollEvent } from "../../net/epoll.ts";

const u32 = (v: number | bigint): number => (v as number) >>> 0;

export const SockLayout = {
  addrPort: { size: 110, align: 2 },
  addrIp: { size: 18, align: 2 },
  epollEvent: { size: 32, align: 8 },
  optionTimestamp: { size: 16, align: 8 },
} as const;

export const AddrFamily = { UNSPEC: 0, INET4: 1, INET6: 2, UNIX: 3 } as const;

function ip6Text(b: Uint8Array): string {
  const parts: string[] = [];
  for (let k = 0; k < 16; k += 2) parts.push(((b[k]! << 8) | b[k + 1]!).toString(16));
  // Compress the longest zero run (RFC 5952), so the host APIs and tests see the usual form.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (parts[i] !== "0") { i++; continue; }
    let j = i;
    while (j < 8 && parts[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return parts.join(":");
  return `${parts.slice(0, best).join(":")}::${parts.slice(best + bestLen).join(":")}`;
}

/** IPv6 text (with "::" and an optional embedded IPv4 tail) to 16 bytes. */
export function ip6Bytes(addr: string): Uint8Array {
  const out = new Uint8Array(16);
  let text = addr.replace(/%.*$/, "");
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  let tail: number[] = [];
  if (v4) {
    tail = [(+v4[1]! << 8) | +v4[2]!, (+v4[3]! << 8) | +v4[4]!];
    text = text.slice(0, v4.index).replace(/:$/, ":0").replace(/::0$/, "::");
    if (text.endsWith(":0") && !text.endsWith("::0")) text = text.slice(0, -2);
  }
  const [head, rest] = text.includes("::") ? text.split("::") as [string, string] : [text, undefined];
  const h = head === "" ? [] : head!.split(":").map((x) => parseInt(x, 16));
  const r = rest === undefined || rest === "" ? [] : rest.split(":").map((x) => parseInt(x, 16));
  const groups = rest === undefined ? [...h, ...tail] : [...h, ...new Array<number>(8 - h.length - r.length - tail.length).fill(0), ...r, ...tail];
  for (let k = 0; k < 8; k++) {
    const g = groups[k] ?? 0;
    out[2 * k] = g >> 8;
    out[2 * k + 1] = g & 0xff;
  }
  return out;
}

export function readAddrPort(m: GuestMemory, ptr: number): SockAddr {
  m.check(ptr, SockLayout.addrPort.size, SockLayout.addrPort.align);
  const dv = m.dv;
  const tag = dv.getUint8(ptr);
  const port = dv.getUint16(ptr + 2, true);
  switch (tag) {
    case AddrFamily.INET4:
      return { family: "inet", addr: Array.from(m.u8.subarray(ptr + 4, ptr + 8)).join("."), port };
    case AddrFamily.INET6: {
      const flowinfo = (dv.getUint16(ptr + 20, true) << 16 | dv.getUint16(ptr + 22, true)) >>> 0;
      const scopeId = (dv.getUint16(ptr + 24, true) << 16 | dv.getUint16(ptr + 26, true)) >>> 0;
      return { family: "inet6", addr: ip6Text(m.u8.slice(ptr + 4, ptr + 20)), port, flowinfo, scopeId };
    }
    case AddrFamily.UNIX: {
      const raw = m.u8.slice(ptr + 2, ptr + 110);
      // Abstract names keep their leading NUL; pathnames end at the first NUL.
      const end = raw[0] === 0 ? raw.lastIndexOf(0) === 0 ? 1 : trimEnd(raw) : raw.indexOf(0) < 0 ? raw.length : raw.indexOf(0);
      return { family: "unix", path: new TextDecoder().decode(raw.subarray(0, end)) };
    }
    default:
      throw sysErr(Errno.AFNOSUPPORT);
  }
}

function trimEnd(raw: Uint8Array): number {
  let n = raw.length;
  while (n > 1 && raw[n - 1] === 0) n--;
  return n;
}

export function writeAddrPort(m: GuestMemory, ptr: number, a: SockAddr): void {
  m.check(ptr, SockLayout.addrPort.size, SockLayout.addrPort.align);
  m.u8.fill(0, ptr, ptr + SockLayout.addrPort.size);
  const dv = m.dv;
  if (a.family === "inet") {
    dv.setUint8(ptr, AddrFamily.INET4);
    dv.setUint16(ptr + 2, a.port, true);
    const parts = a.addr.split(".").map(Number);
    for (let k = 0; k < 4; k++) m.u8[ptr + 4 + k] = parts[k] ?? 0;
  } else if (a.family === "inet6") {
    dv.setUint8(ptr, AddrFamily.INET6);
    dv.setUint16(ptr + 2, a.port, true);
    m.u8.set(ip6Bytes(a.addr), ptr + 4);
    const fl = a.flowinfo ?? 0, sc = a.scopeId ?? 0;
    dv.setUint16(ptr + 20, fl >>> 16, true);
    dv.setUint16(ptr + 22, fl & 0xffff, true);
    dv.setUint16(ptr + 24, sc >>> 16, true);
    dv.setUint16(ptr + 26, sc & 0xffff, true);
  } else {
    dv.setUint8(ptr, AddrFamily.UNIX);
    const b = new TextEncoder().encode(a.path).subarray(0, 107);
    m.u8.set(b, ptr + 2);
  }
}

/** resolve's output: one __wasi_addr_ip_t. */
export function writeAddrIp(m: GuestMemory, ptr: number, addr: string): void {
  m.check(ptr, SockLayout.addrIp.size, SockLayout.addrIp.align);
  m.u8.fill(0, ptr, ptr + SockLayout.addrIp.size);
  if (addr.includes(":")) {
    m.u8[ptr] = AddrFamily.INET6;
    m.u8.set(ip6Bytes(addr), ptr + 2);
  } else {
    m.u8[ptr] = AddrFamily.INET4;
    addr.split(".").forEach((p, k) => (m.u8[ptr + 2 + k] = Number(p)));
  }
}

const showAddr = (a: SockAddr | undefined): string =>
  a === undefined ? "?" : a.family === "unix" ? JSON.stringify(a.path) : a.family === "inet6" ? `[${a.addr}]:${a.port}` : `${a.addr}:${a.port}`;

/** WASIX epoll bits ↔ Linux epoll bits (net/epoll.ts speaks Linux). */
const EPOLL_MAP: readonly (readonly [number, number])[] = [
  [1 << 0, Epoll.IN], [1 << 1, Epoll.OUT], [1 << 2, Epoll.RDHUP], [1 << 3, Epoll.PRI],
  [1 << 4, Epoll.ERR], [1 << 5, Epoll.HUP], [1 << 6, Epoll.ET], [1 << 7, Epoll.ONESHOT],
  // Not in the ABI: sdk/libc/epoll.c passes Linux's EPOLLEXCLUSIVE bit as is (MOD of it is EINVAL).
  [Epoll.EXCLUSIVE, Epoll.EXCLUSIVE],
];
export function epollToLinux(w: number): number {
  let r = 0;
  for (const [x, l] of EPOLL_MAP) if (w & x) r |= l;
  return r >>> 0;
}
/**
 * The same mapping as EPOLL_MAP, unrolled: every event an epoll_wait reports goes through here
 * (the loop over destructured pairs was a visible share of a ping-pong server's CPU).
 */
export function epollFromLinux(l: number): number {
  return (l & Epoll.IN) | ((l & Epoll.OUT) !== 0 ? 1 << 1 : 0) | ((l & Epoll.RDHUP) !== 0 ? 1 << 2 : 0) |
    ((l & Epoll.PRI) !== 0 ? 1 << 3 : 0) | ((l & Epoll.ERR) !== 0 ? 1 << 4 : 0) | ((l & Epoll.HUP) !== 0 ? 1 << 5 : 0) |
    ((l & Epoll.ET) !== 0 ? 1 << 6 : 0) | ((l & Epoll.ONESHOT) !== 0 ? 1 << 7 : 0);
}

export const SX = {
  /** const __wasi_addr_port_t * */
  addrPort: {
    kind: "addr_port", wasm: ["i32"],
    decode: (m, p, i) => readAddrPort(m, u32(p[i]!)),
    show: showAddr,
  } as ArgCodec<SockAddr>,
  /** connect's const __wasi_addr_port_t *: tag 0 (AF_UNSPEC) is a disconnect, undefined */
  connectAddr: {
    kind: "addr_port", wasm: ["i32"],
    decode: (m, p, i) => {
      const ptr = u32(p[i]!);
      m.check(ptr, SockLayout.addrPort.size, SockLayout.addrPort.align);
      return m.u8[ptr] === AddrFamily.UNSPEC ? undefined : readAddrPort(m, ptr);
    },
    show: (v) => (v === undefined ? "AF_UNSPEC" : showAddr(v)),
  } as ArgCodec<SockAddr | undefined>,
  /** const __wasi_epoll_event_t * (null for EPOLL_CTL_DEL): the 24 data bytes travel as one bigint */
  epollEvent: {
    kind: "epoll_event", wasm: ["i32"],
    decode: (m, p, i) => {
      const ptr = u32(p[i]!);
      if (ptr === 0) return undefined;
      m.check(ptr, SockLayout.epollEvent.size, SockLayout.epollEvent.align);
      const dv = m.dv;
      const data = dv.getBigUint64(ptr + 8, true) | dv.getBigUint64(ptr + 16, true) << 64n | dv.getBigUint64(ptr + 24, true) << 128n;
      return { events: epollToLinux(dv.getUint32(ptr, true)), data };
    },
    show: (v) => (v === undefined ? "NULL" : `{events=0x${v.events.toString(16)}}`),
  } as ArgCodec<EpollEvent | undefined>,
  /** const __wasi_option_timestamp_t *: ms for the socket layer (0 = none) */
  optionTimeMs: {
    kind: "option_timestamp", wasm: ["i32"],
    decode: (m, p, i) => {
      const ptr = u32(p[i]!);
      m.check(ptr, SockLayout.optionTimestamp.size, SockLayout.optionTimestamp.align);
      if (m.u8[ptr] === 0) return 0;
      const ns = m.dv.getBigUint64(ptr + 8, true);
      return ns === 0n ? 0 : Math.max(1, Number(ns / 1_000_000n));
    },
    show: (v) => `${v}ms`,
  } as ArgCodec<number>,
};

export interface AcceptResult {
  fd: number;
  peer: SockAddr;
}

export interface RecvFromResult {
  n: number;
  roflags: number;
  from: SockAddr | undefined;
}

export const SXR = {
  /** out-pointer to an __wasi_addr_port_t */
  addrPort: {
    kind: "addr_port", wasm: ["i32"],
    encode: (m, p, i, v) => writeAddrPort(m, u32(p[i]!), v),
    show: showAddr,
  } as RetCodec<SockAddr>,
  accept: {
    kind: "accept", wasm: ["i32", "i32"],
    encode: (m, p, i, v) => {
      m.setU32(u32(p[i]!), v.fd);
      writeAddrPort(m, u32(p[i + 1]!), v.peer);
    },
    show: (v) => `${v.fd} from ${showAddr(v.peer)}`,
  } as RetCodec<AcceptResult>,
  recvFrom: {
    kind: "recv_from", wasm: ["i32", "i32", "i32"],
    encode: (m, p, i, v) => {
      m.setU32(u32(p[i]!), v.n);
      const fp = u32(p[i + 1]!);
      m.check(fp, 2, 2);
      m.dv.setUint16(fp, v.roflags, true);
      const ap = u32(p[i + 2]!);
      if (v.from) writeAddrPort(m, ap, v.from);
      else {
        m.check(ap, SockLayout.addrPort.size, SockLayout.addrPort.align);
        m.u8.fill(0, ap, ap + SockLayout.addrPort.size);
      }
    },
    show: (v) => `${v.n}${v.from ? ` from ${showAddr(v.from)}` : ""}`,
  } as RetCodec<RecvFromResult>,
  bool: {
    kind: "bool", wasm: ["i32"],
    encode: (m, p, i, v) => {
      const ptr = u32(p[i]!);
      m.check(ptr, 1);
      m.u8[ptr] = v ? 1 : 0;
    },
    show: (v) => String(v),
  } as RetCodec<boolean>,
  u8: {
    kind: "u8", wasm: ["i32"],
    encode: (m, p, i, v) => {
      const ptr = u32(p[i]!);
      m.check(ptr, 1);
      m.u8[ptr] = v;
    },
    show: (v) => String(v),
  } as RetCodec<number>,
  u64: {
    kind: "u64", wasm: ["i32"],
    encode: (m, p, i, v) => {
      const ptr = u32(p[i]!);
      m.check(ptr, 8, 8);
      m.dv.setBigUint64(ptr, BigInt(v), true);
    },
    show: (v) => String(v),
  } as RetCodec<number>,
  /** out-pointer to an __wasi_option_timestamp_t from ms (0 = none) */
  optionTimeMs: {
    kind: "option_timestamp", wasm: ["i32"],
    encode: (m, p, i, v) => {
      const ptr = u32(p[i]!);
      m.check(ptr, SockLayout.optionTimestamp.size, SockLayout.optionTimestamp.align);
      m.u8.fill(0, ptr, ptr + 16);
      if (v > 0) {
        m.u8[ptr] = 1;
        m.dv.setBigUint64(ptr + 8, BigInt(v) * 1_000_000n, true);
      }
    },
    show: (v) => `${v}ms`,
  } as RetCodec<number>,
};
