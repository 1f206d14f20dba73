/**
 * A vCPU: the entry of one worker_thread running guest threads as JSPI coroutines on its own
 * executor (sched/executor.ts: a run queue per agent), in parallel with the kernel thread and the
 * other vCPUs, on the process's shared memory.
 *
 * A guest thread is instantiated here (the module and the shared memory are posted by the kernel)
 * and stays here. Every import is a proxy: it writes the call into the submission ring and the
 * coroutine suspends until the completion with its id comes back; meanwhile the vCPU runs its other
 * ready coroutines. Kernel state is never touched here: the kernel runs the table's handler on the
 * thread's kernel Thread, reading and writing guest memory directly (it maps the same memory).
 *
 * Local fast paths (no kernel state involved): yield_check (fuel refill, time slice, preemption
 * on this vCPU's run queue), sched_yield (this run queue), clock_time_get of REALTIME and
 * MONOTONIC, wasix thread_id, occlum sched_getcpu, and a futex wait whose word already differs (the kernel would
 * return "not equal" too). Each of them first looks at the thread's attention word, which the
 * kernel sets to kill the thread or deliver a signal; then the call goes to the kernel instead.
 *
 * Outside a coroutine (the module's start function runs during instantiation) a proxy cannot
 * suspend: it blocks this worker on its doorbell until the completion arrives (Atomics.wait is
 * allowed in workers; the kernel thread never blocks).
 */
import { parentPort } from "node:worker_threads";
import { executor } from "../sched/executor.ts";
import { Wasm, type WasmMemory } from "../wasm.ts";
import type { ImportInfo, ValType } from "../loader/wasm-info.ts";
import { Doorbell, MAX_ARGS, Ring, Sender, type RingMessage, type WasmValue } from "./ring.ts";
import { Op, Status, type CallMessage, type EndMessage, type InitMessage, type SpawnMessage, type ToVcpu } from "./protocol.ts";
import { nowMs } from "../sched/clock.ts";
import { setRingService } from "../sched/agents.ts";
import { CpuSlot } from "./cpu-slot.ts";
import { CHECKS_PER_SLICE, FIRST_GRANT_SHARE, scaleGrant } from "../loader/fuel-grant.ts";

/** A kernel request unwound this thread; the kernel holds the reason (exit, kill, fault). */
class Unwound extends Error {}

interface VThread {
  readonly key: number;
  readonly tid: number;
  readonly attention: Int32Array;
  readonly memory: WasmMemory;
  running: boolean;
  sliceStart: number;
  /** Its CPU time: on while one of its stacks (the thread's, a handler's) runs here. */
  readonly cpu: CpuSlot;
  /** cpu.on(), made once (plainReturn queues it). */
  readonly cpuOn: () => void;
  fuel: { value: number } | undefined;
  /** Its last fuel grant and its held time (CpuSlot.heldMs) when it was given (scaled to a short slice: fuel-grant.ts). */
  grant: number;
  lastCheckMs: number;
  /** A view of the memory for the local paths (replaced when the memory grew). */
  view: DataView;
  exports: Record<string, unknown> | undefined;
  /** Exports wrapped for JSPI (signal handlers), by name. */
  readonly runners: Map<string, (arg: number) => Promise<unknown>>;
}

const threads = new Map<number, VThread>();

interface Waiter {
  resolve(v: WasmValue): void;
  reject(e: unknown): void;
}

let cfg: InitMessage;
let submit: Sender;
let complete: Ring;
let bell: Doorbell;
let kernelBell: Doorbell;
const pending = new Map<number, Waiter>();
let lastId = 0;
let armed = false;
/** The doorbell's value when the completion ring was last served. */
let served = 0;

const port = parentPort!;
port.on("message", (m: ToVcpu) => {
  if (m.type === "init") init(m);
  else if (m.type === "spawn") spawn(m);
  else call(m);
});

