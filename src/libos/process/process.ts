/**
 * Process: a guest program instance (its own wasm instance and memory), its threads, fd table,
 * argv/env, and how it ended. Processes are isolated by WebAssembly: nothing in one can reach
 * another's memory; they share only kernel objects (files, the VFS).
 */
import { executor } from "../sched/executor.ts";
import { releaseOnClose } from "../fs/locks.ts";
import type { Kernel } from "../kernel.ts";
import type { Vfs } from "../fs/types.ts";
import type { GuestMemory } from "../syscall/memory.ts";
import { FdTable } from "./fd-table.ts";
import type { ExitStatus } from "./exit.ts";
import { Thread } from "./thread.ts";
import { monotonicNs } from "../sched/clock.ts";
import { WaitQueue } from "../sched/wait-queue.ts";
import type { SigAction, SigInfo } from "./signals.ts";
import { endJob, JobState } from "./job-control.ts";
import type { Limit } from "./rlimits.ts";

/**
 * Called when a thread of a live process ends, for kernel state owned by threads that other
 * threads wait on (a PI futex's owner: syscall/occlum/futex-rows.ts).
 */
const threadEndHooks: ((t: Thread) => void)[] = [];
export function onThreadEnd(hook: (t: Thread) => void): void {
  threadEndHooks.push(hook);
}

export interface ProcessInit {
  pid: number;
  ppid: number;
  exe: string;
  /** The path it was started by, when not `exe` itself (a symlink: comm is its file name, as Linux's execve takes it). */
  execPath?: string;
  argv: string[];
  env: string[];
  cwd?: string;
  pgid?: number;
  /** Session; absent: a new one led by the process (the instance's first process). */
  sid?: number;
}

export class Process {
  readonly kernel: Kernel;
  /** The file system as this process sees it. */
  readonly vfs: Vfs;
  readonly pid: number;
  /** Parent pid (changes when an orphan is re-parented to init); 0 for the first process. */
  ppid: number;
  /**
   * Started by the host (the instance's first process, ppid 0 at creation): its parent is outside
   * the LibOS, and ties its group to the session (session.ts).
   */
  readonly startedByHost: boolean;
  /** The parent while it lives (wait4 and re-parenting); undefined: reaped by the kernel. */
  parent: Process | undefined;
  readonly children = new Set<Process>();
  /** Process group (setpgid); a child starts in its parent's group. */
  pgid: number;
  /** Session (setsid; session.ts); a child starts in its parent's session. */
  sid: number;
  /** Notified when a child becomes a zombie (wait4). */
  readonly childEvents = new WaitQueue();
  /** True once the process ended and its fds are closed: a zombie until its parent waits. */
  zombie = false;
  /** Resolves when the process has ended (fds closed); set by the runner. */
  done: Promise<unknown> = Promise.resolve();
  /** Signals whose disposition is "ignore" (spawn attributes, SIG_IGN). */
  readonly ignored = new Set<number>();
  /** The guest's signal entry point (WASIX callback_signal: an export taking the signal number). */
  signalCallback: string | undefined;
  /**
   * Pending signals, in arrival order: the process's own set and each thread's (process/signals.ts
   * keeps the three arrays in step). A standard signal is pending at most once per set: once
   * process-directed (kill), and once for each thread it was sent to (raise, pthread_kill); a
   * real-time one queues every instance.
   */
  readonly pendingSignals: number[] = [];
  /** The thread each pending signal was sent to; undefined: the process (any thread may take it). */
  readonly pendingTo: (Thread | undefined)[] = [];
  /** Who sent each pending signal and how (siginfo): the first instance's, as Linux keeps it. */
  readonly pendingInfo: SigInfo[] = [];
  /** Dispositions the libc reported (occlum.sigaction): handler/default/ignore, flags, sa_mask. */
  readonly sigactions = new Map<number, SigAction>();
  /** The program reports every disposition it installs (it imports occlum.sigaction). */
  reportsSigactions = false;
  /** The main thread's signal mask at start (posix_spawn: the parent's, or POSIX_SPAWN_SETSIGMASK's). */
  initialSigmask = 0n;
  /**
   * The signal that stopped the process (job-control.ts), 0 while it runs: set when a stop
   * begins, cleared by SIGCONT or its end. The kernel's ways out to guest code look at it.
   */
  stopSignal = 0;
  /** Job control's state: the threads a stop waits for, the queue parked ones wait on, wait reports. */
  readonly job = new JobState();
  /** The instance's exports (signal callbacks). */
  exports: Record<string, unknown> | undefined;
  /**
   * The program uses the WASIX ABI (imports wasix_32v1): fd_renumber is then dup2 (wasix-libc's
   * dup2 calls it and keeps using the source fd), as WASIX runtimes implement it.
   */
  wasix = false;
  readonly exe: string;
  /** The path it was started by (comm's source). */
  readonly execPath: string;
  readonly argv: string[];
  readonly env: string[];
  cwd: string;
  readonly fds = new FdTable();
  readonly threads = new Set<Thread>();
  readonly startNs = monotonicNs();
  /** The main thread's name as last seen (procfs: the process's name once that thread has ended). */
  mainComm: string | undefined = undefined;
  memory: GuestMemory | undefined;
  /** Set once, when the process starts exiting. */
  status: ExitStatus | undefined;
  private nextTid: number;
  private readonly exitWaiters: ((s: ExitStatus) => void)[] = [];

