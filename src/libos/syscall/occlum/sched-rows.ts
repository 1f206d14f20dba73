/**
 * The `occlum` module's CPU affinity and sched_getcpu, for sdk/libc/threads.c (wasix-libc declares
 * sched_getaffinity, sched_setaffinity, pthread_getaffinity_np, pthread_setaffinity_np and
 * sched_getcpu but has none of them: programs that call them did not link).
 *
 * The CPUs are the vCPUs: 0 is the kernel thread, 1..N-1 the workers (vcpu/). A thread's affinity
 * decides where it starts (vcpu/index.ts runOnVcpu), set before it first runs (pthread_create then
 * pthread_setaffinity_np from its creator) or inherited from its creator, as on Linux. A thread
 * that already runs cannot move (a JSPI stack stays on its agent): its new mask is kept, reported,
 * and passed on to the threads it creates. The mask is in bytes of 32-bit longs (wasm32's
 * cpu_set_t); as Linux: EINVAL for a buffer shorter than the vCPUs need or a mask with no online
 * vCPU, ESRCH for a tid that is not a thread of the caller's process (0: the caller), EFAULT for
 * a buffer outside memory.
 */
import { requeueReady } from "../../process/thread-spawn.ts";
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { Errno, sysErr } from "../errno.ts";
import type { Thread } from "../../process/thread.ts";
import type { GuestMemory } from "../memory.ts";
import { vcpuCount } from "../../vcpu/index.ts";

/** Largest mask read (MAX_VCPUS bits). */
const MAX_MASK_BYTES = 32;

function target(t: Thread, tid: number): Thread {
  if (tid === 0) return t;
  for (const x of t.process.threads) if (x.tid === tid && !x.killed) return x;
  throw sysErr(Errno.SRCH);
}

/** The bytes of a mask as the kernel keeps it: long-sized (4 bytes here), enough for every vCPU. */
function maskBytes(): number {
  return Math.ceil(vcpuCount() / 32) * 4;
}

function online(): bigint {
  return (1n << BigInt(vcpuCount())) - 1n;
}

function memory(t: Thread, ptr: number, len: number): GuestMemory {
  const m = t.process.memory as GuestMemory | undefined;
  if (!m) throw sysErr(Errno.FAULT);
  try {
    m.check(ptr, len);
  } catch {
    throw sysErr(Errno.FAULT);
  }
  return m;
}

/** sched_getaffinity(tid, size, mask*) -> bytes written (the libc clears the rest, as glibc). */
function occlum_sched_getaffinity(t: Thread, tid: number, size: number, ptr: number): number {
  const bytes = maskBytes();
  if (size < bytes) throw sysErr(Errno.INVAL);
  const mask = target(t, tid).affinity ?? online();
  const m = memory(t, ptr, bytes);
  for (let i = 0; i < bytes; i++) m.u8[ptr + i] = Number((mask >> BigInt(8 * i)) & 0xffn);
  return bytes;
}

/** sched_setaffinity(tid, size, mask*): bits past the vCPUs are ignored. */
function occlum_sched_setaffinity(t: Thread, tid: number, size: number, ptr: number): void {
  const of = target(t, tid);
  const len = Math.min(size, MAX_MASK_BYTES);
  const m = memory(t, ptr, len);
  let mask = 0n;
  for (let i = 0; i < len; i++) mask |= BigInt(m.u8[ptr + i]!) << BigInt(8 * i);
  mask &= online();
  if (mask === 0n) throw sysErr(Errno.INVAL);
  of.affinity = mask === online() ? undefined : mask;
}

/** sched_getcpu() -> the caller's vCPU (a worker answers for its own threads: vcpu/worker.ts). */
function occlum_sched_getcpu(t: Thread): number {
  return t.vcpu;
}

/*
 * Nice values and scheduling policies (getpriority/setpriority/nice, sched_setscheduler and the
 * rest, pthread_setschedparam): kept per thread (Thread.nice, schedPolicy, schedPriority),
 * inherited by new threads, reported, with Linux's checks for a process allowed everything (every
 * process here is root). A nice value weighs the thread's time slice (sched/nice.ts; a vCPU
 * worker is told of a change through Thread.setNice/setPolicy); SCHED_IDLE weighs 3 as in Linux;
 * the other policies and real-time priorities change nothing.
 */
const PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;
const SCHED_OTHER = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5;
const SCHED_RESET_ON_FORK = 0x40000000;

