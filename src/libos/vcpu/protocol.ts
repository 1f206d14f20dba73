/**
 * What the kernel thread and a vCPU worker say to each other.
 *
 * Rings (ring.ts) carry the hot traffic: a request's op is the index of the import in the
 * program's import list (both sides hold the same list), or a negative Op; a completion's op is a
 * Status. postMessage carries the rare, structured messages: a vCPU's rings at start, a thread to
 * run (its compiled module and the process's shared memory), a signal handler to run on a
 * thread's own instance, and how a thread or a handler ended.
 */
import type { ImportInfo } from "../loader/wasm-info.ts";
import type { WasmMemory, WasmModule } from "../wasm.ts";

/** Requests that are not imports. */
export const Op = {
  /** The thread's attention word was set (kill, signal): the kernel decides what happens. */
  attention: -1,
} as const;

export const Status = {
  /** args[0] is the import's result. */
  ok: 0,
  /** The call unwinds the guest (exit, kill, trap in the kernel); the kernel keeps the reason. */
  unwind: 1,
} as const;

export interface InitMessage {
  type: "init";
  /** Requests, vCPU → kernel. */
  submit: SharedArrayBuffer;
  /** Completions, kernel → vCPU. */
  complete: SharedArrayBuffer;
  /** The kernel's doorbell (shared by every vCPU) and this vCPU's. */
  kernelBell: SharedArrayBuffer;
  bell: SharedArrayBuffer;
  /** Preemption: the first fuel grant, scaled from there to the thread's slice (loader/fuel-grant.ts; each thread's slice is in its attention buffer). */
  fuel: number;
  /** realtime = monotonic + this (the kernel's clock line, so time never goes back across agents). */
  realtimeOffsetNs: bigint;
  /** How long an idle vCPU polls its doorbell before it sleeps on it (0: never; worker.ts pump). */
  spinMs: number;
  /** This vCPU's number (sched_getcpu; the kernel thread is 0). */
  cpu: number;
}

export interface SpawnMessage {
  type: "spawn";
  /** The thread's handle in both rings. */
  key: number;
  tid: number;
  startArg: number;
  module: WasmModule;
  memory: WasmMemory;
  imports: readonly ImportInfo[];
  fuelExport: string | null;
  /**
   * Two Int32s the kernel writes: [0] non-zero when it wants the thread's attention (kill,
   * signal); [1] the thread's time slice in µs, from its nice value (sched/nice.ts), rewritten
   * when setpriority changes it.
   */
  attention: SharedArrayBuffer;
  /** The thread's CPU time, which the worker keeps (cpu-slot.ts). */
  cpu: SharedArrayBuffer;
}

/** Run export `name(arg)` of a thread's instance on a new JSPI stack (a signal handler). */
export interface CallMessage {
  type: "call";
  key: number;
  callId: number;
  name: string;
  arg: number;
}

export type ToVcpu = InitMessage | SpawnMessage | CallMessage;

/**
 * A thread ended ("end"), or a CallMessage's call did ("called", with its callId): it returned,
 * unwound on a kernel request (the kernel knows why), or trapped.
 */
export interface EndMessage {
  type: "end" | "called";
  key: number;
  callId?: number;
  how: "return" | "unwound" | "trap";
  /** A trap: the error's class name, message and stack (the stack names the wasm function). */
  name?: string;
  message?: string;
  stack?: string;
}
