/**
 * The vCPU pool, kernel side: N worker_threads (worker.ts), each with a submission ring, a
 * completion ring and a doorbell (ring.ts), and the kernel's loop that serves their requests.
 *
 * Placement: a spawned thread goes to the vCPU with the fewest live threads and stays there
 * (an instance cannot move between agents). Its kernel Thread stays here with everything else
 * of the kernel; the thread's requests run the same dispatch as on the kernel thread
 * (kernel-calls.ts), so kernel state is only ever touched on this thread and the invariant "code
 * between two awaits in the kernel is atomic" still holds. Guest memory is the only state shared
 * between agents, as on real hardware.
 *
 * The loop: read the kernel doorbell, drain every submission ring, run each request (a Promise
 * result completes when it settles), then Atomics.waitAsync on the doorbell: the event loop is
 * never blocked. Completions made in one drain ring the vCPU's doorbell once.
 *
 * Kill and signals: while a vCPU thread is not in a kernel wait, its Thread's canceller is
 * `raise`, which sets the thread's attention word; the vCPU reads it at its next preemption check
 * or local fast path and sends an attention request (KernelCalls.attention). A thread in a
 * kernel wait is interrupted by the wait's own canceller, as on the kernel thread.
 *
 * Job control: a stop raises the attention word of a thread that is not in a kernel wait
 * (Thread.remotePoke, cancelling nothing), and a request of a stopped process's thread parks
 * before it runs (process/job-control.ts): no call of a stopped process starts, and one that
 * would wait never begins its wait unparked.
 *
 * Signal handlers of a vCPU thread run in its own instance on its vCPU: the kernel's delivery
 * (process/signals.ts) finds, as the thread's exports, stand-ins that post a call to the vCPU and
 * settle when the handler returned (or unwound: then with the reason the kernel kept).
 *
 * Liveness: a worker is ref'd while it runs threads (pending doorbell waits do not keep Node
 * alive) and unref'd when idle, so an idle pool never holds the process open.
 */
import os from "node:os";
import type { Worker } from "node:worker_threads";
import { SyscallContext } from "../syscall/dispatch.ts";
import { GuestMemory } from "../syscall/memory.ts";
import { FUEL, TIME_SLICE_MS } from "../loader/kernel-imports.ts";
import { niceSliceMs } from "../sched/nice.ts";
import type { Program } from "../loader/loader.ts";
import type { WasmMemory } from "../wasm.ts";
import { Wasm } from "../wasm.ts";
import { ThreadKilled } from "../process/exit.ts";
import type { Thread } from "../process/thread.ts";
import { threadExports } from "../process/signals.ts";
import { holdIfStopped } from "../process/job-control.ts";
import type { Trap } from "../process/run.ts";
import { monotonicNs, nowMs, realtimeNs } from "../sched/clock.ts";
import { executor } from "../sched/executor.ts";
import { setRingService, setVcpuRequests } from "../sched/agents.ts";
import { Doorbell, Ring, Sender, type RingMessage, type WasmValue } from "./ring.ts";
import { Op, Status, type EndMessage, type InitMessage, type SpawnMessage } from "./protocol.ts";
import { kernelCalls, type KernelCalls } from "./kernel-calls.ts";
import { CpuSlot } from "./cpu-slot.ts";

/** Slots per ring: more requests in flight than this wait in the sender's overflow, in order. */
const RING_SLOTS = 256;

/** How the kernel turns the way a guest thread unwound into its process's fate (thread-run.ts). */
export type ThreadEnded = (t: Thread, e: unknown, program: Program) => Trap | undefined;

interface ThreadRecord {
  readonly key: number;
  readonly t: Thread;
  readonly vcpu: Vcpu;
  readonly program: Program;
  readonly calls: KernelCalls;
  readonly attention: Int32Array;
  readonly raise: () => void;
  /** Why the thread last unwound on a kernel request (exit, kill, bad pointer, a handler's default action). */
  unwind: unknown;
  readonly finish: (e: unknown) => void;
  /** Signal handlers running on the vCPU, by call id. */
  readonly handlerCalls: Map<number, { resolve: () => void; reject: (e: unknown) => void }>;
}

