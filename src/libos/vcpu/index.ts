/**
 * N vCPUs: the threads of one process run in parallel on worker_threads (sched/README.md,
 * "N vCPUs"). The kernel stays on the main JS thread, which is vCPU 0: a process's main thread
 * runs there, and so does a spawned thread placed there. A spawned thread (wasi-threads
 * thread-spawn, WASIX thread_spawn_v2) placed on a vCPU worker has its kernel calls come back
 * through rings (ring.ts, pool.ts, worker.ts).
 *
 * How many: the host variable OCCLUM_VCPUS (read once, at the first spawn), or setVcpuCount().
 * Unset (the default) or "auto" means one vCPU per host core (os.availableParallelism()). 1 is a
 * single vCPU: every thread is a coroutine on the kernel thread (no workers). N >= 2 is the kernel
 * thread plus N-1 vCPU workers, started when a thread is first placed on them.
 *
 * Placement (decided when a spawned thread first gets to run; an instance never moves between
 * agents afterwards): "affine", the default, starts a thread spawned from the kernel thread right
 * there, next to its spawner, so threads handing over through futexes stay coroutine switches of
 * one run queue, unless a CPU-bound thread runs on the kernel thread (one preempted after a whole
 * slice of computing that has not waited since: process/thread.ts kernelThreadBusy); then, and
 * for threads spawned on a worker, it goes to the worker with the fewest live threads. Affine
 * placement cannot see that threads which wait before they compute (a thread pool's workers, a
 * start barrier) will compute: they all stay on the kernel thread, and an instance never moves.
 * "balance" is for such programs: a thread spawned from the kernel thread goes to the
 * least-loaded worker when it has fewer live threads than the kernel thread has of the process
 * (main included), else stays. "spread" sends every spawned thread to a worker (tests of the
 * worker path). The host variable OCCLUM_VCPU_PLACEMENT (read once, at the first spawn) or
 * setVcpuPlacement() chooses; the default is affine.
 */
import os from "node:os";
import { withFences, type Program } from "../loader/loader.ts";
import type { Trap } from "../process/run.ts";
import type { Thread } from "../process/thread.ts";
import { Wasm, type WasmMemory } from "../wasm.ts";
import { kernelThreadBusy } from "../process/thread.ts";
import { VcpuPool, type ThreadEnded } from "./pool.ts";

/** More workers than this is a configuration mistake, not a machine. */
export const MAX_VCPUS = 256;

let count: number | undefined;
let pool: VcpuPool | undefined;

export type Placement = "affine" | "balance" | "spread";
const PLACEMENTS: readonly Placement[] = ["affine", "balance", "spread"];
let chosen: Placement | undefined;

/** Choose how spawned threads are placed from now on (see the header). */
export function setVcpuPlacement(p: Placement): void {
  if (!PLACEMENTS.includes(p)) throw new RangeError(`vCPU placement ${JSON.stringify(p)} is not one of ${PLACEMENTS.join(", ")}`);
  chosen = p;
}

/** OCCLUM_VCPU_PLACEMENT as a placement: unset or empty → affine. */
export function parsePlacement(value: string | undefined): Placement {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "") return "affine";
  if (!(PLACEMENTS as readonly string[]).includes(v)) {
    throw new RangeError(`OCCLUM_VCPU_PLACEMENT must be one of ${PLACEMENTS.join(", ")}, not ${JSON.stringify(value)}`);
  }
  return v as Placement;
}

/** The placement in effect. */
export function vcpuPlacement(): Placement {
  if (chosen === undefined) {
    try {
      chosen = parsePlacement(process.env.OCCLUM_VCPU_PLACEMENT);
    } catch (e) {
      process.stderr.write(`warning: ${(e as Error).message}; placing threads affine\n`);
      chosen = "affine";
    }
  }
  return chosen;
}

/**
 * Whether code without atomic.fence on the kernel thread may share memory with fenced code on
 * workers. On x86-64 a wasm plain load or store is an ordinary mov and a wasm atomic store or
 * read-modify-write a locked instruction (a full barrier), so dropping a fence only lets a plain
 * load pass an earlier plain store of the same thread. The libc has one such pattern, musl's
 * a_store (fence, store, fence) followed by a load of a waiter count (__tl_unlock): with the
 * fence gone the unlocker may miss a waiter that just counted itself, but that waiter's futex
 * wait checks the word on the kernel thread, the very thread whose store is pending, which sees
 * it: the wait returns at once instead of being lost. Elsewhere (weaker memory models, where
 * plain stores may also pass each other) a fence-free program keeps its threads on the kernel
 * thread.
 */
