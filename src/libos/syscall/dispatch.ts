/**
 * Dispatch: turns the table into a wasm import object for one thread, and is the only place where
 * errors become return values.
 *
 * A call: refresh the memory views, decode the arguments (codecs), run the handler, encode the
 * result, return errno 0. A handler's SysError becomes its errno; a host error maps through
 * errno-map; anything else is a kernel bug: logged, EIO. GuestTrap (bad pointer), ProcessExit and
 * ThreadKilled are not errors of the call: they propagate and unwind the guest stack.
 *
 * Blocking rows are WebAssembly.Suspending imports. When the handler completes synchronously,
 * dispatch returns a number and the guest does not suspend; only a real wait returns a Promise.
 * After a wait, a killed thread unwinds instead of returning to the guest.
 */
import { errnoName, Errno, SysError } from "./errno.ts";
import { errnoOf } from "./errno-map.ts";
import { GuestTrap, type GuestMemory } from "./memory.ts";
import type { Params } from "./codecs.ts";
import { wasiTable, type SyscallRow } from "./table.ts";
import { MODULE } from "./abi.ts";
import type { Thread } from "../process/thread.ts";
import { ProcessExit, ThreadKilled } from "../process/exit.ts";
import type { Logger } from "../log.ts";
import { formatCall } from "./strace.ts";
import { Wasm } from "../wasm.ts";

/** What the import functions of one thread close over; `mem` is set once the instance exists. */
export class SyscallContext {
  readonly t: Thread;
  readonly log: Logger;
  mem!: GuestMemory;

  constructor(t: Thread, log: Logger) {
    this.t = t;
    this.log = log;
  }
}

type Tracer = (args: readonly unknown[] | undefined, result: string) => void;

/** Map an error thrown by a handler or codec to an errno; rethrow what must unwind the guest. */
function toErrno(ctx: SyscallContext, row: SyscallRow, e: unknown): number {
  if (e instanceof SysError) return e.errno;
  if (e instanceof GuestTrap || e instanceof ProcessExit || e instanceof ThreadKilled) throw e;
  const errno = errnoOf(e);
  if (errno !== undefined) return errno;
  ctx.log.error(`${row.name}: unexpected kernel error: ${(e as Error)?.stack ?? String(e)}`);
  return Errno.IO;
}

function afterWait(t: Thread): void {
  t.onCpu();
  if (t.killed) throw new ThreadKilled();
  // An interruption ends at the syscall that saw it (signal delivery hooks in here, issue 5).
  if (t.interruptPending) t.clearInterrupt();
}

async function settle(ctx: SyscallContext, row: SyscallRow, p: Params, args: unknown[], pending: Promise<unknown>, tr?: Tracer): Promise<number> {
  const t = ctx.t;
  t.offCpu();
  let v: unknown;
  try {
    v = await pending;
  } catch (e) {
    afterWait(t);
    const errno = toErrno(ctx, row, e);
    tr?.(args, `-1 ${errnoName(errno)}`);
    return errno;
  }
  afterWait(t);
  try {
    ctx.mem.refresh();
    row.ret.encode(ctx.mem, p, row.retIndex, v, args);
  } catch (e) {
    const errno = toErrno(ctx, row, e);
    tr?.(args, `-1 ${errnoName(errno)}`);
    return errno;
  }
  tr?.(args, row.ret.show(v) || "0");
  return Errno.SUCCESS;
}

/** One syscall. Returns the errno, or a Promise of it when the handler waits. */
export function invoke(ctx: SyscallContext, row: SyscallRow, p: Params, tr?: Tracer): number | Promise<number> {
  const m = ctx.mem;
  let args: unknown[] | undefined;
  if (ctx.t.killed) throw new ThreadKilled();
  try {
    m.refresh();
    const codecs = row.args;
    args = new Array(codecs.length);
    let i = 0;
    for (let k = 0; k < codecs.length; k++) {
      const c = codecs[k]!;
      args[k] = c.decode(m, p, i);
      i += c.wasm.length;
    }
    const r = (row.impl as (t: Thread, ...a: unknown[]) => unknown)(ctx.t, ...args);
    if (r instanceof Promise) {
      if (!row.blocking) throw new Error(`kernel bug: non-blocking ${row.name} returned a Promise`);
      return settle(ctx, row, p, args, r, tr);
    }
    row.ret.encode(m, p, row.retIndex, r, args);
    tr?.(args, row.ret.show(r) || "0");
    return Errno.SUCCESS;
  } catch (e) {
    if (tr && (e instanceof ProcessExit || e instanceof GuestTrap)) tr(args, e instanceof GuestTrap ? `TRAP (${e.message})` : "?");
    const errno = toErrno(ctx, row, e);
    tr?.(args, `-1 ${errnoName(errno)}`);
    return errno;
  }
}

export interface ImportOptions {
  /** strace every call to the logger (OCCLUM_LOG_LEVEL=trace). */
  trace?: boolean;
}

/** The `wasi_snapshot_preview1` import object of one thread. */
export function wasiImports(ctx: SyscallContext, opts: ImportOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const row of wasiTable) out[row.name] = importFunction(ctx, row, opts.trace ?? false);
  return out;
}

/** A plain function for non-blocking rows, a WebAssembly.Suspending for blocking ones. */
export function importFunction(ctx: SyscallContext, row: SyscallRow, trace: boolean): unknown {
  let fn: (...p: (number | bigint)[]) => number | Promise<number>;
  if (trace) {
    fn = (...p) => {
      const tr: Tracer = (args, result) => ctx.log.traceRaw(formatCall(ctx.t, row, args, result));
      return invoke(ctx, row, p, tr);
    };
  } else {
    fn = (...p) => invoke(ctx, row, p);
  }
  if (row.noreturn) {
    const inner = fn;
    fn = (...p) => {
      inner(...p);
      return 0;
    };
  }
  return row.blocking ? new Wasm.Suspending(fn) : fn;
}

export { MODULE as WASI_MODULE };
