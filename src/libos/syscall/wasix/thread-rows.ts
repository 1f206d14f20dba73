/**
 * wasix_32v1 rows for threads and futexes (ABI: wasix-libc's wasi/api_wasix.h), and the
 * wasi-threads import `wasi.thread-spawn`. Composed into the wasix_32v1 table by ./table.ts.
 *
 * Futexes: the kernel futex (sched/futex.ts) keyed by the process's memory, shared with the
 * loader's rewritten memory.atomic.wait/notify. wasix-libc traps on any futex_wait errno, so every
 * outcome is SUCCESS: the woken flag is false only on a timeout; a word not holding `expected`
 * is "woken" at once (the libc re-checks the word). The timeout is relative, in nanoseconds.
 */
import { A, R, type ArgCodec, type RetCodec } from "../codecs.ts";
import { directRow, row, type Completion, type SyscallRow } from "../table.ts";
import { Errno, SysError, sysErr } from "../errno.ts";
import type { GuestMemory } from "../memory.ts";
import type { Thread } from "../../process/thread.ts";
import type { SyscallContext } from "../dispatch.ts";
import { futexTable } from "../../sched/futex.ts";
import { sleepUntil, waitAny, type WakeReason } from "../../sched/wait-queue.ts";
import { ThreadKilled } from "../../process/exit.ts";
import { joinThread, noteThreadExit, releaseThread, spawnThread, ThreadExit } from "../../process/thread-spawn.ts";
import { signalProcess } from "../../process/spawn.ts";
import { SigCode } from "../../process/signals.ts";
import { holdIfStopped } from "../../process/job-control.ts";
import { wakeFrom } from "../../process/futex-wake.ts";
import { vcpuCount } from "../../vcpu/index.ts";
import { nowMs } from "../../sched/clock.ts";

const u32 = (v: number | bigint): number => (v as number) >>> 0;

/** Guest memory word address of a futex (4-byte aligned, else the guest traps as the instruction does). */
const futexPtr: ArgCodec<number> = {
  kind: "futex", wasm: ["i32"],
  decode: (m, p, i) => {
    const ptr = u32(p[i]!);
    m.check(ptr, 4, 4);
    return ptr;
  },
  show: (v) => `0x${v.toString(16)}`,
};

/** const __wasi_option_timestamp_t *: tag u8 @0, u64 @8; undefined = none (wait forever). */
const optionTimestamp: ArgCodec<bigint | undefined> = {
  kind: "option_timestamp", wasm: ["i32"],
  decode: (m, p, i) => {
    const ptr = u32(p[i]!);
    m.check(ptr, 16, 8);
    return m.dv.getUint8(ptr) === 0 ? undefined : m.dv.getBigUint64(ptr + 8, true);
  },
  show: (v) => (v === undefined ? "none" : `${v}ns`),
};

/**
 * futex_wait's woken flag (one byte), from why the wait ended: false only on a timeout. The
 * handler returns the reason itself, so a wait costs no extra promise hop to map it.
 */
const wokenOut: RetCodec<WakeReason> = {
  kind: "bool", wasm: ["i32"],
  encode: (m, p, i, v) => {
    const ptr = u32(p[i]!);
    m.check(ptr, 1);
    m.dv.setUint8(ptr, v === "timeout" ? 0 : 1);
  },
  show: (v) => (v === "timeout" ? "false" : "true"),
};

/** __wasi_bool_t * (one byte). */
const boolOut: RetCodec<boolean> = {
  kind: "bool", wasm: ["i32"],
  encode: (m, p, i, v) => {
    const ptr = u32(p[i]!);
    m.check(ptr, 1);
    m.dv.setUint8(ptr, v ? 1 : 0);
  },
  show: (v) => (v ? "true" : "false"),
};

const tidOut: RetCodec<number> = {
  kind: "tid", wasm: ["i32"], encode: (m, p, i, v) => m.setU32(u32(p[i]!), v), show: (v) => String(v),
};

function memoryKey(t: Thread): object {
  const m = t.process.memory;
  if (!m) throw sysErr(Errno.INVAL, "no memory");
  return m.memory;
}

/** A direct row (dispatch.ts "Direct resumes"): the waker completes the call. */
function futex_wait(t: Thread, addr: number, expected: number, timeoutNs: bigint | undefined, done: Completion<WakeReason> | undefined): WakeReason | Promise<WakeReason | number> {
  // The process's view of the shared memory: check() reloads it if another thread grew it.
  const m = t.process.memory as GuestMemory;
  m.check(addr, 4, 4);
  if (m.dv.getUint32(addr, true) !== expected) return "woken";
  // A cancellation wake ends this wait at once, as a spurious wake: the libc's cancellation
  // points act on it, its other waits (a mutex) wait again, now for good (Thread.armCancelWake).
  if (t.takeCancelWake()) return "woken";
  // Interrupted: dispatch unwinds a killed thread; a signal's interruption is a spurious wake.
  const deadline = timeoutNs === undefined ? undefined : nowMs() + Number(timeoutNs) / 1e6;
  const ft = futexTable(memoryKey(t));
  const again = t.futexWait(addr);
  return done === undefined ? ft.park(addr, t, deadline, again) : ft.parkWith(addr, t, deadline, done, again);
}