function init(m: InitMessage): void {
  cfg = m;
  kernelBell = new Doorbell(m.kernelBell);
  bell = new Doorbell(m.bell);
  submit = new Sender(new Ring(m.submit), kernelBell);
  complete = new Ring(m.complete);
  // Completions that arrive while this vCPU's coroutines switch in a streak are served between them.
  setRingService({ due: () => pending.size > 0 && bell.value !== served, serve: service });
}

function nextId(): number {
  lastId = (lastId + 1) & 0x7fffffff || 1;
  return lastId;
}

function onCompletion(m: RingMessage): void {
  const w = pending.get(m.id);
  if (!w) return;
  pending.delete(m.id);
  if (m.op === Status.ok) w.resolve(m.args[0] ?? 0);
  else w.reject(new Unwound());
}

/** One pass over the completion ring and the submission backlog. */
function service(): void {
  served = bell.value;
  complete.drain(onCompletion);
  if (complete.takeWantSpace()) kernelBell.ring();
  submit.flush();
}

/**
 * Keep a doorbell wait armed while requests are in flight; never blocks the event loop. With
 * `spin`, first poll the doorbell for cfg.spinMs from a macrotask (after every coroutine ready
 * on this vCPU has run: an idle vCPU, not a busy one, spends the time), so a prompt completion
 * skips Atomics.waitAsync's wake-up.
 */
function pump(spin = true): void {
  armed = false;
  for (;;) {
    const seen = bell.value;
    service();
    if (pending.size === 0 && submit.backlog === 0) return;
    armed = true;
    if (spin && cfg.spinMs > 0) {
      setImmediate(poll, seen);
      return;
    }
    const w = bell.waitAsync(seen);
    if (w) {
      void w.then(wake);
      return;
    }
    armed = false;
  }
}

function wake(): void {
  pump();
}

/** Poll the doorbell for cfg.spinMs; sleep on it (pump without spin) if it did not ring. */
function poll(seen: number): void {
  const until = performance.now() + cfg.spinMs;
  while (bell.value === seen && performance.now() < until);
  pump(bell.value !== seen);
}

function forward(th: VThread, op: number, args: WasmValue[], conv: (v: WasmValue) => unknown): unknown {
  const msg: RingMessage = { id: nextId(), key: th.key, op, args: args.length > MAX_ARGS ? args.slice(0, MAX_ARGS) : args };
  if (!th.running) return forwardSync(msg, conv);
  return new Promise((resolve, reject) => {
    pending.set(msg.id, {
      // The resume goes through this vCPU's run queue, like every other wake.
      resolve: (v) => executor.wake(() => {
        th.sliceStart = nowMs();
        th.cpu.on(th.sliceStart);
        resolve(conv(v));
      }),
      reject: (e) => executor.wake(() => reject(e)),
    });
    submit.send(msg);
    th.cpu.off();
    if (!armed) pump();
  });
}

function forwardSync(msg: RingMessage, conv: (v: WasmValue) => unknown): unknown {
  let done: { v: WasmValue } | { unwind: true } | undefined;
  pending.set(msg.id, { resolve: (v) => (done = { v }), reject: () => (done = { unwind: true }) });
  submit.send(msg);
  for (;;) {
    const seen = bell.value;
    service();
    if (done) break;
    bell.waitSync(seen);
  }
  if ("unwind" in done) throw new Unwound();
  return conv(done.v);
}

function converter(t: ValType | undefined): (v: WasmValue) => unknown {
  if (t === undefined) return () => undefined;
  if (t === "i64") return (v) => (typeof v === "bigint" ? v : BigInt(Math.trunc(v)));
  if (t === "i32") return (v) => Number(v) | 0;
  return (v) => Number(v);
}

const none = converter(undefined);

function wantsAttention(th: VThread): boolean {
  return Atomics.load(th.attention, 0) !== 0;
}

/** The memory view, reloaded when [ptr, ptr+len) lies past it (another agent grew the memory). */
function viewFor(th: VThread, ptr: number, len: number, align: number): DataView | undefined {
  if (ptr % align !== 0) return undefined;
  if (ptr + len > th.view.byteLength) th.view = new DataView(th.memory.buffer);
  return ptr + len <= th.view.byteLength ? th.view : undefined;
}

