/**
 * clock_res_get / clock_time_get. REALTIME and MONOTONIC come from the host clocks; the CPU-time
 * clocks count the time the process's threads (or the calling thread) spent on the vCPU, i.e.
 * not parked in a wait. An unknown clock id is EINVAL (wasmtime).
 *
 * Cost: the call is dominated by the JS clock read (~45 ns here for process.hrtime.bigint(), the
 * cheapest source measured; performance.now() and Date.now() are slower). bench/wasi prints
 * that floor next to the node:wasi baseline.
 */
import { ClockId } from "../abi.ts";
import { Errno, SysError } from "../errno.ts";
import { CLOCK_RES_NS, monotonicNs, realtimeNs } from "../../sched/clock.ts";
import type { Thread } from "../../process/thread.ts";

const EINVAL = new SysError(Errno.INVAL);

export function clock_res_get(_t: Thread, id: number): bigint {
  if (id > ClockId.THREAD_CPUTIME_ID) throw EINVAL;
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
    default:
      throw EINVAL;
  }
}
