/**
 * The `occlum` imports the load-time instrumenter (loader/instrument) adds to a module:
 *
 * - yield_check(): called every few million loop iterations of guest code (fuel checks). It
 *   refills the fuel global, unwinds a killed thread (so `while (1);` can be killed), and, once the
 *   thread has run for a whole time slice without suspending, preempts it: the thread resumes from
 *   a macrotask, after the event loop and the other ready coroutines. It never suspends while the
 *   module's start function runs (that runs outside `promising`).
 * - futex_wait32/64, futex_notify: the rewritten memory.atomic.wait/notify. With one thread per
 *   process (until wasi-threads, issue 6) nobody else can notify: a wait on a non-shared memory
 *   traps as the instruction does, a wait whose value differs returns 1 ("not-equal"), a timed
 *   wait sleeps and returns 2 ("timed-out"), an untimed one parks until the thread is killed.
 */
import { KernelImport } from "./instrument/instrument.ts";
import { executor } from "../sched/executor.ts";
import { sleepUntil, waitAny } from "../sched/wait-queue.ts";
import { ThreadKilled } from "../process/exit.ts";
import type { Thread } from "../process/thread.ts";
import type { GuestMemory } from "../syscall/memory.ts";
import { Wasm } from "../wasm.ts";

/** Time a guest thread may compute before it is preempted. */
export const TIME_SLICE_MS = 10;
/** Fuel given at each check (units of loop budget; see instrument.ts). */
export const FUEL = 1024;

export interface KernelImportContext {
  readonly t: Thread;
  /** The instance's exports once it exists (the fuel global lives there). */
  exports: Record<string, unknown> | undefined;
  mem: GuestMemory | undefined;
  /** True once _start runs inside `promising` (suspending is allowed). */
  running: boolean;
  fuelExport: string | null;
}

function trap(message: string): Error {
  return new Wasm.RuntimeError(message);
}

export function kernelImports(k: KernelImportContext): Record<string, unknown> {
  let fuel: { value: number } | undefined;
  const yieldCheck = (): Promise<void> | undefined => {
    if (k.fuelExport && k.exports) {
      fuel ??= k.exports[k.fuelExport] as { value: number };
      fuel.value = FUEL;
    }
    const t = k.t;
    if (t.killed) throw new ThreadKilled();
    if (!k.running || performance.now() - t.sliceStartMs < TIME_SLICE_MS) return undefined;
    t.offCpu();
    return executor.preempt().then(() => {
      t.onCpu();
      if (t.killed) throw new ThreadKilled();
    });
  };
  const wait = (width: 32 | 64) => (addr: number, expected: number | bigint, timeoutNs: bigint): number | Promise<number> => {
    const m = k.mem;
    if (!m || !(m.memory.buffer instanceof SharedArrayBuffer)) throw trap("atomics wait on a non-shared memory");
    m.check(addr >>> 0, width / 8, width / 8);
    const dv = m.dv;
    const current = width === 32 ? dv.getInt32(addr >>> 0, true) : dv.getBigInt64(addr >>> 0, true);
    if (current !== expected) return 1;
    const t = k.t;
    t.offCpu();
    const done = timeoutNs >= 0n ? sleepUntil(performance.now() + Number(timeoutNs) / 1e6, t) : waitAny([], { intr: t });
    return done.then((reason) => {
      t.onCpu();
      if (t.killed) throw new ThreadKilled();
      if (reason === "interrupted") {
        t.clearInterrupt();
        return 0; // woken (spuriously, as the instruction may be)
      }
      return 2;
    });
  };
  return {
    [KernelImport.yieldCheck]: new Wasm.Suspending(yieldCheck),
    [KernelImport.futexWait32]: new Wasm.Suspending(wait(32)),
    [KernelImport.futexWait64]: new Wasm.Suspending(wait(64)),
    [KernelImport.futexNotify]: () => 0,
  };
}