/**
 * A local fast path returns a plain value to its Suspending import: V8 suspends the thread all the
 * same and runs what its microtask queue holds first, and on this vCPU that is the run queue's
 * (every resume goes through executor.wake). So when anything is queued this is a switch, and
 * the thread's CPU clock stops until its own resume, queued behind them (a microtask queued now
 * runs before the resume V8 queues as the import returns).
 */
function plainReturn<T>(th: VThread, v: T): T {
  if (executor.readyCount > 0) {
    th.cpu.off();
    queueMicrotask(th.cpuOn);
  }
  return v;
}

function yieldCheck(th: VThread): unknown {
  const sliceUs = Atomics.load(th.attention, 1);
  if (th.fuel) {
    const now = nowMs();
    // Grants scaled to last a quarter of the thread's slice (loader/fuel-grant.ts).
    const held = th.cpu.heldMs(now);
    th.grant = scaleGrant(th.grant, held - th.lastCheckMs, sliceUs / 1000 / CHECKS_PER_SLICE, cfg.fuel / 1024, cfg.fuel * 64);
    th.lastCheckMs = held;
    th.fuel.value = th.grant;
  }
  if (wantsAttention(th)) return forward(th, Op.attention, [], none);
  if (!th.running) return undefined;
  // The slice (attention[1], µs) follows the thread's nice value, which the kernel may change.
  if ((nowMs() - th.sliceStart) * 1000 < sliceUs) return plainReturn(th, undefined);
  // A whole slice without suspending: behind the other ready coroutines of this vCPU.
  th.cpu.off();
  return executor.preempt().then(() => {
    th.sliceStart = nowMs();
    th.cpu.on(th.sliceStart);
  });
}

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;

/** A call answered here with a constant u32 written to its out pointer (0 = success). */
function u32Answer(th: VThread, call: (...a: WasmValue[]) => unknown, value: number): (out: WasmValue) => unknown {
  return (out) => {
    const ptr = (out as number) >>> 0;
    const dv = viewFor(th, ptr, 4, 4);
    if (!dv || wantsAttention(th)) return call(out);
    dv.setUint32(ptr, value, true);
    return plainReturn(th, 0);
  };
}

/** The proxy of import `index`; a few calls have a local fast path (see the header). */
function proxy(th: VThread, index: number, imp: ImportInfo & { kind: "function" }): (...a: WasmValue[]) => unknown {
  const conv = converter(imp.type.results[0]);
  const call = (...args: WasmValue[]): unknown => forward(th, index, args, conv);
  switch (`${imp.module}.${imp.name}`) {
    case "occlum.yield_check":
      return () => yieldCheck(th);
    case "occlum.futex_wait32":
    case "occlum.futex_wait64": {
      const wide = imp.name === "futex_wait64";
      return (addr, expected, timeout) => {
        const a = (addr as number) >>> 0;
        const dv = viewFor(th, a, wide ? 8 : 4, wide ? 8 : 4);
        if (dv && !wantsAttention(th)) {
          const now = wide ? dv.getBigInt64(a, true) : dv.getInt32(a, true);
          if (now !== expected) return plainReturn(th, 1); // "not-equal", as the kernel would answer
        }
        return call(addr!, expected!, timeout!);
      };
    }
    case "wasi_snapshot_preview1.sched_yield":
      return () => {
        if (wantsAttention(th) || !th.running) return call();
        th.cpu.off();
        return executor.yieldNow().then(() => {
          th.sliceStart = nowMs();
          th.cpu.on(th.sliceStart);
          return 0;
        });
      };
    case "wasi_snapshot_preview1.clock_time_get":
      return (id, precision, out) => {
        const ptr = (out as number) >>> 0;
        const dv = viewFor(th, ptr, 8, 8);
        if (!dv || wantsAttention(th) || (id !== CLOCK_MONOTONIC && id !== CLOCK_REALTIME)) return call(id!, precision!, out!);
        const mono = process.hrtime.bigint();
        dv.setBigUint64(ptr, id === CLOCK_MONOTONIC ? mono : mono + cfg.realtimeOffsetNs, true);
        return plainReturn(th, 0);
      };
    case "occlum.sched_getcpu":
      return u32Answer(th, call, cfg.cpu);
    case "wasix_32v1.thread_id":
      return u32Answer(th, call, th.tid);
    default:
      return call;
  }
}

