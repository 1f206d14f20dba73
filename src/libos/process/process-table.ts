/**
 * The kernel's process table: pid allocation, lookup, and the ProcessInfoSource procfs reads.
 */
import os from "node:os";
import type { FdInfo, MemoryInfo, ProcessInfo, ProcessInfoSource } from "../fs/procfs/source.ts";
import type { OpenFile } from "../fs/types.ts";
import { FileType } from "../fs/types.ts";
import type { Process } from "./process.ts";
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
    for (const p of this.procs.values()) {
      let leader = false;
      for (const t of p.threads) {
        if (t.tid !== p.pid) continue;
        leader = true;
        break;
      }
      n += p.threads.size + (leader ? 0 : 1);
    }
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
    const base = p.exe.slice(p.exe.lastIndexOf("/") + 1);
    return {
      pid: p.pid,
      ppid: p.ppid,
      name: base.slice(0, 15),
      state: p.status ? "Z" : p.stopSignal !== 0 ? "T" : "R",
      cmdline: [...p.argv],
      environ: [...p.env],
      threads: p.threads.size,
      vmSizeBytes: mem,
      vmRssBytes: mem,
      vmPeakBytes: peak,
      startTimeNs: p.startNs - this.bootNs,
      exe: p.exe,
      cwd: p.cwd,
    };
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
