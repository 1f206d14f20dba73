/**
 * clock_res_get / clock_time_get. REALTIME and MONOTONIC come from the host clocks; the CPU-time
 * clocks count the time the process's threads (or the calling thread) spent on the vCPU, i.e.
 * not parked in a wait; Linux's CPU clock ids name one thread's (pthread_getcpuclockid) or one
 * process's (clock_getcpuclockid).
 * An unknown clock id is EINVAL (wasmtime).
 *
 * Cost: the call is dominated by the JS clock read (~45 ns here for process.hrtime.bigint(), the
 * cheapest source measured; performance.now() and Date.now() are slower). bench/wasi prints
 * that floor next to the node:wasi baseline. So the import the guest calls is clockTimeGetFast,
 * which skips the generic row steps (argument arrays, codecs, result encoder); the table's
 * handler serves strace, which needs them.
 */
import { ClockId } from "../abi.ts";
import { Errno, SysError } from "../errno.ts";
import { CLOCK_RES_NS, monotonicNs, realtimeNs } from "../../sched/clock.ts";
import type { Thread } from "../../process/thread.ts";
import type { GuestMemory } from "../memory.ts";
import { ThreadKilled } from "../../process/exit.ts";
import { cpuClockOwner, cpuTimeOf } from "../../process/cpu-clocks.ts";

const EINVAL = new SysError(Errno.INVAL);

/** The reader of a CPU-time clock other than the caller's own two (process/cpu-clocks.ts); undefined: EINVAL. */
function cpuClock(t: Thread, id: number): (() => bigint) | undefined {
  const o = cpuClockOwner(t, id);
  return o && (() => cpuTimeOf(o));
}

export function clock_res_get(t: Thread, id: number): bigint {
  if (id > ClockId.THREAD_CPUTIME_ID && !cpuClock(t, id)) throw EINVAL;
  return id === ClockId.MONOTONIC ? 1n : CLOCK_RES_NS;
}

export function clock_time_get(t: Thread, id: number, _precision: bigint): bigint | number {
  switch (id) {
    case ClockId.REALTIME:
      return realtimeNs();
    case ClockId.MONOTONIC:
      return monotonicNs();
    case ClockId.PROCESS_CPUTIME_ID:
      return t.process.cpuTimeNs();
    case ClockId.THREAD_CPUTIME_ID:
      return t.cpuTimeNs();
    default: {
      const of = cpuClock(t, id);
      if (!of) throw EINVAL;
      return of();
    }
  }
}

/**
 * clock_time_get as the guest's import: the same results and errors as the row (a bad pointer is
 * a GuestTrap that unwinds the guest, an unknown clock EINVAL), without the generic dispatch.
 */
export function clockTimeGetFast(t: Thread, ctx: { readonly mem: GuestMemory }): (...p: (number | bigint)[]) => number {
  return function clock_time_get(id, _precision, out): number {
    if (t.killed) throw new ThreadKilled();
    let v: bigint;
    if (id === ClockId.MONOTONIC) v = monotonicNs();
    else if (id === ClockId.REALTIME) v = realtimeNs();
    else if (id === ClockId.PROCESS_CPUTIME_ID) v = t.process.cpuTimeNs();
    else if (id === ClockId.THREAD_CPUTIME_ID) v = t.cpuTimeNs();
    else {
      const of = cpuClock(t, id as number);
      if (!of) return Errno.INVAL;
      v = of();
    }
    const m = ctx.mem;
    m.refresh();
    m.setU64(out as number, v);
    return Errno.SUCCESS;
  };
}