const MIXED_FENCES_OK = process.arch === "x64";

/**
 * May a program compiled now drop its fences (sched/agents.ts)? With one vCPU, and with affine
 * placement where mixing is sound: its main thread and the threads placed next to it run without
 * fences, a thread placed on a worker gets the fenced variant (loader.withFences).
 */
export function fenceFreeNow(): boolean {
  return vcpuCount() <= 1 || (vcpuPlacement() !== "spread" && MIXED_FENCES_OK);
}

/** One vCPU per host core: the default. */
function hostCores(): number {
  return Math.min(MAX_VCPUS, Math.max(1, os.availableParallelism()));
}

/** OCCLUM_VCPUS as a count: unset, empty or "auto" → host cores; else an integer in [1, MAX_VCPUS]. */
export function parseVcpus(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return hostCores();
  const v = value.trim().toLowerCase();
  if (v === "auto") return hostCores();
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > MAX_VCPUS) {
    throw new RangeError(`OCCLUM_VCPUS must be "auto" or an integer from 1 to ${MAX_VCPUS}, not ${JSON.stringify(value)}`);
  }
  return Number(v);
}

/** The vCPU count in effect. */
export function vcpuCount(): number {
  if (count === undefined) {
    try {
      count = parseVcpus(process.env.OCCLUM_VCPUS);
    } catch (e) {
      process.stderr.write(`warning: ${(e as Error).message}; running with 1 vCPU\n`);
      count = 1;
    }
  }
  return count;
}

/** Set the vCPU count for threads spawned from now on (tests, embedders). */
export function setVcpuCount(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_VCPUS) throw new RangeError(`vCPU count ${n} out of [1, ${MAX_VCPUS}]`);
  count = n;
}

/** Threads started on vCPU workers so far, and the live threads per worker (vCPU 1..N-1; tests, bench). */
export function vcpuStats(): { spawned: number; load: number[]; ringPolls: number } {
  return { spawned: pool?.spawned ?? 0, load: pool?.load ?? [], ringPolls: pool?.ringPolls ?? 0 };
}

const startsThreads = new WeakMap<object, boolean>();

/**
 * thread-run.ts's hook: run a spawned thread on a vCPU worker, or return undefined to run it
 * on the kernel thread (one vCPU, or a module without wasi_thread_start: the kernel-thread
 * runner reports that error).
 */
export function runOnVcpu(t: Thread, startArg: number, program: Program, memory: WasmMemory, ended: ThreadEnded): Promise<Trap | undefined> | undefined {
  const n = vcpuCount();
  if (n <= 1) return undefined;
  let ok = startsThreads.get(program.module);
  if (ok === undefined) {
    ok = Wasm.Module.exports(program.module).some((e) => e.name === "wasi_thread_start" && e.kind === "function");
    startsThreads.set(program.module, ok);
  }
  if (!ok) return undefined;
  // CPU affinity (sched_setaffinity, pthread_setaffinity_np before the thread first runs, or its
  // creator's): vCPU 0 is the kernel thread, vCPU i the worker i - 1.
  const mask = t.affinity;
  const allowed = (worker: number): boolean => mask === undefined || ((mask >> BigInt(worker + 1)) & 1n) !== 0n;
  let anyWorker = false;
  for (let i = 0; i < n - 1 && !anyWorker; i++) anyWorker = allowed(i);
  if (!anyWorker) return undefined;
  pool ??= new VcpuPool();
  if (mask === undefined || (mask & 1n) !== 0n) {
    const placement = vcpuPlacement();
    const fromKernelThread = !(t.spawner && pool.hosts(t.spawner));
    if (placement === "affine" && fromKernelThread && !kernelThreadBusy()) return undefined;
    if (placement === "balance" && fromKernelThread && pool.leastLoad(n - 1) >= kernelThreadLoad(t)) return undefined;
  }
  const p = pool;
  if (!program.singleAgent) return p.run(p.reserve(n - 1, t, allowed), t, startArg, program, memory, ended);
  if (!MIXED_FENCES_OK) return undefined;
  const v = p.reserve(n - 1, t, allowed);
  return withFences(program).then(
    (fenced) => p.run(v, t, startArg, fenced, memory, ended),
    (e: unknown) => {
      p.release(v, t);
      throw e;
    },
  );
}

/** Live threads of `t`'s process on the kernel thread, `t` aside (balance placement). */
function kernelThreadLoad(t: Thread): number {
  let n = 0;
  for (const x of t.process.threads) if (x !== t && !x.killed && !pool!.hosts(x)) n++;
  return n;
}
