/**
 * The `occlum` module's getrusage, for sdk/libc/resource.c (wasix-libc's getrusage reported the
 * host's uptime as user time, with a tv_usec past a second or negative).
 *
 * rusage(who, buf) fills 16 bytes: the CPU time in ns (u64) and maxrss in KiB (u32) of
 * RUSAGE_SELF 0 (every thread of the process, ended ones included), RUSAGE_THREAD 1 (the caller)
 * or RUSAGE_CHILDREN -1 (the children it has waited for, and theirs: process/wait.ts adds them at
 * the reap; the largest maxrss among them). Any other `who` is EINVAL, as Linux. CPU time is
 * what the scheduler counted while a thread held its vCPU (sched/README.md "CPU time"): all of it
 * is reported as user time.
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { Errno, sysErr } from "../errno.ts";
import type { Thread } from "../../process/thread.ts";
import { peakRssKb } from "../../process/user-memory.ts";

const RUSAGE_SELF = 0;
const RUSAGE_THREAD = 1;
const RUSAGE_CHILDREN = -1;
const RUSAGE_BYTES = 16;

function occlum_rusage(t: Thread, who: number, buf: Uint8Array): void {
  if (buf.length < RUSAGE_BYTES) throw sysErr(Errno.INVAL);
  const p = t.process;
  let cpuNs: bigint, rssKb: number;
  switch (who | 0) {
    case RUSAGE_SELF: cpuNs = p.cpuTimeNs(); rssKb = peakRssKb(p); break;
    case RUSAGE_THREAD: cpuNs = t.cpuTimeNs(); rssKb = peakRssKb(p); break;
    case RUSAGE_CHILDREN: cpuNs = p.childrenCpuNs; rssKb = p.childrenMaxRssKb; break;
    default: throw sysErr(Errno.INVAL);
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, RUSAGE_BYTES);
  dv.setBigUint64(0, cpuNs, true);
  dv.setUint32(8, rssKb >>> 0, true);
  dv.setUint32(12, 0, true);
}

export const occlumRusageRows: readonly SyscallRow[] = [
  row("rusage", [A.u32, A.buf], R.none, occlum_rusage, { note: "who (0 self, 1 thread, -1 waited-for children), 16 bytes: CPU ns (u64), maxrss KiB (u32)" }),
];