/**
 * (module (import "k" "f" (func (param i32))) (func (export "cb") (param i32) local.get 0 call 0)):
 * a wasm function the kernel's signal delivery can wrap with WebAssembly.promising like an export
 * of a thread's own instance; its import (a Suspending) runs the real handler on the vCPU.
 */
const STUB = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,
  0x02, 0x07, 0x01, 0x01, 0x6b, 0x01, 0x66, 0x00, 0x00,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x06, 0x01, 0x02, 0x63, 0x62, 0x00, 0x01,
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0b,
]);
let stubModule: ReturnType<typeof compileStub> | undefined;
function compileStub() {
  return new Wasm.Module(STUB);
}

class Vcpu {
  readonly index: number;
  readonly worker: Worker;
  readonly submit: Ring;
  readonly complete: Sender;
  readonly bell = new Doorbell();
  threads = 0;
  dead = false;

  constructor(index: number, kernelBell: Doorbell, spinMs: number) {
    this.index = index;
    this.submit = Ring.create(RING_SLOTS);
    this.complete = new Sender(Ring.create(RING_SLOTS), this.bell);
    // node:worker_threads is loaded at the first worker, not at start-up (~1 ms and ~120 page
    // faults of every `occlum run`, most of which never start one).
    const { Worker } = process.getBuiltinModule("node:worker_threads");
    this.worker = new Worker(new URL("./worker.ts", import.meta.url), { name: `vcpu${index}` });
    const init: InitMessage = {
      type: "init", submit: this.submit.sab, complete: this.complete.ring.sab, kernelBell: kernelBell.sab, bell: this.bell.sab,
      fuel: FUEL, realtimeOffsetNs: realtimeNs() - monotonicNs(), spinMs, cpu: index + 1,
    };
    this.worker.postMessage(init);
  }
}

function value(v: unknown): WasmValue {
  return typeof v === "number" || typeof v === "bigint" ? v : 0;
}

/** A trap reported by a vCPU, as an error of the class the kernel's trap rules know. */
function revive(m: EndMessage): Error {
  const message = m.message ?? "trap";
  const e = m.name === "RangeError" ? new RangeError(message) : m.name === "RuntimeError" ? new Wasm.RuntimeError(message) : new Error(message);
  if (m.stack) e.stack = m.stack;
  return e;
}

/**
 * An idle vCPU polls its doorbell for the busy-poll window (OCCLUM_BUSY_POLL_US, 50 µs by
 * default, 0: never; sched/executor.ts) before it sleeps on it. A completion the kernel sends
 * within that time is seen at once instead of through Atomics.waitAsync, whose wake-up (a task
 * posted to the worker's event loop) was most of a futex hand-over between a worker and the
 * kernel thread: bench/threads/vcpu.ts's cross-agent ping-pong went from ~63-85 to ~9-14 µs per
 * hand-over (bench/threads/README.md, 2026-12-04 seventh round). The kernel thread polls as long
 * after each request it served, one check per turn of its event loop (pollRings), never in a
 * spin that would hold back the coroutines the request woke: ~6.8 → ~4 µs per hand-over.
 */
export class VcpuPool {
  private readonly vcpus: Vcpu[] = [];
  private readonly kernelBell = new Doorbell();
  private readonly records = new Map<number, ThreadRecord>();
  private readonly onWorker = new WeakSet<Thread>();
  private lastKey = 0;
  private lastCall = 0;
  private looping = false;
  /** The kernel doorbell's value when the loop last read it (then served every ring). */
  private served = 0;
  /** Every vCPU has a core: the kernel thread may poll the rings after a request (pollRings). */
  private kernelPolls = false;
  private pollUntil = 0;
  private polling = false;

