/**
 * The guest ABI as data: one row per `wasi_snapshot_preview1` import. Dispatch (the import
 * object), strace output, the support document and the table tests all derive from this table.
 *
 * A row: argument codecs (consuming the wasm parameters in order), a result codec (the trailing
 * out-pointers), the handler, `blocking` (the import is a WebAssembly.Suspending: the handler may
 * return a Promise; a handler of a non-blocking row must never return one), and a support level.
 */
import { A, R, reusedIovecs, type ArgCodec, type RetCodec, type WasmType } from "./codecs.ts";
import type { Thread } from "../process/thread.ts";
import type { GuestMemory } from "./memory.ts";
import * as args from "./wasi/args.ts";
import * as clock from "./wasi/clock.ts";
import * as random from "./wasi/random.ts";
import * as fd from "./wasi/fd.ts";
import * as path from "./wasi/path.ts";
import * as poll from "./wasi/poll.ts";
import * as proc from "./wasi/proc.ts";
import * as sock from "./wasi/sock.ts";

export type Support = "full" | "partial" | "none";

type Decoded<C> = { -readonly [K in keyof C]: C[K] extends ArgCodec<infer T> ? T : never };

export interface SyscallRow {
  readonly name: string;
  readonly args: readonly ArgCodec<unknown>[];
  readonly ret: RetCodec<unknown>;
  readonly impl: (t: Thread, ...a: never[]) => unknown;
  readonly blocking: boolean;
  /** proc_exit: the import never returns (no errno result). */
  readonly noreturn: boolean;
  readonly support: Support;
  readonly note?: string;
  /**
   * A hand-written import used instead of the generated one when not tracing, for calls so hot
   * and so small that the generic decode/encode steps dominate (clock_time_get). Same semantics.
   */
  readonly fast?: FastImport;
  /**
   * A blocking row whose handler takes a Completion after its arguments and may park with it
   * (dispatch.ts "Direct resumes"): the waker completes the call, so the parked stack gets its
   * final result with no reaction of ours in between (futex_wait, sched_yield: the switch path).
   */
  readonly direct?: boolean;
  /** Derived: wasm parameter types and the index of the first out-pointer parameter. */
  readonly params: readonly WasmType[];
  readonly retIndex: number;
}

/**
 * Completes a direct row's call with the handler's result `v` (encoded into guest memory at
 * once): the import's return value, or a Promise of it when the call must take the slow path
 * (an interruption, a kill, pending signals, a bad out-pointer). A handler that parks resolves
 * its Promise with what this returns; it runs in the waker's context and never throws.
 */
export type Completion<T> = ((v: T) => number | Promise<number>) & {
  /**
   * Completes the call with an error instead (a SysError's errno, or what must unwind the guest),
   * always through the slow path: signals are delivered first, as for any blocking call.
   */
  readonly fail?: (e: unknown) => Promise<number>;
};

/** What a fast import closes over: its thread and the holder of the thread's memory views. */
export type FastImport = (t: Thread, ctx: { readonly mem: GuestMemory }) => (...p: (number | bigint)[]) => number;

interface RowOpts {
  blocking?: boolean;
  direct?: boolean;
  noreturn?: boolean;
  support?: Support;
  note?: string;
  fast?: FastImport;
}

export function row<const C extends readonly ArgCodec<any>[], T>(
  name: string, argCodecs: C, ret: RetCodec<T>,
  impl: (t: Thread, ...a: Decoded<C>) => T | Promise<T>, opts: RowOpts = {},
): SyscallRow {
  const argParams = argCodecs.flatMap((c) => c.wasm);
  return {
    name, args: argCodecs as readonly ArgCodec<unknown>[], ret: ret as RetCodec<unknown>,
    impl: impl as unknown as SyscallRow["impl"],
    blocking: opts.blocking ?? false, noreturn: opts.noreturn ?? false, support: opts.support ?? "full",
    ...(opts.note !== undefined ? { note: opts.note } : {}),
    ...(opts.fast !== undefined ? { fast: opts.fast } : {}),
    ...(opts.direct === true ? { direct: true } : {}),
    params: [...argParams, ...ret.wasm], retIndex: argParams.length,
  };
}

/**
 * A direct row (SyscallRow.direct): the handler gets the call's Completion after its arguments
 * and returns a result, or a Promise that settles with what the Completion returned. Without a
 * Completion (a restarted call) it behaves as an ordinary blocking handler.
 */
export function directRow<const C extends readonly ArgCodec<any>[], T>(
  name: string, argCodecs: C, ret: RetCodec<T>,
  impl: (t: Thread, ...a: [...Decoded<C>, Completion<T> | undefined]) => T | Promise<T | number>, opts: RowOpts = {},
): SyscallRow {
  return row(name, argCodecs, ret, impl as unknown as (t: Thread, ...a: Decoded<C>) => T, { ...opts, blocking: true, direct: true });
}

const B = { blocking: true } as const;