function spawn(s: SpawnMessage): void {
  const cpu = new CpuSlot(s.cpu);
  const th: VThread = {
    key: s.key, tid: s.tid, attention: new Int32Array(s.attention), memory: s.memory,
    running: false, sliceStart: nowMs(), cpu, cpuOn: () => cpu.on(), fuel: undefined, grant: cfg.fuel, lastCheckMs: 0, view: new DataView(s.memory.buffer),
    exports: undefined, runners: new Map(),
  };
  threads.set(th.key, th);
  let entry: unknown;
  try {
    const imports: Record<string, Record<string, unknown>> = {};
    s.imports.forEach((imp, i) => {
      const ns = (imports[imp.module] ??= {});
      if (imp.kind === "memory") ns[imp.name] = s.memory;
      else if (imp.kind === "function") ns[imp.name] = new Wasm.Suspending(proxy(th, i, imp));
    });
    const instance = new Wasm.Instance(s.module, imports);
    th.exports = instance.exports;
    if (s.fuelExport) th.fuel = instance.exports[s.fuelExport] as { value: number };
    entry = instance.exports.wasi_thread_start;
    if (typeof entry !== "function") throw new Wasm.RuntimeError("thread-spawn: the module exports no wasi_thread_start");
  } catch (e) {
    end(th, e);
    return;
  }
  const start = Wasm.promising(entry as Function);
  executor.wake(() => {
    th.running = true;
    th.sliceStart = nowMs();
    if (th.fuel) {
      // The first grant is small (loader/fuel-grant.ts FIRST_GRANT_SHARE).
      th.fuel.value = th.grant = Math.round(cfg.fuel * FIRST_GRANT_SHARE);
      th.lastCheckMs = th.cpu.heldMs(th.sliceStart);
    }
    th.cpu.on(th.sliceStart);
    start(s.tid, s.startArg).then(() => end(th, undefined), (e: unknown) => end(th, e));
  });
}

function outcome(type: "end" | "called", key: number, e: unknown): EndMessage {
  if (e === undefined) return { type, key, how: "return" };
  if (e instanceof Unwound) return { type, key, how: "unwound" };
  const err = e as Error;
  return { type, key, how: "trap", name: err?.name ?? "Error", message: err?.message ?? String(e), stack: String(err?.stack ?? "") };
}

function end(th: VThread, e: unknown): void {
  th.running = false;
  th.cpu.off();
  threads.delete(th.key);
  port.postMessage(outcome("end", th.key, e));
}

/**
 * The kernel delivers a signal to a thread of this vCPU: its handler runs in the thread's own
 * instance (its stack pointer and TLS), on a new JSPI stack, while the thread itself is parked
 * (in a kernel call or this run queue). Its kernel calls go through the rings like the thread's.
 */
function call(m: CallMessage): void {
  const th = threads.get(m.key);
  const done = (e: unknown): void => {
    const msg = outcome("called", m.key, e);
    msg.callId = m.callId;
    port.postMessage(msg);
  };
  const fn = th?.exports?.[m.name];
  if (!th || typeof fn !== "function") {
    done(new Wasm.RuntimeError(`no export ${m.name} to call`));
    return;
  }
  let run = th.runners.get(m.name);
  if (!run) th.runners.set(m.name, (run = Wasm.promising(fn) as (arg: number) => Promise<unknown>));
  const runner = run;
  executor.wake(() => {
    // The handler's time is the thread's (it runs in the thread's instance while the thread is parked).
    th.cpu.on();
    runner(m.arg).then(() => {
      th.cpu.off();
      done(undefined);
    }, (e: unknown) => {
      th.cpu.off();
      done(e);
    });
  });
}
