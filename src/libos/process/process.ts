/**
 * Process: a guest program instance (its own wasm instance and memory), its threads, fd table,
 * argv/env, and how it ended. Processes are isolated by WebAssembly: nothing in one can reach
 * another's memory; they share only kernel objects (files, the VFS).
 */
import type { Kernel } from "../kernel.ts";
import type { Vfs } from "../fs/types.ts";
import type { GuestMemory } from "../syscall/memory.ts";
import { FdTable } from "./fd-table.ts";
import type { ExitStatus } from "./exit.ts";
import { Thread } from "./thread.ts";
import { monotonicNs } from "../sched/clock.ts";

export interface ProcessInit {
  pid: number;
  ppid: number;
  exe: string;
  argv: string[];
  env: string[];
  cwd?: string;
}

export class Process {
  readonly kernel: Kernel;
  /** The file system as this process sees it. */
  readonly vfs: Vfs;
  readonly pid: number;
  readonly ppid: number;
  readonly exe: string;
  readonly argv: string[];
  readonly env: string[];
  cwd: string;
  readonly fds = new FdTable();
  readonly threads = new Set<Thread>();
  readonly startNs = monotonicNs();
  memory: GuestMemory | undefined;
  /** Set once, when the process starts exiting. */
  status: ExitStatus | undefined;
  private nextTid: number;
  private readonly exitWaiters: ((s: ExitStatus) => void)[] = [];

  constructor(kernel: Kernel, init: ProcessInit) {
    this.kernel = kernel;
    this.pid = init.pid;
    this.vfs = kernel.fs.forProcess(init.pid);
    this.ppid = init.ppid;
    this.exe = init.exe;
    this.argv = init.argv;
    this.env = init.env;
    this.cwd = init.cwd ?? "/";
    this.nextTid = init.pid; // the main thread's tid is the pid, as on Linux
  }

  newThread(): Thread {
    const t = new Thread(this.nextTid++, this);
    this.threads.add(t);
    return t;
  }

  /** Begin exiting: record the status (first one wins) and knock every thread out of the kernel. */
  exit(status: ExitStatus): void {
    if (this.status) return;
    this.status = status;
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

  cpuTimeNs(): bigint {
    let n = 0n;
    for (const t of this.threads) n += t.cpuTimeNs();
    return n;
  }
}
