/**
 * The `occlum` imports the load-time instrumenter (loader/instrument) adds to a module:
 *
 * - yield_check(): called every few million loop iterations of guest code (fuel checks). It
 *   refills the fuel global, unwinds a killed thread (so `while (1);` can be killed), and, once the
 *   thread has run for a whole time slice without suspending, preempts it: the thread resumes from
 *   a macrotask, after the event loop and the other ready coroutines. It never suspends while the
 *   module's start function runs (that runs outside `promising`).
 * - futex_wait32/64, futex_notify: the rewritten memory.atomic.wait/notify, on the kernel futex
 *   (sched/futex.ts) of the thread's memory, shared with WASIX futex_wait/futex_wake and with the
 *   other threads of the process (wasi-threads). As the instructions: a wait on a non-shared memory
 *   traps, a word that differs returns 1 ("not-equal"), a timeout 2 ("timed-out"), a wake 0
 *   (an interruption that does not kill the thread is a spurious wake: 0). notify returns the
 *   number woken; on a non-shared memory nobody can wait, so 0.
 * - memory_grow(delta): the rewritten memory.grow, charged to the user-space budget
 *   (process/user-memory.ts): the old size in pages, or -1 past the process cap or the budget.
 */
import { CALLS_PER_UNIT, KernelImport } from "./instrument/instrument.ts";
import { executor } from "../sched/executor.ts";
import { vcpuRequests } from "../sched/agents.ts";
import { futexTable } from "../sched/futex.ts";
import { niceSliceMs } from "../sched/nice.ts";
import { CHECKS_PER_SLICE, FIRST_GRANT_SHARE, scaleGrant } from "./fuel-grant.ts";
import { ThreadKilled } from "../process/exit.ts";
import type { Thread } from "../process/thread.ts";
import { deliverSignals } from "../process/spawn.ts";
import { holdIfStopped } from "../process/job-control.ts";
import type { GuestMemory } from "../syscall/memory.ts";
import { Wasm } from "../wasm.ts";
import { growMemory } from "../process/user-memory.ts";
import { wakeFrom } from "../process/futex-wake.ts";
import { nowMs } from "../sched/clock.ts";

/** Time a guest thread may compute before it is preempted. */
export const TIME_SLICE_MS = 10;
/**
 * Fuel given at each check: 1024 units of loop budget, in the calls the fuel global counts
 * (CALLS_PER_UNIT per unit; see instrument.ts).
 */
export const FUEL = 1024 * CALLS_PER_UNIT;
/**
 * While threads run on vCPU workers, a thread computing on the kernel thread holds back every
 * syscall they make until its next check (sched/agents.ts VcpuRequests), so there the checks aim
 * at one per SHARED_CHECK_MS of computing. Fuel counts calls and loop work, not time: a fixed
 * grant came every ~0.45 ms on a loop of arithmetic (FUEL / 16: a worker's getpid() waited that
 * long) and every few µs on 1 ns calls. So each grant is scaled by how long the last one lasted.
 */
const SHARED_CHECK_MS = 0.02;
const SHARED_FUEL_MAX = FUEL / 16;
const SHARED_FUEL_MIN = FUEL / 1024;
/** The largest grant (~4 M calls, a few ms of the most call-heavy code): far below 2^31. */
const MAX_GRANT = FUEL * 64;

/**
 * The next grant on the kernel thread while workers run: `prev` lasted `elapsedMs`; scale it
 * toward SHARED_CHECK_MS (fuel-grant.ts), within [FUEL / 1024, FUEL / 16].
 */
export function nextSharedFuel(prev: number, elapsedMs: number): number {
  return scaleGrant(prev, elapsedMs, SHARED_CHECK_MS, SHARED_FUEL_MIN, SHARED_FUEL_MAX);
}

export interface KernelImportContext {
  readonly t: Thread;
  /** The instance's exports once it exists (the fuel global lives there). */
  exports: Record<string, unknown> | undefined;
  mem: GuestMemory | undefined;
  /** True once _start runs inside `promising` (suspending is allowed). */
  running: boolean;
  fuelExport: string | null;
  /** The kernel side of a vCPU worker's thread (vcpu/kernel-calls.ts): preemption is the worker's. */
  remote?: true;
  /** Set by kernelImportFns: the thread starts running its code now (its first, small grant). */
  begin?: () => void;
}

/** Signals pending for the process, or a stop: deliverSignals has work (parking first, if stopped). */
function mustDeliver(t: Thread): boolean {
  const p = t.process;
  return p.pendingSignals.length > 0 || p.stopSignal !== 0;
}

function trap(message: string): Error {
  return new Wasm.RuntimeError(message);
}

