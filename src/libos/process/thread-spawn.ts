/**
 * Threads of a process (wasi-threads): spawn, exit of one thread, and the end of all of them.
 *
 * A spawned thread is a new instance of the process's module sharing its imported shared memory,
 * entering `wasi_thread_start(tid, start_arg)` as a new JSPI coroutine (process/thread-run.ts
 * builds it; this file keeps the bookkeeping and knows nothing of the loader). It starts from the
 * run queue, not inside its parent's thread-spawn call, so spawning never runs the child's code
 * on the parent's stack.
 *
 * Exit rules (Linux's): a thread that returns from wasi_thread_start or calls thread_exit ends
 * alone; proc_exit, a fatal signal or a trap in any thread ends the process: Process.exit() kills
 * every thread (they unwind at their next kernel entry or preemption check), and the runner waits
 * for all of them (joinThreads) before it closes the fds. Nothing outside the process is touched.
 *
 * Thread cap: max_num_of_threads (TCSMaxNum of build/Enclave.xml) through the kernel's
 * ThreadBudget (vm/threads.ts), counted over the live threads of all processes of a kernel;
 * beyond it thread-spawn fails and pthread_create returns EAGAIN.
 */
import { readFile } from "../async-fs.ts";
import path from "node:path";
import { Errno, sysErr } from "../syscall/errno.ts";
import { executor } from "../sched/executor.ts";
import { ThreadBudget, type ThreadContext } from "../vm/threads.ts";
import type { Process } from "./process.ts";
import type { Thread } from "./thread.ts";
import type { Trap } from "./run.ts";
import { ProcessExit } from "./exit.ts";
import { nowMs } from "../sched/clock.ts";
import { dropThreadSignals } from "./signals.ts";
import { holdIfStopped, threadLeft } from "./job-control.ts";

/**
 * thread_exit: unwinds one thread's stack; its runner ends that thread only. A ProcessExit so
 * dispatch lets it through unchanged; runners test for ThreadExit first.
 */
export class ThreadExit extends ProcessExit {
  constructor(code: number) {
    // No stack trace: nobody reads it, and capturing one through the guest's wasm frames was
    // ~18% of a thread's exit (measured with 1024 sysbench threads exiting).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(code);
    Error.stackTraceLimit = limit;
    this.message = `thread_exit(${code})`;
    this.name = "ThreadExit";
  }
}

/** Runs a spawned thread to its end; resolves with the trap that killed it, if any. */
export type ThreadRunner = (t: Thread, startArg: number) => Promise<Trap | undefined>;

interface ThreadGroup {
  readonly runner: ThreadRunner;
  readonly running: Set<Promise<void>>;
  /** Spawned threads still running, by tid (thread_join). */
  readonly byTid: Map<number, Promise<void>>;
  /** The first trap of a spawned thread (it killed the process). */
  trap: Trap | undefined;
  /** Exit code of the last thread_exit (the process's code when the last thread leaves that way). */
  lastExitCode: number;
}

const groups = new WeakMap<Process, ThreadGroup>();
const budgets = new WeakMap<object, ThreadBudget>();
const contexts = new WeakMap<Thread, ThreadContext>();

/**
 * Install the thread budget of a kernel (`key`: its ProcessTable, the object every Process
 * reaches through kernel.processes). Without one, threads are not capped.
 */
export function setThreadBudget(key: object, budget: ThreadBudget): void {
  budgets.set(key, budget);
}

/** TCSNum / TCSMaxNum of a built instance (build/Enclave.xml); undefined if there is none. */
export async function readThreadLimits(instanceDir: string): Promise<{ init: number; max: number } | undefined> {
  let xml: string;
  try {
    xml = (await readFile(path.join(instanceDir, "build", "Enclave.xml"))).toString("utf8");
  } catch {
    return undefined;
  }
  const num = (tag: string): number | undefined => {
    const m = new RegExp(`<${tag}>\\s*(\\d+)\\s*</${tag}>`).exec(xml);
    return m ? Number(m[1]) : undefined;
  };
  const max = num("TCSMaxNum");
  if (max === undefined || max < 1) return undefined;
  const init = Math.min(num("TCSNum") ?? max, max);
  return { init, max };
}

/** A budget from limits, with Init contexts prepared now (boot). */
export function bootThreadBudget(limits: { init: number; max: number }): ThreadBudget {
  return ThreadBudget.boot({ edmm: limits.init < limits.max, init: limits.init, max: limits.max });
}

function budgetOf(p: Process): ThreadBudget | undefined {
  return budgets.get(p.kernel.processes);
}

/** max_num_of_threads, when the kernel has a thread budget (RLIMIT_NPROC's default). */
export function threadCap(p: Process): number | undefined {
  return budgetOf(p)?.limits.max;
}

/** Charge a thread to the budget (EAGAIN at the cap). */
export function admitThread(t: Thread): void {
  const b = budgetOf(t.process);
  if (!b) return;
  try {
    contexts.set(t, b.acquire(t.process.pid));
  } catch {
    throw sysErr(Errno.AGAIN, "max_num_of_threads reached");
  }
}