  constructor() {
    setVcpuRequests({
      live: () => this.records.size > 0,
      waiting: () => this.kernelBell.value !== this.served,
      busyAgents: () => {
        let n = 0;
        for (const v of this.vcpus) if (v.threads > 0) n++;
        return n;
      },
    });
    setRingService({ due: () => this.kernelBell.value !== this.served, serve: this.serve });
  }

  /** Threads started on vCPUs so far (tests, bench). */
  spawned = 0;
  /** Turns of the event loop the kernel thread spent polling the rings (tests, bench). */
  ringPolls = 0;

  /** Live threads per vCPU (tests, bench). */
  get load(): number[] {
    return this.vcpus.map((v) => v.threads);
  }

  /** The fewest live threads on any of `n` workers (one not started yet has none). */
  leastLoad(n: number): number {
    if (this.vcpus.length < n) return 0;
    let least = Infinity;
    for (let i = 0; i < n; i++) least = Math.min(least, this.vcpus[i]!.threads);
    return least;
  }

  /** Does `t` run on one of the workers? */
  hosts(t: Thread): boolean {
    return this.onWorker.has(t);
  }

  /**
   * Place `t` on the least-loaded of `n` workers that `allowed` accepts (its affinity; by worker
   * index, vCPU index - 1) and count it there at once, so that placements decided before it
   * starts (its program may still be compiling) see it. `run` starts it there; `release` undoes
   * a reservation that will not start.
   */
  reserve(n: number, t: Thread, allowed: (worker: number) => boolean = () => true): Vcpu {
    const v = this.pick(n, allowed);
    this.onWorker.add(t);
    t.vcpu = v.index + 1;
    if (v.threads++ === 0) v.worker.ref();
    return v;
  }

  release(v: Vcpu, t: Thread): void {
    this.onWorker.delete(t);
    t.vcpu = 0;
    if (--v.threads === 0) v.worker.unref();
  }

  /** Run a spawned thread on the worker `reserve` gave it; resolves when it has ended. */
  run(v: Vcpu, t: Thread, startArg: number, program: Program, memory: WasmMemory, ended: ThreadEnded): Promise<Trap | undefined> {
    return new Promise<Trap | undefined>((resolve) => {
      try {
        this.start(v, t, startArg, program, memory, (e) => resolve(e === undefined ? undefined : ended(t, e, program)));
      } catch (e) {
        // Never started: it must not hold its worker's count (a ref'd worker keeps Node alive).
        this.release(v, t);
        throw e;
      }
    });
  }

  /** Register `t` and post its spawn to its worker. */
  private start(v: Vcpu, t: Thread, startArg: number, program: Program, memory: WasmMemory, finish: ThreadRecord["finish"]): void {
    const key = (this.lastKey = (this.lastKey + 1) & 0x7fffffff || 1);
    const attention = new SharedArrayBuffer(8);
    const word = new Int32Array(attention);
    const slice = () => Atomics.store(word, 1, Math.round(niceSliceMs(TIME_SLICE_MS, t.nice, t.schedPolicy) * 1000));
    slice();
    const cpu = new CpuSlot();
    const ctx = new SyscallContext(t, t.process.kernel.log);
    // The process's one view of its memory (see thread-run.ts sharedView).
    ctx.mem = t.process.memory?.memory === memory ? t.process.memory : new GuestMemory(memory);
    const rec: ThreadRecord = {
      key, t, vcpu: v, program, calls: kernelCalls(program, ctx, t.process.kernel.trace), attention: word,
      raise: () => Atomics.store(word, 0, 1), unwind: undefined, finish, handlerCalls: new Map(),
    };
    const spawn: SpawnMessage = {
      type: "spawn", key, tid: t.tid, startArg, module: program.module, memory, imports: program.imports,
      fuelExport: program.fuelExport, attention, cpu: cpu.buffer,
    };
    v.worker.postMessage(spawn);
    // Replies come through the event loop, after this: the record is there for them.
    this.records.set(key, rec);
    // Signal handlers of this thread run in its own instance, on its vCPU (process/signals.ts).
    threadExports.set(t, this.remoteExports(rec));
    t.setCanceller(rec.raise);
    t.remoteCpuMs = () => cpu.readMs();
    t.schedChanged = slice;
    t.remotePoke = rec.raise; // a stop asks it in without cancelling a kernel wait (job-control.ts)
    if (t.killed) rec.raise();
    this.spawned++;
  }