/** The threads getpriority/setpriority's (which, who) names; EINVAL for another `which`. */
function prioTargets(t: Thread, which: number, who: number): Thread[] {
  const table = t.process.kernel.processes;
  switch (which) {
    case PRIO_PROCESS: {
      // Linux takes `who` as a thread id (a process's pid names its main thread).
      if (who === 0) return [t];
      for (const p of table.all()) for (const x of p.threads) if (x.tid === who && !x.killed) return [x];
      return [];
    }
    case PRIO_PGRP: {
      const pgid = who === 0 ? t.process.pgid : who;
      return [...table.all()].filter((p) => p.pgid === pgid && !p.zombie).flatMap((p) => [...p.threads]);
    }
    case PRIO_USER: // every process is uid 0
      return who === 0 ? [...table.all()].filter((p) => !p.zombie).flatMap((p) => [...p.threads]) : [];
    default:
      throw sysErr(Errno.INVAL);
  }
}

/** priority(which, who, set, nice) -> the nice value (get: the lowest of those named); ESRCH when none. */
function occlum_priority(t: Thread, which: number, who: number, set: number, nice: number): number {
  const targets = prioTargets(t, which | 0, who | 0);
  if (targets.length === 0) throw sysErr(Errno.SRCH);
  if (set) {
    const v = Math.max(-20, Math.min(19, nice | 0));
    for (const x of targets) x.setNice(v);
    return v;
  }
  return Math.min(...targets.map((x) => x.nice)) + 20; // biased: a u32 result (nice + 20)
}

/**
 * The tid that names the next thread the caller spawns (sdk/libc/threads.c's pthread_create with
 * PTHREAD_EXPLICIT_SCHED): the policy is the new thread's from its creation, before its start
 * is queued, so it never runs with its creator's (a start can run at any preemption check of its
 * creator). A set=0 call drops a policy no spawn took.
 */
const NEXT_SPAWN = 0xffffffff;

function checkedPolicy(current: number, policy: number, priority: number): number {
  const pol = (policy | 0) === -1 ? current : (policy & ~SCHED_RESET_ON_FORK);
  const rt = pol === SCHED_FIFO || pol === SCHED_RR;
  if (pol !== SCHED_OTHER && pol !== SCHED_BATCH && pol !== SCHED_IDLE && !rt) throw sysErr(Errno.INVAL);
  if (rt ? priority < 1 || priority > 99 : priority !== 0) throw sysErr(Errno.INVAL);
  return pol;
}

/** sched_policy(tid, set, policy, priority) -> policy | priority << 8 (before a set); tid 0: the caller. */
function occlum_sched_policy(t: Thread, tid: number, set: number, policy: number, priority: number): number | Promise<number> {
  if (tid === NEXT_SPAWN) {
    t.spawnPolicy = set ? [checkedPolicy(t.schedPolicy, policy, priority), priority] : undefined;
    return 0;
  }
  const of = target(t, tid);
  const was = of.schedPolicy | (of.schedPriority << 8);
  if (!set) return was;
  const rtWas = of.rtPriority;
  of.setPolicy(checkedPolicy(of.schedPolicy, policy, priority), priority);
  requeueReady(of, rtWas);
  t.schedChangedByMe();
  // A thread raised above the caller, or the caller lowered below a ready one: that one runs
  // before the call returns, as Linux preempts at a syscall's return.
  return t.yieldAtReturn(was);
}

export const occlumSchedRows: readonly SyscallRow[] = [
  row("priority", [A.u32, A.u32, A.u32, A.u32], R.size, occlum_priority, { note: "getpriority/setpriority: which (PROCESS: a thread id, PGRP, USER), who (0: the caller's), set, nice -> nice + 20; a nice value weighs the thread's time slice" }),
  row("sched_policy", [A.u32, A.u32, A.u32, A.u32], R.size, occlum_sched_policy, { blocking: true, note: "sched_setscheduler/getscheduler/setparam/getparam, pthread_*schedparam: tid (0: caller; 0xffffffff: the next thread the caller spawns), set, policy (-1: unchanged), priority -> the old policy | priority << 8; SCHED_IDLE weighs the thread's time slice (3 against nice 0's 1024); SCHED_FIFO and SCHED_RR threads on the kernel thread run before lower priorities" }),
  row("sched_getaffinity", [A.u32, A.u32, A.u32], R.size, occlum_sched_getaffinity, { note: "tid (0: caller), size, mask: the vCPUs it may run on, 4-byte longs; returns the bytes written" }),
  row("sched_setaffinity", [A.u32, A.u32, A.u32], R.none, occlum_sched_setaffinity, { note: "tid (0: caller), size, mask: where a thread not yet running starts, and what its new threads inherit (a running thread does not move)" }),
  row("sched_getcpu", [], R.size, occlum_sched_getcpu, { note: "the caller's vCPU: 0 the kernel thread, 1..N-1 the workers" }),
];
