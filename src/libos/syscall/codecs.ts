/**
 * Argument and result codecs: the only code that knows WASI's memory layouts. A codec consumes
 * a fixed number of wasm parameters; argument codecs produce the value a handler takes, result
 * codecs write a handler's return value through the trailing out-pointers (and, for a few calls,
 * into a buffer an argument named). Bad pointers trap (GuestMemory); bad enum/flag values and
 * invalid UTF-8 are errno values (SysError), as wasmtime's generated glue does.
 */
import { Errno, SysError, sysErr } from "./errno.ts";
import { GuestMemory, encodeUtf8 } from "./memory.ts";
import { Layout } from "./abi.ts";
import type { DirEntry, Stat } from "../fs/types.ts";

export type WasmType = "i32" | "i64";
export type Params = readonly (number | bigint)[];

export interface ArgCodec<T> {
  readonly kind: string;
  readonly wasm: readonly WasmType[];
  decode(m: GuestMemory, p: Params, i: number): T;
  show(v: T): string;
}

export interface RetCodec<T> {
  readonly kind: string;
  readonly wasm: readonly WasmType[];
  encode(m: GuestMemory, p: Params, i: number, v: T, args: readonly unknown[]): void;
  show(v: T): string;
}

const u32 = (v: number | bigint): number => (v as number) >>> 0;
const EINVAL = new SysError(Errno.INVAL);
const EILSEQ = new SysError(Errno.ILSEQ);

/** PATH_MAX: longer path arguments are ENAMETOOLONG before any lookup. */
export const PATH_MAX = 4096;

function uint(kind: string, max: number): ArgCodec<number> {
  return {
    kind, wasm: ["i32"],
    decode: (_m, p, i) => {
      const v = u32(p[i]!);
      if (v > max) throw EINVAL;
      return v;
    },
    show: (v) => String(v),
  };
}

function flags(kind: string, mask: number): ArgCodec<number> {
  return {
    kind, wasm: ["i32"],
    decode: (_m, p, i) => {
      const v = u32(p[i]!);
      if ((v & ~mask) !== 0) throw EINVAL;
      return v;
    },
    show: (v) => (v === undefined ? "?" : `0x${v.toString(16)}`),
  };
}

export interface Subscriptions {
  /** Raw subscription records (48 bytes each), decoded by the poll handler via readSubscription. */
  readonly subs: Subscription[];
  readonly out: number;
}

export type Subscription =
  | { userdata: bigint; type: 0; clockId: number; timeout: bigint; precision: bigint; flags: number }
  | { userdata: bigint; type: 1 | 2; fd: number };

export interface PollEvent {
  userdata: bigint;
  error: number;
  type: number;
  nbytes: bigint;
  flags: number;
}

