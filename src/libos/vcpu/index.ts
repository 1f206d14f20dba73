/**
 * N vCPUs: the threads of one process run in parallel on worker_threads (sched/README.md,
 * "N vCPUs"). The kernel stays on the main JS thread; a spawned thread (wasi-threads
 * thread-spawn, WASIX thread_spawn_v2) runs on a vCPU worker and its kernel calls come back
 * through rings (ring.ts, pool.ts, worker.ts). A process's main thread stays on the kernel thread.
 *
 * How many: the host variable OCCLUM_VCPUS (read once, at the first spawn), or setVcpuCount().
 * 1, the default, is today's single vCPU: every thread is a coroutine on the kernel thread (no
 * workers). N >= 2 starts N vCPU workers (lazily) and spreads spawned threads over them.
 * "auto" means one per host core (os.availableParallelism()).
 */
import os from "node:os";
import type { Program } from "../loader/loader.ts";
import type { Trap } from "../process/run.ts";
import type { Thread } from "../process/thread.ts";
import { Wasm, type WasmMemory } from "../wasm.ts";
import { VcpuPool, type ThreadEnded } from "./pool.ts";

/** More workers than this is a configuration mistake, not a machine. */
export const MAX_VCPUS = 256;

let count: number | undefined;
let pool: VcpuPool | undefined;

/** OCCLUM_VCPUS as a count: unset or empty → 1; "auto" → host cores; else an integer in [1, MAX_VCPUS]. */
export function parseVcpus(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 1;
  const v = value.trim().toLowerCase();
  if (v === "auto") return Math.min(MAX_VCPUS, Math.max(1, os.availableParallelism()));
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

/** Threads started on vCPU workers so far, and the live threads per worker (tests, bench). */
export function vcpuStats(): { spawned: number; load: number[] } {
  return { spawned: pool?.spawned ?? 0, load: pool?.load ?? [] };
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
  pool ??= new VcpuPool();
  return pool.run(n, t, startArg, program, memory, ended);
}