  /** Stand-ins for the exports of a vCPU thread's instance: calling one runs the export there. */
  private remoteExports(rec: ThreadRecord): Record<string, unknown> {
    const made = new Map<string, unknown>();
    return new Proxy({}, {
      get: (_target, name) => {
        if (typeof name !== "string") return undefined;
        let f = made.get(name);
        if (!f) {
          const run = (arg: number): Promise<void> => new Promise<void>((resolve, reject) => {
            const callId = (this.lastCall = (this.lastCall + 1) & 0x7fffffff || 1);
            rec.handlerCalls.set(callId, { resolve, reject });
            if (rec.vcpu.dead) return reject(new ThreadKilled());
            rec.vcpu.worker.postMessage({ type: "call", key: rec.key, callId, name, arg });
          });
          stubModule ??= compileStub();
          f = new Wasm.Instance(stubModule, { k: { f: new Wasm.Suspending(run) } }).exports.cb;
          made.set(name, f);
        }
        return f;
      },
    });
  }

  private pick(n: number, allowed: (worker: number) => boolean): Vcpu {
    let best: Vcpu | undefined;
    for (let i = 0; i < n; i++) {
      if (!allowed(i)) continue;
      while (this.vcpus.length <= i) this.vcpus.push(this.startVcpu(this.vcpus.length, n));
      if (best === undefined || this.vcpus[i]!.threads < best.threads) best = this.vcpus[i]!;
    }
    if (best === undefined) throw new Error("kernel bug: no worker allowed by the thread's affinity");
    return best;
  }

  /** `n` workers in all: they poll before they sleep only if they and the kernel thread each have a core. */
  private startVcpu(index: number, n: number): Vcpu {
    // A worker takes the busy-poll window as it is when it starts; the kernel thread's own polls
    // read it at each request.
    this.kernelPolls = n + 1 <= os.availableParallelism();
    const v = new Vcpu(index, this.kernelBell, this.kernelPolls ? executor.busyPollUs / 1000 : 0);
    v.worker.on("message", (m: EndMessage) => this.ended(m));
    v.worker.on("error", (e: Error) => this.failed(v, e));
    v.worker.on("exit", () => this.failed(v, new Error("vCPU worker exited")));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    v.worker.unref();
    if (!this.looping) {
      this.looping = true;
      this.loop();
    }
    return v;
  }

  /** Serve every vCPU's submission ring once (the loop, and the executor between coroutine runs). */
  private readonly serve = (): number => {
    const seen = (this.served = this.kernelBell.value);
    let n = 0;
    for (const v of this.vcpus) if (!v.dead) n += this.service(v);
    if (n > 0 && this.kernelPolls) this.pollRings();
    return seen;
  };

  /**
   * A request came: more are likely soon (the other half of a hand-over). For the busy-poll
   * window (OCCLUM_BUSY_POLL_US) the event loop keeps turning (a setImmediate per turn, so libuv
   * polls without sleeping and the coroutines the requests woke run between turns), and each
   * turn serves a rung doorbell itself.
   */
  private pollRings(): void {
    const ms = executor.busyPollUs / 1000;
    if (ms === 0) return;
    this.pollUntil = nowMs() + ms;
    if (this.polling) return;
    this.polling = true;
    setImmediate(this.pollTurn);
  }

