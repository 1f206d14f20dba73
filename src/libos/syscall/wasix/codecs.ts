/**
 * Codecs for the wasix_32v1 layouts the process calls use (api_wasix.h of Debian's wasix-libc):
 * C strings, proc_spawn2's fd operations (56-byte __wasi_proc_spawn_fd_op_t) and signal
 * dispositions (2 bytes), proc_join's option_pid (in/out, 8 bytes) and join_status (6 bytes).
 * Like ../codecs.ts, the only code that knows these layouts.
 */
import { Errno, SysError, sysErr } from "../errno.ts";
import type { ArgCodec, RetCodec } from "../codecs.ts";
import type { GuestMemory } from "../memory.ts";
import type { FdAction } from "../../process/spawn.ts";
import type { ExitStatus } from "../../process/exit.ts";

const u32 = (v: number | bigint): number => (v as number) >>> 0;
const EILSEQ = new SysError(Errno.ILSEQ);
/** ARG_MAX-like bound on one C string argument (argv/env blocks of proc_spawn2). */
const CSTR_MAX = 1 << 20;

export function readCString(m: GuestMemory, ptr: number): string {
  m.check(ptr, 1);
  let end = m.u8.indexOf(0, ptr);
  if (end < 0 || end - ptr > CSTR_MAX) {
    if (end < 0) throw sysErr(Errno.FAULT);
    throw sysErr(Errno.TOOBIG);
  }
  const s = m.text(ptr, end - ptr);
  if (s === undefined) throw EILSEQ;
  return s;
}

function readStr(m: GuestMemory, ptr: number, len: number): string {
  if (len === 0) return "";
  if (len > CSTR_MAX) throw sysErr(Errno.TOOBIG);
  const s = m.text(ptr, len);
  if (s === undefined) throw EILSEQ;
  const nul = s.indexOf("\0");
  return nul >= 0 ? s.slice(0, nul) : s;
}

export const WasixLayout = {
  fdOp: { size: 56 }, // cmd u8 @0, fd @4, src_fd @8, path ptr @12, len @16, dirflags @20, oflags @24, rights @32/@40, fdflags u16 @48, fdflagsext u16 @50
  disposition: { size: 2 }, // sig u8, disp u8 (0 default, 1 ignore)
  joinStatus: { size: 6, align: 2 }, // tag u8 @0; @2: exit_normal u16 | {exit_code u16, signal u8 @4} | stopped u8
} as const;

export const JoinStatus = { NOTHING: 0, EXIT_NORMAL: 1, EXIT_SIGNAL: 2, STOPPED: 3 } as const;

export interface OptionPid {
  ptr: number;
  /** undefined: "none" (any child). */
  pid: number | undefined;
}

export interface JoinResult {
  pid: number;
  /** How the child ended, or the signal that stopped it; undefined: nothing (WNOHANG). */
  status: ExitStatus | { readonly kind: "stopped"; readonly signo: number } | undefined;
}