  constructor(kernel: Kernel, init: ProcessInit) {
    this.kernel = kernel;
    this.pid = init.pid;
    this.fds.onDrop = (file) => {
      file.flush?.(this);
      return releaseOnClose(this, file);
    };
    this.vfs = kernel.fs.forProcess(init.pid);
    this.ppid = init.ppid;
    this.startedByHost = init.ppid === 0;
    this.parent = undefined;
    this.pgid = init.pgid ?? init.pid;
    this.sid = init.sid ?? init.pid;
    this.exe = init.exe;
    this.execPath = init.execPath ?? init.exe;
    this.argv = init.argv;
    this.env = init.env;
    this.cwd = init.cwd ?? "/";
    this.nextTid = init.pid; // the main thread's tid is the pid, as on Linux
  }

  /** A new thread; it starts with its creator's signal mask (the main thread: initialSigmask). */
  newThread(creator?: Thread): Thread {
    const t = new Thread(this.nextTid++, this);
    t.sigmask = creator ? creator.sigmask : this.initialSigmask;
    t.affinity = creator?.affinity; // as Linux, a new thread may run where its creator may
    if (creator) [t.nice, t.schedPolicy, t.schedPriority] = [creator.nice, creator.schedPolicy, creator.schedPriority];
    t.comm = creator ? creator.comm : commOf(this.execPath); // and starts with its creator's name
    this.threads.add(t);
    // A process that exited before this thread existed (a kill that arrived while it was being
    // created, e.g. a SIGTERM during boot): the thread starts killed, so it leaves at its first
    // kernel call or preemption check instead of running on unseen.
    if (this.status) t.kill();
    return t;
  }

  /** Begin exiting: record the status (first one wins) and knock every thread out of the kernel. */
  exit(status: ExitStatus): void {
    if (this.status) return;
    this.status = status;
    endJob(this); // a stopped process dies too (its parked threads unwind)
    for (const t of this.threads) t.kill();
  }

  /** Called by the runner when the last thread is gone and the fds are closed. */
  reap(): void {
    const s = this.status ?? { kind: "exit", code: 0 };
    for (const w of this.exitWaiters.splice(0)) w(s);
  }

  /** Resolves with the exit status once the process is reaped (wait4 will build on this). */
  waitExit(): Promise<ExitStatus> {
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  /**
   * prctl(PR_SET_PDEATHSIG): the signal this process gets when the thread that spawned it ends
   * (pdeath.ts); 0: none. `spawner` is that thread while it may still end.
   */
  pdeathSignal = 0;
  spawner: Thread | undefined = undefined;
  /** Resource limits set by setrlimit/prlimit or inherited (rlimits.ts; the others are defaults). */
  readonly rlimits = new Map<number, Limit>();
  /** What the children it has waited for used, theirs included (getrusage RUSAGE_CHILDREN; wait.ts adds them). */
  childrenCpuNs = 0n;
  childrenMaxRssKb = 0;

  /** CPU time of the threads that have ended (Linux's process clock keeps counting it). */
  private endedCpuNs = 0n;

  /**
   * A thread has ended (or never started): it leaves `threads`, its CPU time stays the process's,
   * and what it held for others is passed on (threadEndHooks).
   */
  removeThread(t: Thread): void {
    if (!this.threads.delete(t)) return;
    this.endedCpuNs += t.cpuTimeNs();
    // A real-time thread that ended holds nothing back (after its last clock read, which may
    // have put it on the CPU's books once more).
    t.gone = true;
    executor.leftCpu(t);
    if (!this.status) for (const h of threadEndHooks) h(t);
  }

  /** CLOCK_PROCESS_CPUTIME_ID: every thread's CPU time, those that ended included. */
  cpuTimeNs(): bigint {
    let n = this.endedCpuNs;
    for (const t of this.threads) n += t.cpuTimeNs();
    return n;
  }
}

/** Linux's TASK_COMM_LEN less its NUL: a thread's name is at most this many bytes. */
export const COMM_BYTES = 15;

/** A thread's name from bytes (cut at a NUL and at COMM_BYTES, as Linux's set_task_comm). */
export function commFromBytes(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return Buffer.from(b.subarray(0, Math.min(nul < 0 ? b.length : nul, COMM_BYTES))).toString();
}

/** The first thread's name: the executable's file name. */
function commOf(exe: string): string {
  return commFromBytes(Buffer.from(exe.slice(exe.lastIndexOf("/") + 1)));
}
