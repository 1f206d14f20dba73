/**
 * ProcessInfoSource: what procfs needs to know about processes. The kernel (process/) implements
 * it; procfs only formats. Every method is synchronous and cheap: procfs calls them when a file
 * under /proc is opened (the content is a snapshot taken at open, as Linux's seq files do per read).
 */
import type { OpenFile } from "../types.ts";

export type ProcessState = "R" | "S" | "D" | "T" | "Z" | "X";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Process group and session (/proc/<pid>/stat); absent: the pid (a leader of both). */
  pgid?: number;
  sid?: number;
  /** Short name (Linux comm, at most 15 bytes shown): usually the basename of the program. */
  name: string;
  state: ProcessState;
  /** argv, as passed at spawn. */
  cmdline: string[];
  /** The process environment, "KEY=VALUE". */
  environ: string[];
  /** Number of live threads. */
  threads: number;
  /** Address-space size and resident bytes (the wasm memories and kernel-side buffers charged). */
  vmSizeBytes: number;
  vmRssBytes: number;
  /** Peak of vmSizeBytes (VmPeak/VmHWM), when the memory manager tracks it. */
  vmPeakBytes?: number;
  /** CPU time of all its threads, ended ones included (for /proc/<pid>/stat utime). */
  cpuNs?: bigint;
  /** Start time, ns since the LibOS booted (for /proc/<pid>/stat starttime). */
  startTimeNs?: bigint;
  /** Absolute path of the executable, for /proc/<pid>/exe. */
  exe?: string;
  /** Absolute path of the current directory, for /proc/<pid>/cwd. */
  cwd?: string;
}

/** One thread of a process, for /proc/<pid>/task/<tid>. */
export interface ThreadInfo {
  tid: number;
  /** Its comm (at most 15 bytes): set by pthread_setname_np, prctl(PR_SET_NAME) or a write to comm. */
  name: string;
  state: ProcessState;
  /** CPU time used so far. */
  cpuNs: bigint;
}

export interface FdInfo {
  fd: number;
  /** What the link shows: an absolute path, or "pipe:[N]", "socket:[N]", "/dev/pts/0"... */
  path: string;
}

export interface MemoryInfo {
  totalBytes: number;
  freeBytes: number;
  availableBytes: number;
  /** All /proc/meminfo lines in bytes, in order, when the memory manager provides them (vm/report.ts). */
  extra?: Record<string, number>;
}

export interface ProcessInfoSource {
  /** Live pids, ascending. */
  pids(): number[];
  /** undefined when the pid does not exist (ENOENT under /proc). */
  process(pid: number): ProcessInfo | undefined;
  /** Open fds of a process, ascending; undefined when the pid does not exist. */
  fds(pid: number): FdInfo[] | undefined;
  /**
   * The open file behind an fd, for opening /proc/<pid>/fd/N (and so /dev/stdin...). procfs returns
   * this very object (the description is shared, as a dup would): the fd table must count its
   * references by object, so the new fd's close does not release the original's description.
   * When the file has an absolute `path` of a regular file or directory, procfs reopens that path
   * instead (a new description, as Linux does).
   */
  fdFile(pid: number, fd: number): OpenFile | undefined;
  /** A process's threads, ascending by tid; undefined when the pid does not exist. */
  threads?(pid: number): ThreadInfo[] | undefined;
  /** Rename thread `tid` of `pid` (a write to its comm: the bytes as given, cut to 15); false when it does not exist. */
  setThreadName?(pid: number, tid: number, name: Uint8Array): boolean;
  memory(): MemoryInfo;
  /** When the instance booted, in monotonic ns: /proc/uptime counts from it (as sysinfo does). */
  readonly bootNs?: bigint;
  /** Number of vCPUs shown in /proc/cpuinfo (default 1). */
  cpus?(): number;
}

/** An empty source: only the caller's pid exists, with no fds (tests, early boot). */
export function emptyProcessInfo(): ProcessInfoSource {
  return {
    pids: () => [],
    process: () => undefined,
    fds: () => undefined,
    fdFile: () => undefined,
    memory: () => ({ totalBytes: 0, freeBytes: 0, availableBytes: 0 }),
  };
}