export const X = {
  /** a signed 32-bit value (pids may be negative: groups) */
  i32: { kind: "i32", wasm: ["i32"], decode: (_m, p, i) => (p[i] as number) | 0, show: (v) => String(v) } as ArgCodec<number>,
  u32: { kind: "u32", wasm: ["i32"], decode: (_m, p, i) => u32(p[i]!), show: (v) => String(v) } as ArgCodec<number>,
  /** a witx string: (ptr, len), possibly NUL-terminated inside the length */
  str: { kind: "string", wasm: ["i32", "i32"], decode: (m, p, i) => readStr(m, u32(p[i]!), u32(p[i + 1]!)), show: (v) => JSON.stringify(v) } as ArgCodec<string>,
  /** a LF-separated list in one witx string (proc_spawn2's args and envs) */
  lines: {
    kind: "lines", wasm: ["i32", "i32"],
    decode: (m, p, i) => {
      const s = readStr(m, u32(p[i]!), u32(p[i + 1]!));
      if (s === "") return [];
      const parts = s.split("\n");
      if (parts[parts.length - 1] === "") parts.pop();
      return parts;
    },
    show: (v) => JSON.stringify(v),
  } as ArgCodec<string[]>,
  fdOps: {
    kind: "fd_ops", wasm: ["i32", "i32"],
    decode: (m, p, i) => {
      const base = u32(p[i]!), n = u32(p[i + 1]!);
      if (n > 4096) throw sysErr(Errno.INVAL);
      if (n === 0) return [];
      m.check(base, n * WasixLayout.fdOp.size, 8);
      const out: FdAction[] = [];
      for (let k = 0; k < n; k++) {
        const o = base + k * WasixLayout.fdOp.size;
        const dv = m.dv;
        const pathPtr = dv.getUint32(o + 12, true), pathLen = dv.getUint32(o + 16, true);
        let path = "";
        if (pathPtr !== 0 && pathLen > 0) {
          const s = m.text(pathPtr, pathLen);
          if (s === undefined) throw EILSEQ;
          path = s.endsWith("\0") ? s.slice(0, s.indexOf("\0")) : s;
        }
        out.push({
          cmd: dv.getUint8(o), fd: dv.getUint32(o + 4, true), srcFd: dv.getUint32(o + 8, true), path,
          dirflags: dv.getUint32(o + 20, true), oflags: dv.getUint16(o + 24, true),
          rightsBase: Number(dv.getBigUint64(o + 32, true) & 0x3fffffffn),
          rightsInheriting: Number(dv.getBigUint64(o + 40, true) & 0x3fffffffn),
          fdflags: dv.getUint16(o + 48, true),
        });
      }
      return out;
    },
    show: (v) => v === undefined ? "?" : `[${v.map((a) => `${["close", "dup2", "open", "chdir", "fchdir"][a.cmd] ?? a.cmd}(${a.fd}${a.cmd === 1 ? `<-${a.srcFd}` : ""}${a.path ? ` ${JSON.stringify(a.path)}` : ""})`).join(", ")}]`,
  } as ArgCodec<FdAction[]>,
  dispositions: {
    kind: "dispositions", wasm: ["i32", "i32"],
    decode: (m, p, i) => {
      const base = u32(p[i]!), n = u32(p[i + 1]!);
      const out = new Map<number, boolean>();
      if (n === 0) return out;
      if (n > 256) throw sysErr(Errno.INVAL);
      m.check(base, n * 2);
      for (let k = 0; k < n; k++) out.set(m.u8[base + 2 * k]!, m.u8[base + 2 * k + 1] === 1);
      return out;
    },
    show: (v) => v === undefined ? "?" : `{${[...v].map(([s, ign]) => `${s}:${ign ? "IGN" : "DFL"}`).join(",")}}`,
  } as ArgCodec<Map<number, boolean>>,
  optionPid: {
    kind: "option_pid", wasm: ["i32"],
    decode: (m, p, i) => {
      const ptr = u32(p[i]!);
      m.check(ptr, 8, 4);
      const tag = m.u8[ptr]!;
      return { ptr, pid: tag === 0 ? undefined : m.dv.getInt32(ptr + 4, true) };
    },
    show: (v) => (v === undefined ? "?" : v.pid === undefined ? "none" : String(v.pid)),
  } as ArgCodec<OptionPid>,
};

export const XR = {
  u32: { kind: "u32", wasm: ["i32"], encode: (m, p, i, v) => m.setU32(u32(p[i]!), v), show: (v) => String(v) } as RetCodec<number>,
  u16: {
    kind: "u16", wasm: ["i32"],
    encode: (m, p, i, v) => {
      const ptr = u32(p[i]!);
      m.check(ptr, 2, 2);
      m.dv.setUint16(ptr, v, true);
    },
    show: (v) => `0x${v.toString(16)}`,
  } as RetCodec<number>,
  fdPair: {
    kind: "fd_pair", wasm: ["i32", "i32"],
    encode: (m, p, i, v) => {
      m.setU32(u32(p[i]!), v[0]);
      m.setU32(u32(p[i + 1]!), v[1]);
    },
    show: (v) => `[${v[0]}, ${v[1]}]`,
  } as RetCodec<readonly [number, number]>,
  /** proc_join: the status, and the pid written back through the option_pid argument */
  join: {
    kind: "join_status", wasm: ["i32"],
    encode: (m, p, i, v, args) => {
      const ptr = u32(p[i]!);
      m.check(ptr, WasixLayout.joinStatus.size, WasixLayout.joinStatus.align);
      const dv = m.dv;
      const opt = args[0] as OptionPid;
      dv.setUint8(opt.ptr, 1);
      dv.setInt32(opt.ptr + 4, v.pid, true);
      for (let k = 0; k < 6; k++) dv.setUint8(ptr + k, 0);
      const s = v.status;
      if (!s) return; // NOTHING (WNOHANG, no child ready)
      if (s.kind === "exit") {
        dv.setUint8(ptr, JoinStatus.EXIT_NORMAL);
        dv.setUint16(ptr + 2, s.code & 0xff, true);
      } else if (s.kind === "signal") {
        dv.setUint8(ptr, JoinStatus.EXIT_SIGNAL);
        dv.setUint8(ptr + 4, s.signo);
      } else {
        dv.setUint8(ptr, JoinStatus.STOPPED);
        dv.setUint8(ptr + 2, s.signo);
      }
    },
    show: (v) => (v.status ? `{pid ${v.pid}, ${v.status.kind === "exit" ? `exit ${v.status.code}` : `${v.status.kind} ${v.status.signo}`}}` : "{nothing}"),
  } as RetCodec<JoinResult>,
};
