/**
 * Running a spawned thread (wasi-threads): a new instance of the process's module whose imports
 * are this thread's (its own syscall context and kernel-import state) and whose memory is the
 * process's shared one; it enters `wasi_thread_start(tid, start_arg)` inside
 * WebAssembly.promising, so it is a coroutine like the main thread.
 *
 * How it ends: returning from wasi_thread_start or thread_exit ends this thread only; proc_exit,
 * a kill or a trap ends the process (Process.exit kills the other threads). A trap is reported
 * once, by the process's runner (threadTrap).
 *
 * Fences: with one vCPU, or with affine placement on x86-64 (vcpu/index.ts fenceFreeNow), programs
 * are compiled without atomic.fence (the loader's elideFences: the libc spins on fences before
 * each futex wait, for nothing when the lock holder cannot run meanwhile). A thread of such a
 * program placed on a worker runs the fenced variant of the same program (loader.withFences).
 */
import { SyscallContext } from "../syscall/dispatch.ts";
import { GuestMemory, GuestTrap } from "../syscall/memory.ts";
import { linkImports, type Program } from "../loader/loader.ts";
import { setSingleAgent } from "../sched/agents.ts";
import { Wasm, type WasmMemory } from "../wasm.ts";
import { Signal } from "../syscall/abi.ts";
import { ProcessExit, ThreadKilled } from "./exit.ts";
import { ThreadExit, type ThreadRunner } from "./thread-spawn.ts";
import { describeTrap, trapSignal, type Trap } from "./run.ts";
import type { Thread } from "./thread.ts";
import { threadExports } from "./signals.ts";
import { fenceFreeNow, runOnVcpu } from "../vcpu/index.ts";
import { nowMs } from "../sched/clock.ts";

setSingleAgent(fenceFreeNow);

export function threadRunner(program: Program, memory: WasmMemory): ThreadRunner {
  // Not an async function: a thread's end is one reaction on its promising() call (an await
  // and the async function's own promise were two more hops per thread exit).
  const start = (t: Thread, startArg: number): Promise<Trap | undefined> => {
    // N vCPUs (vcpu/): the thread may run on a worker; its kernel calls come back here.
    const remote = runOnVcpu(t, startArg, program, memory, threadEnded);
    if (remote) return remote;
    const p = t.process;
    const log = p.kernel.log;
    const ctx = new SyscallContext(t, log);
    try {
      const linked = linkImports(program, ctx, log, p.kernel.trace, memory);
      ctx.mem = sharedView(p, memory);
      const instance = new Wasm.Instance(program.module, linked.imports);
      const entry = instance.exports.wasi_thread_start;
      if (typeof entry !== "function") {
        p.exit({ kind: "signal", signo: Signal.SEGV });
        return Promise.resolve({ message: "thread-spawn: the module exports no wasi_thread_start", func: undefined });
      }
      linked.kernel.exports = instance.exports;
      threadExports.set(t, instance.exports); // its signal handlers run in this instance
      linked.kernel.mem = ctx.mem;
      linked.kernel.running = true;
      t.beginRun(nowMs());
      linked.kernel.begin?.();
      return Wasm.promising(entry as (tid: number, arg: number) => unknown)(t.tid, startArg).then(
        () => undefined,
        (e: unknown) => threadEnded(t, e, program),
      );
    } catch (e) {
      return Promise.resolve(threadEnded(t, e, program));
    }
  };
  // What an async function did: a kernel error while starting rejects, never throws at the caller.
  return (t, startArg) => {
    try {
      return start(t, startArg);
    } catch (e) {
      return Promise.reject(e);
    }
  };
}

/**
 * The process's view of its shared memory, for one more thread: one object for all threads (the
 * kernel is single-threaded), so a switch between 1000 threads touches one hot view, not one cold
 * view per thread, and a grow is noticed once.
 */
export function sharedView(p: Thread["process"], memory: WasmMemory): GuestMemory {
  return p.memory?.memory === memory ? p.memory : new GuestMemory(memory);
}

/** Turn how a guest thread unwound into the process's fate; returns a trap to report. */
export function threadEnded(t: Thread, e: unknown, program: Program): Trap | undefined {
  const p = t.process;
  if (e instanceof ThreadExit) return undefined;
  if (e instanceof ProcessExit || e instanceof ThreadKilled) {
    p.exit({ kind: "exit", code: e instanceof ProcessExit ? e.code : 0 });
    return undefined;
  }
  const trap = describeTrap(e, program);
  p.exit({ kind: "signal", signo: trapSignal(e, trap.message) });
  if (!(e instanceof GuestTrap) && !(e instanceof Wasm.RuntimeError) && !(e instanceof RangeError)) {
    p.kernel.log.error(`pid ${p.pid} tid ${t.tid}: unexpected error in guest thread: ${(e as Error)?.stack ?? String(e)}`);
  }
  return trap;
}
