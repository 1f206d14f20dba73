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
 * dispatch returns a number; only a real wait returns a Promise. V8 suspends the guest at such
 * an import all the same (~90 ns, bench/wasi's JSPI floor) and runs its microtask queue first,
 * but the thread stays on the CPU's books: what runs meanwhile is kernel work, since a thread
 * woken by a kernel call is queued behind the pump's hop, after this one's continuation (a
 * guest doing rounds of FUTEX_WAKE then a FUTEX_WAIT failing with EAGAIN, its woken thread
 * computing, counted no run twice; 2026-12-05). The preemption checks, whose suspension can run
 * a thread woken directly, go off the books (Thread.plainSuspend).
 * After a wait, a killed thread unwinds instead of returning to the guest (one killed after its
 * wake-up was completed directly, see "Direct resumes", unwinds at its next kernel entry).
 */
import { errnoName, Errno, SysError } from "./errno.ts";
import { errnoOf } from "./errno-map.ts";
import { GuestTrap, type GuestMemory } from "./memory.ts";
import { holdIfStopped } from "../process/job-control.ts";
import type { Params } from "./codecs.ts";
import { wasiTable, type Completion, type SyscallRow } from "./table.ts";
import { MODULE } from "./abi.ts";
import type { Thread } from "../process/thread.ts";
import { ProcessExit, ThreadKilled } from "../process/exit.ts";
import type { Logger } from "../log.ts";
import { formatCall } from "./strace.ts";
import { DefaultIgnored, deliverSignals, signalProcess } from "../process/spawn.ts";
import { SigCode } from "../process/signals.ts";
import { ERESTARTNOINTR, ERESTARTSYS } from "./blocking.ts";

const SIGPIPE = 13;

/** A signal the kernel sends the caller for its own call (SIGPIPE): Linux's send_sig reports SI_USER from the caller. */
function raiseSignal(t: Thread, signo: number): void {
  signalProcess(t.process, signo, undefined, { code: SigCode.USER, pid: t.process.pid, status: 0 });
  if (t.killed) throw new ThreadKilled();
}
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
  if (e instanceof SysError) {
    if (e.errno === Errno.INTR) ctx.t.takeCancelWake(); // this EINTR is the one it asked for
    return e.errno;
  }
  if (e instanceof GuestTrap || e instanceof ProcessExit || e instanceof ThreadKilled || e instanceof DefaultIgnored) throw e;
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

/** The slow path: the handler waits. One promise reaction, no async-function machinery. */
function settle(ctx: SyscallContext, row: SyscallRow, p: Params, args: unknown[], pending: Promise<unknown>, tr?: Tracer): Promise<number> {
  return settler(ctx, row, p, args, tr)(pending);
}

/**
 * settle() for one import function, its two reactions made once (a wait is a thread switch:
 * two closures per wait were a fifth of what a hand-over allocates). Its arguments are fixed per
 * import function: a thread is in at most one call of it at a time.
 */
function settler(ctx: SyscallContext, row: SyscallRow, p: Params, args: unknown[], tr?: Tracer): (pending: Promise<unknown>) => Promise<number> {
  const t = ctx.t;
  const onValue = (v: unknown): number | Promise<number> => {
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
    return signalsPending(t) ? deliverThen(t, Errno.SUCCESS) : Errno.SUCCESS;
  };
  const onError = (e: unknown): number | Promise<number> => {
    afterWait(t);
    if (e === ERESTARTSYS || e === ERESTARTNOINTR) return interrupted(ctx, row, p, args, tr, e === ERESTARTNOINTR);
    const errno = toErrno(ctx, row, e);
    tr?.(args, `-1 ${errnoName(errno)}`);
    return signalsPending(t) ? deliverThen(t, errno) : errno;
  };
  return (pending) => {
    t.offCpu();
    return pending.then(onValue, onError);
  };
}

/**
 * Direct resumes (rows marked `direct`: futex_wait, sched_yield, the calls every thread switch
 * goes through, and epoll_wait, the call each request to a server wakes). The handler gets a
 * Completion made once per import function, like settler's
 * reactions: the waker calls it with the handler's result as it wakes the thread, it encodes the
 * result into guest memory there and then, and the parked stack is resumed with the import's
 * return value itself. So a switch costs one promise reaction (JSPI's own) instead of two, with
 * no closure of ours touched when the thread gets the vCPU; its CPU time starts lazily
 * (Thread.resumeLater). Whatever needs the thread's own context afterwards (an interruption, a
 * kill, signals to deliver, an out-pointer that traps) takes settler's path instead, unchanged,
 * and so does an error (`fail`: EINTR of an epoll_wait).
 */
function completer(ctx: SyscallContext, row: SyscallRow, p: Params, args: unknown[], tr: Tracer | undefined, slow: (pending: Promise<unknown>) => Promise<number>): Completion<unknown> {
  const t = ctx.t;
  const enc = row.ret.encode, show = row.ret.show, retIndex = row.retIndex;
  // The slow path's Promise rejects when the thread was killed (ThreadKilled unwinds the guest).
  // A waker whose parked call was already settled another way (a kill that unwound it, a
  // timeout) drops what we return: mark it handled, or that rejection reaches the host as an
  // unhandled one. Whoever does await it still sees the rejection.
  const slowHandled = (v: unknown): Promise<number> => {
    const pr = slow(Promise.resolve(v));
    pr.catch(() => {});
    return pr;
  };
  const complete = (v: unknown): number | Promise<number> => {
    if (t.killed || t.interruptPending || signalsPending(t)) return slowHandled(v);
    try {
      const m = ctx.mem;
      m.refresh();
      enc(m, p, retIndex, v, args);
    } catch {
      return slowHandled(v); // encodes again there, and fails there (a trap unwinds the guest)
    }
    tr?.(args, show(v) || "0");
    t.resumeLater();
    return Errno.SUCCESS;
  };
  const fail = (e: unknown): Promise<number> => {
    const pr = slow(Promise.reject(e));
    pr.catch(() => {});
    return pr;
  };
  return Object.assign(complete, { fail });
}

/**
 * A restartable call was interrupted (ERESTARTSYS, syscall/blocking.ts): run the handlers, then
 * restart the call when every one that ran had SA_RESTART (or none ran), else fail with EINTR;
 * `always` (ERESTARTNOINTR) restarts it whatever the handlers' flags. The parameters are copied first: a handler making the same call reuses this row's arrays.
 */
function interrupted(ctx: SyscallContext, row: SyscallRow, p: Params, args: unknown[], tr?: Tracer, always = false): number | Promise<number> {
  const t = ctx.t;
  const P = p.slice() as Params, A = args.slice();
  // A cancellation wake fails the call whatever SA_RESTART says (Thread.armCancelWake).
  const cancel = t.takeCancelWake();
  const d = signalsPending(t) ? deliverSignals(t) : undefined;
  if (!d) {
    if (!cancel) return restart(ctx, row, P, A, tr);
    tr?.(A, "-1 EINTR");
    return Errno.INTR;
  }
  t.offCpu();
  return d.then((eintr) => {
    afterWait(t);
    if ((always || !eintr) && !cancel) return restart(ctx, row, P, A, tr);
    tr?.(A, "-1 EINTR");
    return Errno.INTR;
  });
}

function restart(ctx: SyscallContext, row: SyscallRow, P: Params, A: unknown[], tr?: Tracer): number | Promise<number> {
  const t = ctx.t;
  try {
    // Decoded again from the raw parameters: a handler may have grown memory, which detaches the
    // views the first decode made into a non-shared memory.
    ctx.mem.refresh();
    let i = 0;
    row.args.forEach((c, k) => {
      A[k] = c.decode(ctx.mem, P, i);
      i += c.wasm.length;
    });
    const r = row.impl(t, ...(A as never[]));
    if (r instanceof Promise) return settle(ctx, row, P, A, r, tr);
    ctx.mem.refresh();
    row.ret.encode(ctx.mem, P, row.retIndex, r, A);
    tr?.(A, row.ret.show(r) || "0");
    return signalsPending(t) ? deliverThen(t, Errno.SUCCESS) : Errno.SUCCESS;
  } catch (e) {
    const errno = fail(ctx, row, A, e, tr);
    return signalsPending(t) ? deliverThen(t, errno) : errno;
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
  if (row.fast && !trace && !row.blocking) return row.fast(ctx.t, ctx);
  let fn = rawImport(ctx, row, trace);
  if (row.noreturn) {
    const inner = fn;
    fn = (...p: (number | bigint)[]) => {
      inner(...p);
      return 0;
    };
  }
  return row.blocking ? new Wasm.Suspending(fn) : fn;
}

type ImportFn = (...p: (number | bigint)[]) => number | Promise<number>;

/** The dispatch function of a row before the JSPI wrapping (tests call it directly). */
export function rawImport(ctx: SyscallContext, row: SyscallRow, trace = false): ImportFn {
  const tr: Tracer | undefined = trace ? (args, result) => ctx.log.traceRaw(formatCall(ctx.t, row, args, result)) : undefined;
  return compiledRow(row)(ctx, tr);
}
type RowFactory = (ctx: SyscallContext, tr: Tracer | undefined) => ImportFn;

const factories = new WeakMap<SyscallRow, RowFactory>();

function fail(ctx: SyscallContext, row: SyscallRow, args: unknown[], e: unknown, tr: Tracer | undefined): number {
  if (tr && e instanceof GuestTrap) tr(args, `TRAP (${e.message})`);
  if (tr && e instanceof ProcessExit) tr(args, "?");
  const errno = toErrno(ctx, row, e);
  tr?.(args, `-1 ${errnoName(errno)}`);
  // A write to a pipe or socket nobody reads: SIGPIPE to the writer (Linux, without MSG_NOSIGNAL).
  // Only for WASIX programs: preview 1 has no signals (wasmtime returns EPIPE).
  if (errno === Errno.PIPE && ctx.t.process.wasix && (row.name === "fd_write" || row.name === "fd_pwrite" || row.name === "sock_send")) raiseSignal(ctx.t, SIGPIPE);
  return errno;
}

/**
 * Signals wait for this thread's process, or it is stopped (job control: the delivery parks the
 * thread first). A kernel-less test thread has neither.
 */
function signalsPending(t: Thread): boolean {
  const p = t.process;
  const q = p.pendingSignals as number[] | undefined;
  return (q !== undefined && q.length > 0) || p.stopSignal > 0;
}

/**
 * A blocking call made while the process is stopped (job control) starts only after SIGCONT: a
 * thread resumed directly just before the stop reaches it before its next preemption check, and
 * the stop's interruption would otherwise end its wait at once (EINTR for a sleep, where Linux's
 * stopped thread just goes on sleeping). `again` is the call itself.
 */
function stopFirst(t: Thread, again: () => number | Promise<number>): Promise<number> {
  return holdIfStopped(t)!.then(again);
}

/**
 * Pending signals run their guest callback before a blocking call returns (the import may
 * return a Promise); non-blocking calls leave them for the next blocking one.
 */
function deliverThen(t: Thread, result: number): number | Promise<number> {
  const d = deliverSignals(t);
  if (!d) return result;
  t.offCpu();
  return d.then(() => {
    afterWait(t);
    return result;
  });
}

/**
 * The fast path of one row, generated from its table entry (as wiggle generates wasmtime's glue):
 * the same steps as invoke(), unrolled for the row's parameters and codecs, so every call site in
 * it sees one codec and one handler (monomorphic, inlinable) instead of the whole table's. The
 * parameter and argument arrays are reused: a thread is in at most one syscall at a time, and
 * each thread has its own import functions (rows that cannot wait share one pair per row: below).
 */
function compiledRow(row: SyscallRow): RowFactory {
  let f = factories.get(row);
  if (f) return f;
  const ps = row.params.map((_, i) => `p${i}`);
  const decodes: string[] = [];
  let i = 0;
  row.args.forEach((c, k) => {
    decodes.push(`A[${k}] = dec[${k}](m, P, ${i});`);
    i += c.wasm.length;
  });
  // A call that cannot wait runs to its end before any other kernel code (no guest code runs
  // inside it), so its parameter and argument arrays can be the row's, shared by every thread: a
  // thread's own pair is cold when 1000 threads take turns. A call that may park keeps its
  // arrays (its Completion or settler reads them when the wait ends).
  const perThread = row.blocking || row.direct;
  const done = row.direct ? ", C ??= completer(ctx, row, P, A, tr, S ??= settler(ctx, row, P, A, tr))" : "";
  const call = `impl(t${row.args.map((_, k) => `, A[${k}]`).join("")}${done})`;
  const onPromise = row.direct
    ? "t.offCpu(); return r;" // settles with the Completion's value: the import's result
    : row.blocking
      ? "return (S ??= settler(ctx, row, P, A, tr))(r);"
      : "throw new Error('kernel bug: non-blocking " + row.name + " returned a Promise');";
  const src = `
    const decs = row.args.map((c) => c.decode);
    const impl = row.impl, enc = row.ret.encode, show = row.ret.show, retIndex = row.retIndex;
    ${perThread ? "" : `const SP = new Array(${ps.length}).fill(0), SA = new Array(${row.args.length});`}
    return function factory(ctx, tr) {
      const P = ${perThread ? `new Array(${ps.length}).fill(0)` : "SP"};
      const A = ${perThread ? `new Array(${row.args.length})` : "SA"};
      const t = ctx.t;
      let S, C;
      const dec = decs;
      return function ${row.name}(${ps.join(", ")}) {
        ${ps.map((p, k) => `P[${k}] = ${p};`).join(" ")}
        if (t.killed) throw new ThreadKilled();
        ${row.blocking ? `if (t.process.stopSignal > 0) return stopFirst(t, () => ${row.name}(${ps.join(", ")}));` : ""}
        const m = ctx.mem;
        try {
          m.refresh();
          ${decodes.join("\n          ")}
          const r = ${call};
          if (r instanceof Promise) {
            ${onPromise}
          }
          enc(m, P, retIndex, r, A);
          if (tr !== undefined) tr(A, show(r) || "0");
          ${row.blocking ? "if (t.process.pendingSignals?.length > 0) return deliver(t, 0);" : ""}
          return 0;
        } catch (e) {
          const errno = fail(ctx, row, A, e, tr);
          ${row.blocking ? "if (t.process.pendingSignals?.length > 0) return deliver(t, errno);" : ""}
          return errno;
        }
      };
    };`;
  f = new Function("row", "settler", "completer", "fail", "ThreadKilled", "deliver", "stopFirst", src)(row, settler, completer, fail, ThreadKilled, deliverThen, stopFirst) as RowFactory;
  factories.set(row, f);
  return f;
}

export { MODULE as WASI_MODULE };