/** Argument codecs. */
export const A = {
  fd: { kind: "fd", wasm: ["i32"], decode: (_m, p, i) => u32(p[i]!), show: (v) => String(v) } as ArgCodec<number>,
  u32: { kind: "u32", wasm: ["i32"], decode: (_m, p, i) => u32(p[i]!), show: (v) => String(v) } as ArgCodec<number>,
  u8: uint("u8", 0xff),
  /** whence: SET | CUR | END */
  whence: uint("whence", 2),
  /** advice 0..5 */
  advice: uint("advice", 5),
  /** clock ids are checked by the handler (EINVAL for unknown ones) */
  clockId: { kind: "clockid", wasm: ["i32"], decode: (_m, p, i) => u32(p[i]!), show: (v) => ["REALTIME", "MONOTONIC", "PROCESS_CPUTIME", "THREAD_CPUTIME"][v] ?? String(v) } as ArgCodec<number>,
  signal: uint("signal", 30),
  fdflags: flags("fdflags", 0x1f),
  oflags: flags("oflags", 0xf),
  fstflags: flags("fstflags", 0xf),
  lookupflags: { kind: "lookupflags", wasm: ["i32"], decode: (_m, p, i) => u32(p[i]!) & 1, show: (v) => (v ? "SYMLINK_FOLLOW" : "0") } as ArgCodec<number>,
  sdflags: flags("sdflags", 0x3),
  /** PEEK | WAITALL, and WASIX's RECV_DONT_WAIT (8: wasix-libc's MSG_DONTWAIT) */
  riflags: flags("riflags", 0xb),
  /** WASIX's SEND_DONT_WAIT (1: wasix-libc's MSG_DONTWAIT); preview 1 defines none */
  siflags: flags("siflags", 0x1),
  u64: { kind: "u64", wasm: ["i64"], decode: (_m, p, i) => BigInt.asUintN(64, p[i] as bigint), show: (v) => String(v) } as ArgCodec<bigint>,
  /** clock_time_get's precision: unused, so passed through without normalizing (hot path) */
  precision: { kind: "precision", wasm: ["i64"], decode: (_m, p, i) => p[i] as bigint, show: (v) => String(BigInt.asUintN(64, v)) } as ArgCodec<bigint>,
  i64: { kind: "i64", wasm: ["i64"], decode: (_m, p, i) => BigInt.asIntN(64, p[i] as bigint), show: (v) => String(v) } as ArgCodec<bigint>,
  /** rights: the defined 30 bits as a number (abi.ts explains why) */
  rights: { kind: "rights", wasm: ["i64"], decode: (_m, p, i) => Number(BigInt.asUintN(64, p[i] as bigint) & 0x3fffffffn), show: (v) => `0x${v.toString(16)}` } as ArgCodec<number>,
  iovecs: {
    kind: "iovecs", wasm: ["i32", "i32"],
    decode: (m, p, i) => {
      const ptr = u32(p[i]!);
      const n = u32(p[i + 1]!);
      m.check(ptr, n * Layout.iovec.size, Layout.iovec.align);
      const dv = m.dv;
      const out = new Array<Uint8Array>(n);
      for (let k = 0; k < n; k++) {
        const base = dv.getUint32(ptr + 8 * k, true);
        const len = dv.getUint32(ptr + 8 * k + 4, true);
        out[k] = m.bytes(base, len);
      }
      return out;
    },
    show: (v) => `[${v.map((b) => b.byteLength).join(",")}]`,
  } as ArgCodec<Uint8Array[]>,
  /** a (ptr, len) byte buffer */
  buf: {
    kind: "buf", wasm: ["i32", "i32"],
    decode: (m, p, i) => m.bytes(u32(p[i]!), u32(p[i + 1]!)),
    show: (v) => `buf[${v.byteLength}]`,
  } as ArgCodec<Uint8Array>,
  /** a (ptr, len) UTF-8 path */
  path: {
    kind: "path", wasm: ["i32", "i32"],
    decode: (m, p, i) => {
      const len = u32(p[i + 1]!);
      const s = m.text(u32(p[i]!), len);
      if (s === undefined) throw EILSEQ;
      if (len > PATH_MAX) throw sysErr(Errno.NAMETOOLONG);
      if (s.includes("\0")) throw EINVAL; // no host or file system can name it (cap-std: EINVAL)
      return s;
    },
    show: (v) => JSON.stringify(v),
  } as ArgCodec<string>,
  /** poll_oneoff's (in, out, nsubscriptions) */
  subscriptions: {
    kind: "subscriptions", wasm: ["i32", "i32", "i32"],
    decode: (m, p, i) => {
      const inp = u32(p[i]!);
      const out = u32(p[i + 1]!);
      const n = u32(p[i + 2]!);
      m.check(inp, n * Layout.subscription.size, Layout.subscription.align);
      m.check(out, n * Layout.event.size, Layout.event.align);
      const dv = m.dv;
      const subs: Subscription[] = [];
      for (let k = 0; k < n; k++) {
        const b = inp + k * Layout.subscription.size;
        const userdata = dv.getBigUint64(b, true);
        const tag = dv.getUint8(b + 8);
        if (tag === 0) {
          subs.push({
            userdata, type: 0, clockId: dv.getUint32(b + 16, true), timeout: dv.getBigUint64(b + 24, true),
            precision: dv.getBigUint64(b + 32, true), flags: dv.getUint16(b + 40, true),
          });
        } else if (tag === 1 || tag === 2) {
          subs.push({ userdata, type: tag, fd: dv.getUint32(b + 16, true) });
        } else {
          throw EINVAL;
        }
      }
      return { subs, out };
    },
    show: (v) => `[${v.subs.map((s) => (s.type === 0 ? `clock(${s.clockId},${s.timeout},${s.flags})` : `${s.type === 1 ? "read" : "write"}(${s.fd})`)).join(",")}]`,
  } as ArgCodec<Subscriptions>,
} as const;

let iovSlots = 0;

/**
 * The iovecs codec of one hot row (sock_recv, sock_send): a server names the same buffer on
 * every call, so a one-iovec array is decoded once and handed out again while it names the same
 * bytes (kept on the memory, which it lives and dies with; a view of a non-shared memory that
 * grew is detached, length 0: a miss). Saves an array and a typed array per call. Safe to share
 * between a process's threads: handlers never modify the array, and a view covers the same
 * bytes for as long as it exists.
 */