  private readonly pollTurn = (): void => {
    this.ringPolls++;
    if (this.kernelBell.value !== this.served) this.serve();
    if (nowMs() < this.pollUntil && this.records.size > 0) setImmediate(this.pollTurn);
    else this.polling = false;
  };

  /** The kernel's service loop over every vCPU's submission ring (see the header). */
  private readonly loop = (): void => {
    for (;;) {
      const seen = this.serve();
      const w = this.kernelBell.waitAsync(seen);
      if (w) {
        void w.then(this.loop);
        return;
      }
    }
  };

  /** Serve one vCPU's submission ring; returns the requests it held. */
  private service(v: Vcpu): number {
    let n = 0;
    v.complete.batch(() => (n = v.submit.drain((m) => this.request(m))));
    if (v.submit.takeWantSpace()) v.bell.ring();
    v.complete.flush();
    return n;
  }

  private request(m: RingMessage): void {
    const rec = this.records.get(m.key);
    if (!rec) return; // a thread's requests all complete before it can end
    let r: unknown;
    try {
      if (m.op === Op.attention) {
        Atomics.store(rec.attention, 0, 0);
        r = rec.calls.attention();
      } else {
        const call = rec.calls.calls[m.op];
        if (!call) throw new Error(`vCPU request for import ${m.op}, which is not a function`);
        const held = holdIfStopped(rec.t);
        r = held ? held.then(() => call(...m.args)) : call(...m.args);
      }
    } catch (e) {
      this.complete(rec, m.id, Status.unwind, e);
      return;
    }
    if (r instanceof Promise) {
      r.then(
        (x: unknown) => this.complete(rec, m.id, Status.ok, x),
        (e: unknown) => this.complete(rec, m.id, Status.unwind, e),
      );
    } else {
      this.complete(rec, m.id, Status.ok, r);
    }
  }

  private complete(rec: ThreadRecord, id: number, status: number, v: unknown): void {
    if (status === Status.unwind) rec.unwind = v;
    // Back in the guest: a kill or a signal now raises the attention word.
    else rec.t.setCanceller(rec.raise);
    if (rec.vcpu.dead) return;
    rec.vcpu.complete.send({ id, key: rec.key, op: status, args: status === Status.ok ? [value(v)] : [] });
  }

  private ended(m: EndMessage): void {
    const rec = this.records.get(m.key);
    if (!rec) return;
    if (m.type === "called") {
      const c = rec.handlerCalls.get(m.callId!);
      if (!c) return;
      rec.handlerCalls.delete(m.callId!);
      if (m.how === "return") c.resolve();
      else c.reject(m.how === "unwound" ? (rec.unwind ?? new ThreadKilled()) : revive(m));
      return;
    }
    this.forget(rec);
    if (m.how === "return") rec.finish(undefined);
    else if (m.how === "unwound") rec.finish(rec.unwind ?? new ThreadKilled());
    else rec.finish(revive(m));
  }

  private forget(rec: ThreadRecord): void {
    this.records.delete(rec.key);
    rec.t.setCanceller(undefined);
    rec.t.remotePoke = undefined;
    for (const c of rec.handlerCalls.values()) c.reject(new ThreadKilled());
    rec.handlerCalls.clear();
    if (--rec.vcpu.threads === 0) rec.vcpu.worker.unref();
  }

  /** A worker died (a bug, never a guest fault): its threads die as by a trap; the next spawn starts a new one. */
  private failed(v: Vcpu, e: Error): void {
    if (v.dead) return;
    v.dead = true;
    const i = this.vcpus.indexOf(v);
    if (i >= 0) this.vcpus.splice(i, 1);
    for (const rec of [...this.records.values()]) {
      if (rec.vcpu !== v) continue;
      rec.t.process.kernel.log.error(`vCPU ${v.index} failed: ${e.stack ?? e.message}`);
      this.forget(rec);
      rec.finish(e);
    }
  }
}