/** Give a thread's context back (its exit). */
export function releaseThread(t: Thread): void {
  const ctx = contexts.get(t);
  if (!ctx) return;
  contexts.delete(t);
  budgetOf(t.process)?.release(ctx);
}

/** Called by the main thread's runner once the shared memory exists: threads may be spawned. */
export function startThreadGroup(p: Process, runner: ThreadRunner): void {
  groups.set(p, { runner, running: new Set(), byTid: new Map(), trap: undefined, lastExitCode: 0 });
}

/** Spawned threads' starts, queued in the executor until they first run. */
const pendingStarts = new WeakMap<Thread, () => void>();

/**
 * `t`'s real-time priority changed from `was` (sched_setscheduler and kin): if it waits for the
 * vCPU it moves where the new priority puts it, as Linux moves a runnable thread: to the tail of
 * a raised priority, the head of a lowered one. Its start if it has not run yet; else its
 * queued resume (Executor.reprioritize, as a priority inheritance moves it).
 */
export function requeueReady(t: Thread, was: number): void {
  const now = t.rtPriority;
  if (now === was) return;
  const start = pendingStarts.get(t);
  if (start !== undefined) executor.requeue(start, now, now < was);
  else executor.reprioritize(t, now, now < was);
}

/** wasi thread-spawn: a new thread entering wasi_thread_start(tid, startArg); returns its tid. */
export function spawnThread(parent: Thread, startArg: number): number {
  const p = parent.process;
  const g = groups.get(p);
  if (!g) throw sysErr(Errno.NOSYS, "the module has no shared memory: no threads");
  if (p.status) throw sysErr(Errno.AGAIN, "process is exiting");
  const t = p.newThread(parent);
  t.notStarted();
  t.spawner = parent;
  // As Linux's pthread_create sets them: on a thread made with its creator's policy, before it
  // runs; a priority below the creator's puts it at the head of its level (startAtHead).
  let startAtHead = false;
  if (parent.spawnPolicy) {
    t.setPolicy(...parent.spawnPolicy);
    parent.spawnPolicy = undefined;
    startAtHead = t.rtPriority > 0 && t.rtPriority < parent.rtPriority;
    if (t.rtPriority > parent.rtPriority) parent.schedChangedByMe(); // preempted at its next check
  }
  parent.lastSpawnMs = nowMs();
  try {
    admitThread(t);
  } catch (e) {
    p.removeThread(t);
    throw e;
  }
  const done = new Promise<void>((resolve) => {
    const start = (): void => {
      pendingStarts.delete(t);
      // A thread whose process died before it got the CPU never runs; one whose process is
      // stopped starts once it is continued (job-control.ts: it counts as parked meanwhile).
      const held = p.status ? undefined : holdIfStopped(t);
      const run = p.status ? Promise.resolve(undefined) : held ? held.then(() => g.runner(t, startArg), () => undefined) : g.runner(t, startArg);
      // One reaction (a .then().finally() chain was three promise hops per thread exit).
      const ended = (): void => {
        p.removeThread(t);
        threadLeft(t);
        dropThreadSignals(p, t);
        releaseThread(t);
        g.running.delete(done);
        g.byTid.delete(t.tid);
        resolve();
      };
      run.then(
        (trap) => {
          if (trap) g.trap ??= trap;
          ended();
        },
        (e: unknown) => {
          try {
            p.kernel.log.error(`pid ${p.pid} tid ${t.tid}: thread runner failed: ${(e as Error)?.stack ?? String(e)}`);
          } finally {
            ended();
          }
        },
      );
    };
    pendingStarts.set(t, start);
    executor.wakeAt(start, t.rtPriority, startAtHead);
  });
  g.running.add(done);
  g.byTid.set(t.tid, done);
  return t.tid;
}

/** thread_join: resolves when thread `tid` of `p` has ended (at once if it is not running). */
export function joinThread(p: Process, tid: number): Promise<void> | void {
  return groups.get(p)?.byTid.get(tid);
}

/** Record a thread_exit code (see ThreadGroup.lastExitCode). */
export function noteThreadExit(p: Process, code: number): void {
  const g = groups.get(p);
  if (g) g.lastExitCode = code;
}

/** Wait until every spawned thread of `p` has ended (the main thread's runner calls this). */
export async function joinThreads(p: Process): Promise<void> {
  const g = groups.get(p);
  if (!g) return;
  while (g.running.size > 0) await Promise.all([...g.running]);
}

/** The trap that killed a spawned thread of `p` (and so the process), if any. */
export function threadTrap(p: Process): Trap | undefined {
  return groups.get(p)?.trap;
}

/** Exit code when every thread left by thread_exit (no proc_exit). */
export function lastThreadExitCode(p: Process): number {
  return groups.get(p)?.lastExitCode ?? 0;
}

/** Live threads of a process that were spawned (not the main one). */
export function spawnedThreads(p: Process): number {
  return groups.get(p)?.running.size ?? 0;
}