export const wasiTable: readonly SyscallRow[] = [
  row("args_get", [], R.cstrings, args.args_get),
  row("args_sizes_get", [], R.sizes, args.args_sizes_get),
  row("environ_get", [], R.cstrings, args.environ_get),
  row("environ_sizes_get", [], R.sizes, args.environ_sizes_get),
  row("clock_res_get", [A.clockId], R.u64, clock.clock_res_get),
  row("clock_time_get", [A.clockId, A.precision], R.u64, clock.clock_time_get, { note: "precision is ignored", fast: clock.clockTimeGetFast }),
  row("fd_advise", [A.fd, A.u64, A.u64, A.advice], R.none, fd.fd_advise, { ...B, support: "partial", note: "advice is a hint; file systems may ignore it" }),
  row("fd_allocate", [A.fd, A.u64, A.u64], R.none, fd.fd_allocate, B),
  row("fd_close", [A.fd], R.none, fd.fd_close, B),
  row("fd_datasync", [A.fd], R.none, fd.fd_datasync, B),
  row("fd_fdstat_get", [A.fd], R.fdstat, fd.fd_fdstat_get),
  row("fd_fdstat_set_flags", [A.fd, A.fdflags], R.none, fd.fd_fdstat_set_flags, { note: "APPEND and NONBLOCK only; sync flags are EINVAL" }),
  row("fd_fdstat_set_rights", [A.fd, A.rights, A.rights], R.none, fd.fd_fdstat_set_rights, { note: "narrowing only (ENOTCAPABLE otherwise)" }),
  row("fd_filestat_get", [A.fd], R.filestat, fd.fd_filestat_get, B),
  row("fd_filestat_set_size", [A.fd, A.u64], R.none, fd.fd_filestat_set_size, B),
  row("fd_filestat_set_times", [A.fd, A.u64, A.u64, A.fstflags], R.none, fd.fd_filestat_set_times, B),
  row("fd_pread", [A.fd, A.iovecs, A.u64], R.size, fd.fd_pread, B),
  row("fd_prestat_get", [A.fd], R.prestat, fd.fd_prestat_get),
  row("fd_prestat_dir_name", [A.fd, A.buf], R.dirName, fd.fd_prestat_dir_name),
  row("fd_pwrite", [A.fd, A.iovecs, A.u64], R.size, fd.fd_pwrite, B),
  row("fd_read", [A.fd, A.iovecs], R.size, fd.fd_read, B),
  row("fd_readdir", [A.fd, A.buf, A.u64], R.dirents, fd.fd_readdir, B),
  row("fd_renumber", [A.fd, A.fd], R.none, fd.fd_renumber, B),
  row("fd_seek", [A.fd, A.i64, A.whence], R.u64, fd.fd_seek, B),
  row("fd_sync", [A.fd], R.none, fd.fd_sync, B),
  row("fd_tell", [A.fd], R.u64, fd.fd_tell, B),
  row("fd_write", [A.fd, A.iovecs], R.size, fd.fd_write, B),
  row("path_create_directory", [A.fd, A.path], R.none, path.path_create_directory, B),
  row("path_filestat_get", [A.fd, A.lookupflags, A.path], R.filestat, path.path_filestat_get, B),
  row("path_filestat_set_times", [A.fd, A.lookupflags, A.path, A.u64, A.u64, A.fstflags], R.none, path.path_filestat_set_times, B),
  row("path_link", [A.fd, A.lookupflags, A.path, A.fd, A.path], R.none, path.path_link, B),
  row("path_open", [A.fd, A.lookupflags, A.path, A.oflags, A.rights, A.rights, A.fdflags], R.fd, path.path_open, B),
  row("path_readlink", [A.fd, A.path, A.buf], R.readlink, path.path_readlink, B),
  row("path_remove_directory", [A.fd, A.path], R.none, path.path_remove_directory, B),
  row("path_rename", [A.fd, A.path, A.fd, A.path], R.none, path.path_rename, B),
  row("path_symlink", [A.path, A.fd, A.path], R.none, path.path_symlink, B),
  row("path_unlink_file", [A.fd, A.path], R.none, path.path_unlink_file, B),
  row("poll_oneoff", [A.subscriptions], R.events, poll.poll_oneoff, { ...B, note: "clock (REALTIME, MONOTONIC; relative and absolute) and fd readiness" }),
  row("proc_exit", [A.u32], R.none, proc.proc_exit, { noreturn: true }),
  row("proc_raise", [A.signal], R.none, proc.proc_raise, { ...B, support: "partial", note: "default dispositions only: terminate, ignore, or stop (returns after SIGCONT)" }),
  directRow("sched_yield", [], R.none, proc.sched_yield, { note: "a coroutine switch through the run queue" }),
  row("random_get", [A.buf], R.none, random.random_get),
  row("sock_accept", [A.fd, A.fdflags], R.fd, sock.sock_accept, { ...B, support: "partial", note: "on sockets the LibOS hands in; real sockets: issue 8" }),
  row("sock_recv", [A.fd, reusedIovecs(), A.riflags], R.recv, sock.sock_recv, { ...B, support: "partial", note: "on sockets the LibOS hands in" }),
  row("sock_send", [A.fd, reusedIovecs(), A.siflags], R.size, sock.sock_send, { ...B, support: "partial", note: "on sockets the LibOS hands in" }),
  row("sock_shutdown", [A.fd, A.sdflags], R.none, sock.sock_shutdown, { ...B, support: "partial", note: "on sockets the LibOS hands in" }),
];

export const wasiRows: ReadonlyMap<string, SyscallRow> = new Map(wasiTable.map((r) => [r.name, r]));