function futex_wake(t: Thread, addr: number): boolean {
  return wake(t, addr, 1);
}

function futex_wake_all(t: Thread, addr: number): boolean {
  return wake(t, addr, Number.POSITIVE_INFINITY);
}

function wake(t: Thread, addr: number, n: number): boolean {
  return wakeFrom(t, futexTable(memoryKey(t)), addr, n) > 0;
}

function thread_exit(t: Thread, code: number): never {
  noteThreadExit(t.process, code);
  // The thread's slot is free now, not when its runner's promise settles: the libc woke its
  // joiner just before this call, and the joiner runs first (hand-offs are direct); a
  // pthread_create right after pthread_join must find room again.
  releaseThread(t);
  // Off the CPU's books now: its runner's end is a reaction away, and threads resumed meanwhile
  // would be dated from its last switch, their runs counted as its own too.
  if (!t.remoteCpuMs) t.offCpu();
  throw new ThreadExit(code);
}

function thread_id(t: Thread): number {
  return t.tid;
}

/** The number of vCPUs (OCCLUM_VCPUS; sched/README.md): what sysconf(_SC_NPROCESSORS_ONLN) reports. */
function thread_parallelism(_t: Thread): number {
  return vcpuCount();
}

function thread_sleep(t: Thread, ns: bigint): Promise<void> | void {
  if (ns === 0n) return;
  const ms = Number(ns) / 1e6;
  // Past the timer range (24.8 days) sleep until interrupted (setTimeout would make it 1 ms).
  const done = ms > 2 ** 31 - 1 ? waitAny([], { intr: t }) : sleepUntil(nowMs() + ms, t);
  return done.then((r) => {
    if (r === "interrupted") throw sysErr(Errno.INTR);
  });
}

function thread_spawn_v2(t: Thread, startPtr: number): number {
  return spawnThread(t, startPtr);
}

function thread_join(t: Thread, tid: number): Promise<void> | void {
  if (tid === t.tid) throw sysErr(Errno.DEADLK);
  return joinThread(t.process, tid);
}

/**
 * thread_signal: wasix-libc's raise() sends to its own thread (tid 0x3FFFFFFF stands for "the
 * caller"), pthread_kill to another. The signal is directed at that thread: only it takes it,
 * when its mask allows (process/signals.ts); the handler runs (through the libc's callback)
 * before the call returns, as raise() requires; a default action applies as for kill().
 */
const SELF_TID = 0x3fffffff;
function thread_signal(t: Thread, tid: number, sig: number): void | Promise<void> {
  const p = t.process;
  const target = tid === SELF_TID || tid === t.tid ? t : [...p.threads].find((x) => x.tid === tid);
  if (!target) throw sysErr(Errno.SRCH);
  if (sig > 64) throw sysErr(Errno.INVAL);
  if (sig === 0) return;
  // WASIX numbers signals as Linux does (CHLD 17), unlike preview 1's proc_raise (CHLD 16).
  signalProcess(p, sig, target, { code: SigCode.TKILL, pid: p.pid, status: 0 });
  // raise(SIGSTOP): the caller stops before the call returns (job-control.ts).
  return holdIfStopped(t);
}

const B = { blocking: true } as const;

export const threadRows: readonly SyscallRow[] = [
  directRow("futex_wait", [futexPtr, A.u32, optionTimestamp], wokenOut, futex_wait, { note: "kernel futex shared with rewritten atomic waits" }),
  row("futex_wake", [futexPtr], boolOut, futex_wake),
  row("futex_wake_all", [futexPtr], boolOut, futex_wake_all),
  row("thread_exit", [A.u32], R.none, thread_exit, { noreturn: true }),
  row("thread_id", [], tidOut, thread_id),
  row("thread_join", [A.u32], R.none, thread_join, B),
  row("thread_parallelism", [], R.size, thread_parallelism, { note: "the vCPU count (OCCLUM_VCPUS, default one per host core)" }),
  row("thread_signal", [A.u32, A.u32], R.none, thread_signal, { ...B, note: "raise/pthread_kill: pending for that thread only (its mask applies); a handler runs, or the process stops, before the call returns" }),
  row("thread_sleep", [A.u64], R.none, thread_sleep, B),
  row("thread_spawn_v2", [A.u32], tidOut, thread_spawn_v2, { note: "enters wasi_thread_start(tid, start)" }),
];

/** The "wasi" module: wasi-threads' thread-spawn(start_arg) -> tid, or a negative errno. */
export const WASI_THREADS_MODULE = "wasi";

export function wasiThreadsImports(ctx: SyscallContext): Record<string, unknown> {
  return {
    "thread-spawn": (startArg: number): number => {
      const t = ctx.t;
      if (t.killed) throw new ThreadKilled();
      try {
        return spawnThread(t, startArg >>> 0);
      } catch (e) {
        if (e instanceof SysError) return -e.errno;
        throw e;
      }
    },
  };
}
