/**
 * The kernel's process table: pid allocation, lookup, and the ProcessInfoSource procfs reads.
 */
import os from "node:os";
import type { FdInfo, MemoryInfo, ProcessInfo, ProcessInfoSource, ProcessState, ThreadInfo } from "../fs/procfs/source.ts";
import type { OpenFile } from "../fs/types.ts";
import { FileType } from "../fs/types.ts";
import { commFromBytes, type Process } from "./process.ts";
import type { Thread } from "./thread.ts";
import type { Vm } from "../vm/index.ts";
import { processMemory, syncMemory } from "./user-memory.ts";
import { vcpuCount } from "../vcpu/index.ts";

export class ProcessTable implements ProcessInfoSource {
  private readonly procs = new Map<number, Process>();
  private nextPid = 1;
  /** Boot time in monotonic ns (for starttime, /proc/uptime and sysinfo's uptime). */
  readonly bootNs: bigint;
  /** The kernel's memory manager: /proc/meminfo and /proc/<pid>/status report its numbers. */
  vm: Vm | undefined;

  constructor(bootNs: bigint) {
    this.bootNs = bootNs;
    this.vm = undefined;
  }

  allocPid(): number {
    while (this.procs.has(this.nextPid)) this.nextPid++;
    return this.nextPid++;
  }

  add(p: Process): void {
    this.procs.set(p.pid, p);
  }

  remove(pid: number): void {
    this.procs.delete(pid);
  }

  get(pid: number): Process | undefined {
    return this.procs.get(pid);
  }

  /** Every process, zombies included (a group's or a session's members are found by a scan). */
  all(): IterableIterator<Process> {
    return this.procs.values();
  }

  get size(): number {
    return this.procs.size;
  }

  /**
   * Linux's count of tasks (sysinfo's procs): every thread, and each process's leader while the
   * process is in the table, so a zombie not yet reaped, a group whose main thread ended before
   * the others and a process not yet running count one each, as their task_struct does on Linux.
   */
  tasks(): number {
    let n = 0;
    for (const p of this.procs.values()) n += p.threads.size + ([...p.threads].some((t) => t.tid === p.pid) ? 0 : 1);
    return n;
  }

  // ---- ProcessInfoSource (procfs) ----

  pids(): number[] {
    return [...this.procs.keys()].sort((a, b) => a - b);
  }

  process(pid: number): ProcessInfo | undefined {
    const p = this.procs.get(pid);
    if (!p) return undefined;
    const pm = processMemory(p);
    if (pm) syncMemory(p); // native memory.grow since the last look
    const mem = pm ? pm.pages * 65536 : (p.memory?.byteLength ?? 0);
    const peak = pm ? pm.peakPages * 65536 : mem;
    return {
      pid: p.pid,
      ppid: p.ppid,
      pgid: p.pgid,
      sid: p.sid,
      name: processName(p),
      state: processState(p),
      cmdline: [...p.argv],
      environ: [...p.env],
      threads: p.threads.size,
      vmSizeBytes: mem,
      vmRssBytes: mem,
      vmPeakBytes: peak,
      cpuNs: p.cpuTimeNs(),
      startTimeNs: p.startNs - this.bootNs,
      exe: p.exe,
      cwd: p.cwd,
    };
  }

  threads(pid: number): ThreadInfo[] | undefined {
    const p = this.procs.get(pid);
    if (!p) return undefined;
    return [...p.threads].sort((a, b) => a.tid - b.tid).map((t) => ({ tid: t.tid, name: t.comm, state: threadState(p, t), cpuNs: t.cpuTimeNs() }));
  }

  setThreadName(pid: number, tid: number, name: Uint8Array): boolean {
    const t = findThread(this.procs.get(pid), tid);
    if (!t) return false;
    t.comm = commFromBytes(name);
    return true;
  }

  fds(pid: number): FdInfo[] | undefined {
    const p = this.procs.get(pid);
    if (!p) return undefined;
    return p.fds.list().map((fd) => ({ fd, path: describe(p.fds.get(fd).file, fd) }));
  }

  fdFile(pid: number, fd: number): OpenFile | undefined {
    const p = this.procs.get(pid);
    if (!p || !p.fds.has(fd)) return undefined;
    return p.fds.get(fd).file;
  }

  memory(): MemoryInfo {
    if (this.vm) {
      for (const p of this.procs.values()) syncMemory(p);
      const m = this.vm.meminfo();
      return { totalBytes: m["MemTotal"]!, freeBytes: m["MemFree"]!, availableBytes: m["MemAvailable"]!, extra: m };
    }
    return { totalBytes: os.totalmem(), freeBytes: os.freemem(), availableBytes: os.freemem() };
  }

  cpus(): number {
    return vcpuCount(); // as sysconf and thread_parallelism say
  }
}

function describe(f: OpenFile, fd: number): string {
  if (f.path) return f.path;
  if (f.filetype === FileType.SOCKET_STREAM || f.filetype === FileType.SOCKET_DGRAM) return `socket:[${fd}]`;
  return `anon_inode:[${fd}]`;
}

function processState(p: Process): ProcessState {
  return p.status ? "Z" : p.stopSignal !== 0 ? "T" : "R";
}

/** A thread parked in the kernel sleeps (S); the process's state otherwise. */
function threadState(p: Process, t: Thread): ProcessState {
  const s = processState(p);
  return s === "R" && t.inKernelWait() ? "S" : s;
}

/** The main thread's name (Linux shows the group leader's comm), kept once that thread has ended. */
function processName(p: Process): string {
  const main = findThread(p, p.pid);
  if (main) p.mainComm = main.comm;
  return p.mainComm ?? commFromBytes(Buffer.from(p.execPath.slice(p.execPath.lastIndexOf("/") + 1)));
}

function findThread(p: Process | undefined, tid: number): Thread | undefined {
  if (p) for (const t of p.threads) if (t.tid === tid && !t.killed) return t;
  return undefined;
}
