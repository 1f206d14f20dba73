/**
 * The `occlum` module's resource calls, for sdk/libc/resource.c: getrusage and prlimit.
 *
 * rusage(who, buf): wasix-libc's getrusage reported the host's uptime as user time, with a
 * tv_usec past a second or negative. The call fills 16 bytes: the CPU time in ns (u64) and maxrss
 * in KiB (u32) of RUSAGE_SELF 0 (every thread of the process, ended ones included), RUSAGE_THREAD
 * 1 (the caller) or RUSAGE_CHILDREN -1 (the children it has waited for, and theirs:
 * process/wait.ts adds them at the reap; the largest maxrss among them). Any other `who` is
 * EINVAL, as Linux. CPU time is what the scheduler counted while a thread held its vCPU
 * (sched/README.md "CPU time"): all of it is reported as user time.
 *
 * prlimit(pid, resource, new*, old*): wasix-libc's getrlimit said "unlimited" for everything,
 * RLIMIT_NOFILE included (a program closing every fd up to it never ended), and setrlimit did
 * nothing. Linux's prlimit64 with 16-byte struct rlimit (two u64); a null pointer is none; pid 0
 * is the caller's process, another must exist (ESRCH); process/rlimits.ts has the limits and
 * their checks.
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { Errno, sysErr } from "../errno.ts";
import type { Thread } from "../../process/thread.ts";
import { peakRssKb } from "../../process/user-memory.ts";
import { getRlimit, setRlimit } from "../../process/rlimits.ts";
import type { GuestMemory } from "../memory.ts";

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

const RLIMIT_BYTES = 16;

function rlimitAt(t: Thread, ptr: number): DataView {
  const m = t.process.memory as GuestMemory | undefined;
  if (!m) throw sysErr(Errno.FAULT);
  try {
    m.check(ptr, RLIMIT_BYTES);
  } catch {
    throw sysErr(Errno.FAULT);
  }
  return new DataView(m.memory.buffer, ptr, RLIMIT_BYTES);
}

function occlum_prlimit(t: Thread, pid: number, resource: number, newPtr: number, oldPtr: number): void {
  const next = newPtr === 0 ? undefined : rlimitAt(t, newPtr);
  const wanted = next && { cur: next.getBigUint64(0, true), max: next.getBigUint64(8, true) };
  const p = pid === 0 ? t.process : t.process.kernel.processes.get(pid);
  if (!p || p.status) throw sysErr(Errno.SRCH);
  const was = getRlimit(p, resource);
  if (wanted) setRlimit(p, resource, wanted);
  if (oldPtr !== 0) {
    const out = rlimitAt(t, oldPtr);
    out.setBigUint64(0, was.cur, true);
    out.setBigUint64(8, was.max, true);
  }
}

export const occlumResourceRows: readonly SyscallRow[] = [
  row("prlimit", [A.u32, A.u32, A.u32, A.u32], R.none, occlum_prlimit, { note: "pid (0: caller), resource, new rlimit* (0: none), old rlimit* (0: none): Linux's prlimit64; RLIMIT_NOFILE enforced by the fd table, hard at most 1024" }),
  row("rusage", [A.u32, A.buf], R.none, occlum_rusage, { note: "who (0 self, 1 thread, -1 waited-for children), 16 bytes: CPU ns (u64), maxrss KiB (u32)" }),
];