export function kernelImports(k: KernelImportContext): Record<string, unknown> {
  const f = kernelImportFns(k);
  return {
    [KernelImport.yieldCheck]: new Wasm.Suspending(f[KernelImport.yieldCheck]!),
    [KernelImport.futexWait32]: new Wasm.Suspending(f[KernelImport.futexWait32]!),
    [KernelImport.futexWait64]: new Wasm.Suspending(f[KernelImport.futexWait64]!),
    [KernelImport.futexNotify]: f[KernelImport.futexNotify],
    [KernelImport.memoryGrow]: f[KernelImport.memoryGrow],
  };
}

/** The same functions before the JSPI wrapping (vcpu/: the kernel side of a vCPU thread's calls). */
/** Linux's SCHED_RR policy. */
const SCHED_RR = 2;
/** SCHED_RR's quantum (Linux's RR_TIMESLICE, what sched_rr_get_interval reports). */
const RR_QUANTUM_MS = 100;

/**
 * The preemption check of a SCHED_FIFO or SCHED_RR thread on the kernel thread with no higher
 * priority ready: it goes on, except that every slice it lets the event loop turn (timers and
 * host I/O are the kernel's own work) and then resumes before any lower priority, at the head
 * of its own; a SCHED_RR thread whose quantum of CPU time is used up goes behind the others of
 * its priority instead. Once real-time threads have held the vCPU 950 ms of a second (Linux's
 * throttling, sched/rt-budget.ts), the rest of the second is the other threads': the budget is
 * looked at every check, not only at a slice's end (a slice late was their loss).
 */
function rtSlice(t: Thread, rt: number, now: number, requests: boolean): Promise<void> | undefined {
  const budget = !executor.rtBudget.throttled && executor.rtBudget.left(now);
  if (now - t.sliceStartMs < TIME_SLICE_MS && !requests && budget) {
    t.plainSuspend();
    return undefined;
  }
  if (!budget) {
    // The period's real-time budget is spent: it waits for the next period, first of its priority.
    executor.throttleRt(now);
    t.offCpu(true);
    return executor.yieldRt<void>(undefined, rt, true, t).then(() => afterPreempted(t));
  }
  t.offCpu(true);
  let head = true;
  if (t.schedPolicy === SCHED_RR && t.cpuMsNow() - t.rrQuantumStartMs >= RR_QUANTUM_MS) {
    t.rrQuantumStartMs = t.cpuMsNow();
    head = false;
  }
  return executor.preemptRt(rt, head, t).then(() => afterPreempted(t));
}

/**
 * A thread back from a preemption: a kill unwinds it; signals sent while it was preempted (the
 * only time others ran) are handled now, and a stop that came meanwhile parks it.
 */
function afterPreempted(t: Thread): Promise<void> | undefined {
  t.onCpu();
  if (t.killed) throw new ThreadKilled();
  const d = mustDeliver(t) ? deliverSignals(t) : undefined;
  if (!d) return undefined;
  return d.then(() => {
    if (t.killed) throw new ThreadKilled();
    t.clearInterrupt();
  });
}