export function reusedIovecs(): ArgCodec<Uint8Array[]> {
  const slot = iovSlots++;
  return {
    kind: "iovecs", wasm: ["i32", "i32"],
    decode: (m, p, i) => {
      if (u32(p[i + 1]!) !== 1) return A.iovecs.decode(m, p, i);
      const ptr = u32(p[i]!);
      m.check(ptr, Layout.iovec.size, Layout.iovec.align);
      const b = m.dv.getUint32(ptr, true);
      const l = m.dv.getUint32(ptr + 4, true);
      const last = m.iovCache[slot];
      if (last !== undefined && l > 0) {
        const v = last[0]!;
        if (v.byteOffset === b && v.byteLength === l) return last;
      }
      const out = [m.bytes(b, l)];
      m.iovCache[slot] = out;
      return out;
    },
    show: A.iovecs.show,
  };
}

function retU32(kind: string): RetCodec<number> {
  return { kind, wasm: ["i32"], encode: (m, p, i, v) => m.setU32(u32(p[i]!), v), show: (v) => String(v) };
}

export interface FdStat {
  filetype: number;
  flags: number;
  rightsBase: number;
  rightsInheriting: number;
}

export interface Prestat {
  nameLen: number;
}

/** Result codecs. */
export const R = {
  none: { kind: "none", wasm: [], encode: () => {}, show: () => "" } as RetCodec<void>,
  size: retU32("size"),
  fd: retU32("fd"),
  u64: {
    kind: "u64", wasm: ["i32"],
    encode: (m, p, i, v) => m.setU64(u32(p[i]!), v),
    show: (v) => String(v),
  } as RetCodec<bigint | number>,
  /** two u32 out-pointers (args/environ sizes) */
  sizes: {
    kind: "sizes", wasm: ["i32", "i32"],
    encode: (m, p, i, v) => {
      m.setU32(u32(p[i]!), v[0]);
      m.setU32(u32(p[i + 1]!), v[1]);
    },
    show: (v) => `${v[0]}, ${v[1]}`,
  } as RetCodec<[number, number]>,
  /** args_get/environ_get: (pointer array, string buffer) filled with NUL-terminated strings */
  cstrings: {
    kind: "cstrings", wasm: ["i32", "i32"],
    encode: (m, p, i, v) => {
      let ptrs = u32(p[i]!);
      let buf = u32(p[i + 1]!);
      for (const s of v) {
        const bytes = encodeUtf8(s);
        m.setU32(ptrs, buf);
        m.check(buf, bytes.byteLength + 1);
        m.u8.set(bytes, buf);
        m.u8[buf + bytes.byteLength] = 0;
        ptrs += 4;
        buf += bytes.byteLength + 1;
      }
    },
    show: (v) => JSON.stringify(v),
  } as RetCodec<string[]>,
  fdstat: {
    kind: "fdstat", wasm: ["i32"],
    encode: (m, p, i, v) => {
      const ptr = u32(p[i]!);
      m.check(ptr, Layout.fdstat.size, Layout.fdstat.align);
      m.u8.fill(0, ptr, ptr + Layout.fdstat.size);
      m.dv.setUint8(ptr, v.filetype);
      m.dv.setUint16(ptr + 2, v.flags, true);
      m.dv.setBigUint64(ptr + 8, BigInt(v.rightsBase), true);
      m.dv.setBigUint64(ptr + 16, BigInt(v.rightsInheriting), true);
    },
    show: (v) => `{filetype=${v.filetype}, flags=0x${v.flags.toString(16)}, base=0x${v.rightsBase.toString(16)}, inheriting=0x${v.rightsInheriting.toString(16)}}`,
  } as RetCodec<FdStat>,
  filestat: {
    kind: "filestat", wasm: ["i32"],
    encode: (m, p, i, v) => {
      const ptr = u32(p[i]!);
      m.check(ptr, Layout.filestat.size, Layout.filestat.align);
      const dv = m.dv;
      m.u8.fill(0, ptr, ptr + Layout.filestat.size);
      dv.setBigUint64(ptr, v.dev, true);
      dv.setBigUint64(ptr + 8, v.ino, true);
      dv.setUint8(ptr + 16, v.filetype);
      dv.setBigUint64(ptr + 24, v.nlink, true);
      dv.setBigUint64(ptr + 32, v.size, true);
      dv.setBigUint64(ptr + 40, v.atim, true);
      dv.setBigUint64(ptr + 48, v.mtim, true);
      dv.setBigUint64(ptr + 56, v.ctim, true);
    },
    show: (v) => `{filetype=${v.filetype}, size=${v.size}, ino=${v.ino}, nlink=${v.nlink}}`,
  } as RetCodec<Stat>,
  prestat: {
    kind: "prestat", wasm: ["i32"],
    encode: (m, p, i, v) => {
      const ptr = u32(p[i]!);
      m.check(ptr, Layout.prestat.size, Layout.prestat.align);
      m.dv.setUint32(ptr, 0, true); // tag DIR + padding
      m.dv.setUint32(ptr + 4, v.nameLen, true);
    },
    show: (v) => `{dir, name_len=${v.nameLen}}`,
  } as RetCodec<Prestat>,
  /** fd_prestat_dir_name: the name into the (ptr, len) buffer argument 1 */
  dirName: {
    kind: "dirName", wasm: [],
    encode: (m, _p, _i, v, args) => {
      const buf = args[1] as Uint8Array;
      const bytes = encodeUtf8(v);
      if (bytes.byteLength > buf.byteLength) throw sysErr(Errno.NAMETOOLONG);
      m.refresh();
      buf.set(bytes);
    },
    show: (v) => JSON.stringify(v),
  } as RetCodec<string>,
  /** path_readlink: the target into the buffer argument 2, truncated; bytes used to the out-pointer */
  readlink: {
    kind: "readlink", wasm: ["i32"],
    encode: (m, p, i, v, args) => {
      const buf = args[2] as Uint8Array;
      const bytes = encodeUtf8(v);
      const n = Math.min(bytes.byteLength, buf.byteLength);
      buf.set(bytes.subarray(0, n));
      m.setU32(u32(p[i]!), n);
    },
    show: (v) => JSON.stringify(v),
  } as RetCodec<string>,
  /** fd_readdir: dirents into the buffer argument 1 (the last one truncated to fit); bytes used out */
  dirents: {
    kind: "dirents", wasm: ["i32"],
    encode: (m, p, i, v, args) => {
      const buf = args[1] as Uint8Array;
      const used = encodeDirents(v, buf);
      m.setU32(u32(p[i]!), used);
    },
    show: (v) => `[${v.length} entries]`,
  } as RetCodec<DirEntry[]>,
  /** poll_oneoff: events into the `out` array of argument 0; count to the out-pointer */
  events: {
    kind: "events", wasm: ["i32"],
    encode: (m, p, i, v, args) => {
      const out = (args[0] as Subscriptions).out;
      m.check(out, v.length * Layout.event.size, Layout.event.align);
      const dv = m.dv;
      for (let k = 0; k < v.length; k++) {
        const e = v[k]!;
        const b = out + k * Layout.event.size;
        m.u8.fill(0, b, b + Layout.event.size);
        dv.setBigUint64(b, e.userdata, true);
        dv.setUint16(b + 8, e.error, true);
        dv.setUint8(b + 10, e.type);
        dv.setBigUint64(b + 16, e.nbytes, true);
        dv.setUint16(b + 24, e.flags, true);
      }
      m.setU32(u32(p[i]!), v.length);
    },
    show: (v) => `[${v.map((e) => `{ud=${e.userdata}, type=${e.type}, err=${e.error}, n=${e.nbytes}, flags=${e.flags}}`).join(",")}]`,
  } as RetCodec<PollEvent[]>,
  /** sock_recv: (size, roflags) out-pointers */
  recv: {
    kind: "recv", wasm: ["i32", "i32"],
    encode: (m, p, i, v) => {
      m.setU32(u32(p[i]!), v[0]);
      const ptr = u32(p[i + 1]!);
      m.check(ptr, 2, 2);
      m.dv.setUint16(ptr, v[1], true);
    },
    show: (v) => `${v[0]}, roflags=${v[1]}`,
  } as RetCodec<[number, number]>,
} as const;

/** Serialize dirents into `buf`; a record that does not fit is truncated (bufused == buf length tells the caller). */
export function encodeDirents(entries: readonly DirEntry[], buf: Uint8Array): number {
  const cap = buf.byteLength;
  const head = new Uint8Array(Layout.dirent.size);
  const hv = new DataView(head.buffer);
  let off = 0;
  for (const e of entries) {
    if (off >= cap) break;
    const name = encodeUtf8(e.name);
    hv.setBigUint64(0, e.next, true);
    hv.setBigUint64(8, e.ino, true);
    hv.setUint32(16, name.byteLength, true);
    hv.setUint32(20, e.filetype, true); // d_type u8 + 3 bytes of padding (zero)
    const whole = Layout.dirent.size + name.byteLength;
    if (off + whole <= cap) {
      buf.set(head, off);
      buf.set(name, off + Layout.dirent.size);
      off += whole;
    } else {
      const rec = new Uint8Array(whole);
      rec.set(head);
      rec.set(name, Layout.dirent.size);
      buf.set(rec.subarray(0, cap - off), off);
      off = cap;
    }
  }
  return off;
}