export function kernelImportFns(k: KernelImportContext): Record<string, (...a: never[]) => unknown> {
  let fuel: { value: number } | undefined;
  let sharedFuel = SHARED_FUEL_MAX;
  let grant = FUEL;
  // The thread's held time (Thread.heldAt) at the last check: grants are scaled by how long its
  // code ran, not by the wall time, which holds its waits (sysbench's threads, waiting most of
  // the time, were checked every ~14 ops once their grants had shrunk for it).
  let lastCheckHeld = 0;
  k.begin = () => {
    if (!k.fuelExport || !k.exports) return;
    fuel ??= k.exports[k.fuelExport] as { value: number };
    grant = sharedFuel = Math.round(FUEL * FIRST_GRANT_SHARE);
    fuel.value = grant;
    lastCheckHeld = k.t.heldAt(nowMs());
  };
  if (!k.remote) {
    k.t.forceCheck = () => {
      if (!k.fuelExport || !k.exports) return;
      fuel ??= k.exports[k.fuelExport] as { value: number };
      fuel.value = -1; // every test fires below 0
    };
  }
  const yieldCheck = (): Promise<void> | undefined => {
    const workers = k.remote ? undefined : vcpuRequests();
    const shared = workers !== undefined && workers.live();
    const now = nowMs();
    if (k.fuelExport && k.exports) {
      fuel ??= k.exports[k.fuelExport] as { value: number };
      const held = k.t.heldAt(now);
      if (shared) {
        sharedFuel = nextSharedFuel(sharedFuel, held - lastCheckHeld);
        lastCheckHeld = held;
        fuel.value = sharedFuel;
      } else {
        // Checks about every quarter of the thread's slice: a fixed grant came every few µs of
        // call-heavy code (fuel counts calls; fib made ~400 checks in 28 ms) and stretched a
        // short (nice) slice to the grant's length on loop-heavy code.
        const slice = k.t.nice === 0 && k.t.schedPolicy === 0 ? TIME_SLICE_MS : niceSliceMs(TIME_SLICE_MS, k.t.nice, k.t.schedPolicy);
        grant = scaleGrant(grant, held - lastCheckHeld, slice / CHECKS_PER_SLICE, SHARED_FUEL_MIN, MAX_GRANT);
        lastCheckHeld = held;
        fuel.value = grant;
      }
    }
    const t = k.t;
    if (t.killed) throw new ThreadKilled();
    // A signal sent to a thread computing without syscalls runs its handler here (issue 4), and a
    // stopped process's thread parks here (job-control.ts asks for this check at once).
    if (k.running && mustDeliver(t)) {
      const d = deliverSignals(t);
      if (d) {
        t.offCpu();
        return d.then(() => {
          t.onCpu();
          if (t.killed) throw new ThreadKilled();
          t.clearInterrupt(); // the signal that interrupted nothing was handled here
        });
      }
    }
    if (!k.running) return undefined;
    const rt = k.remote ? 0 : t.rtPriority;
    if (t.yieldDue || executor.rtTop > rt) {
      // Give way to the thread it woke (Thread.wokeUp), which runs next, or to a ready thread of a
      // higher real-time priority: to the back of the run queue, or a real-time thread to the
      // head of its priority (Linux keeps a preempted SCHED_FIFO/SCHED_RR thread first there).
      t.yieldDue = false;
      t.offCpu();
      return (rt > 0 ? executor.yieldRt<void>(undefined, rt, true, t) : executor.yieldNow(t)).then(() => {
        t.onCpu();
        if (t.killed) throw new ThreadKilled();
        return holdIfStopped(t);
      });
    }
    if (rt > 0) return rtSlice(t, rt, now, shared && workers.waiting());
    if (now - t.sliceStartMs < (t.nice === 0 && t.schedPolicy === 0 ? TIME_SLICE_MS : niceSliceMs(TIME_SLICE_MS, t.nice, t.schedPolicy)) && !(shared && workers.waiting())) {
      if (!k.remote) t.plainSuspend();
      return undefined;
    }
    t.offCpu(true);
    // A whole slice of computing since it last waited (not of spawning threads): new threads go
    // to vCPU workers rather than next to it.
    if (now - t.busySinceMs >= TIME_SLICE_MS && t.lastSpawnMs < t.busySinceMs) t.markCpuBound();
    return executor.preempt(t).then(() => afterPreempted(t));
  };
  const wait = (width: 32 | 64) => (addr: number, expected: number | bigint, timeoutNs: bigint): number | Promise<number> => {
    const m = k.mem;
    if (!m || !(m.memory.buffer instanceof SharedArrayBuffer)) throw trap("atomics wait on a non-shared memory");
    m.check(addr >>> 0, width / 8, width / 8);
    const dv = m.dv;
    const current = width === 32 ? dv.getInt32(addr >>> 0, true) : dv.getBigInt64(addr >>> 0, true);
    if (current !== expected) return 1;
    const t = k.t;
    const again = t.futexWait(addr >>> 0);
    t.offCpu();
    const ft = futexTable(m.memory);
    const done = ft.park(addr >>> 0, t, timeoutNs >= 0n ? nowMs() + Number(timeoutNs) / 1e6 : undefined, again);
    return done.then((reason) => {
      t.onCpu();
      if (t.killed) throw new ThreadKilled();
      if (reason === "interrupted") {
        t.takeCancelWake(); // a spurious wake, as the libc's waits expect; its cancellation point acts
        t.clearInterrupt();
      }
      const r = reason === "timeout" ? 2 : 0;
      // A wait that ended while the process is stopped returns after SIGCONT (job-control.ts).
      const held = holdIfStopped(t);
      return held ? held.then(() => r) : r;
    });
  };
  const notify = (addr: number, count: number): number => {
    const m = k.mem;
    if (!m) return 0; // the start function (memory init) runs before anyone can wait
    m.check(addr >>> 0, 4, 4);
    if (!(m.memory.buffer instanceof SharedArrayBuffer)) return 0;
    const ft = futexTable(m.memory);
    // A worker's thread: its worker decides who runs next there.
    return k.remote ? ft.wake(addr >>> 0, count >>> 0) : wakeFrom(k.t, ft, addr >>> 0, count >>> 0);
  };
  return {
    [KernelImport.yieldCheck]: yieldCheck,
    [KernelImport.futexWait32]: wait(32),
    [KernelImport.futexWait64]: wait(64),
    [KernelImport.futexNotify]: notify,
    [KernelImport.memoryGrow]: (delta: number): number => growMemory(k.t.process, k.mem?.memory, delta),
  };
}
