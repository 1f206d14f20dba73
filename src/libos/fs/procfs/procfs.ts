/**
 * procfs: process and system information, formatted from a ProcessInfoSource (source.ts).
 *
 *   /proc/self            → "<pid of the caller>" (FsCtx.pid: the per-process Vfs view)
 *   /proc/thread-self     → "<pid>/task/<tid of the caller>" (FsCtx.tid: a thread's view)
 *   /proc/<pid>/cmdline   argv, NUL-terminated       /proc/<pid>/environ  same for the environment
 *   /proc/<pid>/status    Name/State/Tgid/Pid/PPid/Threads/VmSize/VmRSS
 *   /proc/<pid>/stat      the 52 fields of Linux's format (unknown ones 0)
 *   /proc/<pid>/comm      the main thread's name; /proc/<pid>/task/<tid>/{comm,stat,status}
 *                         each thread's (writing a comm renames that thread, as Linux allows
 *                         within a process)
 *   /proc/<pid>/fd/N      magic links: readlink gives the fd's path; opening gives the file
 *   /proc/<pid>/exe, cwd  symlinks when the source knows them
 *   /proc/meminfo, cpuinfo, mounts, uptime
 * A file's content is a snapshot taken when it is opened. Everything but comm is read-only
 * (EACCES on write, EPERM on namespace changes).
 */
import { Errno, sysErr } from "../../syscall/errno.ts";
import { nowNs } from "../file-base.ts";
import { FileType, type OpenFile, type OpenOptions, type Stat } from "../types.ts";
import { allocDev, InodeBase, type FileSystemImpl, type FsCtx, type InodeImpl, type InodeOpenOptions, type ListEntry } from "../vfs/inode.ts";
import { scatter, SeekableFile } from "../vfs/seekable.ts";
import type { MountEntry } from "../vfs/vfs.ts";
import type { ProcessInfo, ProcessInfoSource, ThreadInfo } from "./source.ts";

export interface ProcFsDeps {
  source: ProcessInfoSource;
  mounts: () => MountEntry[];
  /** hrtime (ns) at boot, for /proc/uptime. */
  bootNs: bigint;
  /** Open an absolute path as process `pid` (reopening /proc/<pid>/fd/N targets). */
  reopen: (pid: number, path: string, opts: OpenOptions) => Promise<OpenFile>;
}

const enc = new TextEncoder();

class ProcDataFile extends SeekableFile {
  private readonly data: Uint8Array;
  private readonly inode: ProcInode;
  /** A comm opened for writing: each write renames the thread (Linux takes the first 15 bytes and says all were written). */
  private readonly rename: ((name: Uint8Array) => void) | undefined;

  constructor(inode: ProcInode, data: Uint8Array, opts: InodeOpenOptions, rename?: (name: Uint8Array) => void) {
    super({ readable: opts.read, writable: rename !== undefined, flags: opts.fdflags, path: opts.path });
    this.inode = inode;
    this.data = data;
    this.rename = rename;
  }
  protected readAt(iovs: Uint8Array[], offset: bigint): number {
    return offset >= BigInt(this.data.length) ? 0 : scatter(iovs, this.data.subarray(Number(offset)));
  }
  protected writeAt(iovs: Uint8Array[]): number {
    if (!this.rename) throw sysErr(Errno.BADF);
    const all = Buffer.concat(iovs);
    this.rename(all);
    return all.length;
  }
  protected getSize(): bigint {
    return BigInt(this.data.length);
  }
  override stat(): Stat {
    return this.inode.stat();
  }
}

type Node =
  | { kind: "root" }
  | { kind: "self" }
  | { kind: "threadself" }
  | { kind: "sysfile"; name: "meminfo" | "cpuinfo" | "mounts" | "uptime" }
  | { kind: "piddir"; pid: number }
  | { kind: "pidfile"; pid: number; name: (typeof PID_FILES)[number] }
  | { kind: "pidlink"; pid: number; name: "exe" | "cwd" }
  | { kind: "fddir"; pid: number }
  | { kind: "fd"; pid: number; fd: number }
  | { kind: "taskdir"; pid: number }
  | { kind: "task"; pid: number; tid: number }
  | { kind: "taskfile"; pid: number; tid: number; name: (typeof TASK_FILES)[number] };

const SYS_FILES = ["meminfo", "cpuinfo", "mounts", "uptime"] as const;
const PID_FILES = ["cmdline", "environ", "status", "stat", "comm"] as const;
const TASK_FILES = ["comm", "stat", "status"] as const;
/** Linux's TASK_COMM_LEN less its NUL. */
const COMM_BYTES = 15;

function inoOf(n: Node): bigint {
  switch (n.kind) {
    case "root": return 1n;
    case "self": return 2n;
    case "threadself": return 3n + BigInt(SYS_FILES.length);
    case "sysfile": return 3n + BigInt(SYS_FILES.indexOf(n.name));
    case "piddir": return BigInt(n.pid + 1) << 8n;
    case "pidfile": return (BigInt(n.pid + 1) << 8n) + 1n + BigInt(PID_FILES.indexOf(n.name));
    case "pidlink": return (BigInt(n.pid + 1) << 8n) + (n.name === "exe" ? 16n : 17n);
    case "fddir": return (BigInt(n.pid + 1) << 8n) + 32n;
    case "fd": return (1n << 48n) + (BigInt(n.pid) << 20n) + BigInt(n.fd);
    case "taskdir": return (BigInt(n.pid + 1) << 8n) + 33n;
    case "task": return (2n << 48n) + (BigInt(n.pid) << 26n) + (BigInt(n.tid) << 2n);
    case "taskfile": return (2n << 48n) + (BigInt(n.pid) << 26n) + (BigInt(n.tid) << 2n) + 1n + BigInt(TASK_FILES.indexOf(n.name));
  }
}

function typeOf(n: Node): FileType {
  switch (n.kind) {
    case "root": case "piddir": case "fddir": case "taskdir": case "task": return FileType.DIRECTORY;
    case "self": case "threadself": case "pidlink": case "fd": return FileType.SYMBOLIC_LINK;
    default: return FileType.REGULAR_FILE;
  }
}

export class ProcFs implements FileSystemImpl {
  readonly type = "proc";
  readonly dev = allocDev();
  readonly readOnly = false;
  readonly deps: ProcFsDeps;
  readonly mountedAt = nowNs();

  constructor(deps: ProcFsDeps) {
    this.deps = deps;
  }

  root(): ProcInode {
    return new ProcInode(this, { kind: "root" });
  }
}

export class ProcInode extends InodeBase {
  readonly fs: ProcFs;
  readonly ino: bigint;
  readonly filetype: FileType;
  protected readonly node: Node;

  constructor(fs: ProcFs, node: Node) {
    super();
    this.fs = fs;
    this.node = node;
    this.ino = inoOf(node);
    this.filetype = typeOf(node);
  }

  private get src(): ProcessInfoSource {
    return this.fs.deps.source;
  }

  private proc(pid: number): ProcessInfo {
    const p = this.src.process(pid);
    if (!p) throw sysErr(Errno.NOENT, `no process ${pid}`);
    return p;
  }

  stat(): Stat {
    const t = this.fs.mountedAt;
    const dir = this.filetype === FileType.DIRECTORY;
    const mode = dir ? 0o555 : this.filetype === FileType.SYMBOLIC_LINK ? 0o777 : isComm(this.node) ? 0o644 : this.node.kind === "pidfile" && this.node.name === "environ" ? 0o400 : 0o444;
    return { dev: this.fs.dev, ino: this.ino, filetype: this.filetype, nlink: dir ? 2n : 1n, size: 0n, atim: t, mtim: t, ctim: t, mode };
  }

  override lookup(name: string, _ctx: FsCtx): InodeImpl | null {
    const n = this.node;
    const mk = (node: Node) => (node.kind === "fd" ? new ProcFdLink(this.fs, node) : new ProcInode(this.fs, node));
    switch (n.kind) {
      case "root": {
        if (name === "self") return mk({ kind: "self" });
        if (name === "thread-self") return mk({ kind: "threadself" });
        if ((SYS_FILES as readonly string[]).includes(name)) return mk({ kind: "sysfile", name: name as (typeof SYS_FILES)[number] });
        if (!/^[1-9][0-9]{0,9}$/.test(name)) return null;
        const pid = Number(name);
        return this.src.process(pid) ? mk({ kind: "piddir", pid }) : null;
      }
      case "piddir": {
        const p = this.proc(n.pid);
        if ((PID_FILES as readonly string[]).includes(name)) return mk({ kind: "pidfile", pid: n.pid, name: name as (typeof PID_FILES)[number] });
        if (name === "fd") return mk({ kind: "fddir", pid: n.pid });
        if (name === "task") return mk({ kind: "taskdir", pid: n.pid });
        if ((name === "exe" && p.exe) || (name === "cwd" && p.cwd)) return mk({ kind: "pidlink", pid: n.pid, name });
        return null;
      }
      case "taskdir": {
        if (!/^[1-9][0-9]{0,9}$/.test(name)) return null;
        const tid = Number(name);
        return this.threadOf(n.pid, tid) ? mk({ kind: "task", pid: n.pid, tid }) : null;
      }
      case "task": {
        this.thread(n.pid, n.tid);
        return (TASK_FILES as readonly string[]).includes(name) ? mk({ kind: "taskfile", pid: n.pid, tid: n.tid, name: name as (typeof TASK_FILES)[number] }) : null;
      }
      case "fddir": {
        if (!/^(0|[1-9][0-9]{0,9})$/.test(name)) return null;
        const fd = Number(name);
        return this.src.fds(n.pid)?.some((f) => f.fd === fd) ? mk({ kind: "fd", pid: n.pid, fd }) : null;
      }
      default:
        throw sysErr(Errno.NOTDIR);
    }
  }

  override list(_ctx: FsCtx): ListEntry[] {
    const n = this.node;
    const e = (name: string, node: Node): ListEntry => ({ name, ino: inoOf(node), filetype: typeOf(node) });
    switch (n.kind) {
      case "root":
        return [
          e("self", { kind: "self" }),
          e("thread-self", { kind: "threadself" }),
          ...SYS_FILES.map((name) => e(name, { kind: "sysfile", name })),
          ...this.src.pids().map((pid) => e(String(pid), { kind: "piddir", pid })),
        ];
      case "piddir": {
        const p = this.proc(n.pid);
        const out = PID_FILES.map((name) => e(name, { kind: "pidfile", pid: n.pid, name }));
        out.push(e("fd", { kind: "fddir", pid: n.pid }), e("task", { kind: "taskdir", pid: n.pid }));
        if (p.exe) out.push(e("exe", { kind: "pidlink", pid: n.pid, name: "exe" }));
        if (p.cwd) out.push(e("cwd", { kind: "pidlink", pid: n.pid, name: "cwd" }));
        return out;
      }
      case "fddir":
        return (this.src.fds(n.pid) ?? []).map((f) => e(String(f.fd), { kind: "fd", pid: n.pid, fd: f.fd }));
      case "taskdir":
        return (this.src.threads?.(n.pid) ?? []).map((t) => e(String(t.tid), { kind: "task", pid: n.pid, tid: t.tid }));
      case "task":
        this.thread(n.pid, n.tid);
        return TASK_FILES.map((name) => e(name, { kind: "taskfile", pid: n.pid, tid: n.tid, name }));
      default:
        throw sysErr(Errno.NOTDIR);
    }
  }

  private threadOf(pid: number, tid: number): ThreadInfo | undefined {
    return this.src.threads?.(pid)?.find((t) => t.tid === tid);
  }

  private thread(pid: number, tid: number): ThreadInfo {
    const t = this.threadOf(pid, tid);
    if (!t) throw sysErr(Errno.NOENT, `no thread ${tid} in process ${pid}`);
    return t;
  }

  override readlink(ctx: FsCtx): string {
    const n = this.node;
    switch (n.kind) {
      case "self":
        return String(ctx.pid);
      case "threadself":
        // A view without a thread (the kernel's own opens) is the main thread's, whose tid is the pid.
        return `${ctx.pid}/task/${ctx.tid ?? ctx.pid}`;
      case "pidlink": {
        const p = this.proc(n.pid);
        return (n.name === "exe" ? p.exe : p.cwd) ?? "/";
      }
      case "fd": {
        const f = this.src.fds(n.pid)?.find((x) => x.fd === n.fd);
        if (!f) throw sysErr(Errno.NOENT);
        return f.path;
      }
      default:
        throw sysErr(Errno.INVAL, "not a symlink");
    }
  }

  override open(opts: InodeOpenOptions, ctx: FsCtx): OpenFile {
    if (this.filetype === FileType.DIRECTORY) throw sysErr(Errno.ISDIR);
    const n = this.node;
    if (opts.write || opts.truncate) {
      if (!isComm(n) || (n.kind !== "pidfile" && n.kind !== "taskfile")) throw sysErr(Errno.ACCES, "procfs is read-only");
      const tid = n.kind === "taskfile" ? n.tid : n.pid;
      return new ProcDataFile(this, enc.encode(this.content()), opts, (name) => {
        // Linux renames only threads of the writer's own process (EINVAL otherwise).
        if (ctx.pid !== n.pid) throw sysErr(Errno.INVAL);
        if (!this.src.setThreadName?.(n.pid, tid, name.subarray(0, COMM_BYTES))) throw sysErr(Errno.NOENT);
      });
    }
    return new ProcDataFile(this, enc.encode(this.content()), opts);
  }

  private content(): string {
    const n = this.node;
    const d = this.fs.deps;
    if (n.kind === "sysfile") {
      switch (n.name) {
        case "meminfo": {
          const m = this.src.memory();
          const kb = (b: number) => String(Math.floor(b / 1024)).padStart(8) + " kB\n";
          if (m.extra) return Object.entries(m.extra).map(([k, v]) => `${k}:`.padEnd(16) + kb(v)).join("");
          return `MemTotal:       ${kb(m.totalBytes)}MemFree:        ${kb(m.freeBytes)}MemAvailable:   ${kb(m.availableBytes)}`;
        }
        case "cpuinfo": {
          const cpus = this.src.cpus?.() ?? 1;
          let s = "";
          for (let i = 0; i < cpus; i++) s += `processor\t: ${i}\nvendor_id\t: occlum-ts\nmodel name\t: WebAssembly vCPU\ncpu cores\t: ${cpus}\n\n`;
          return s;
        }
        case "mounts":
          return d.mounts().map((m) => `${m.source} ${m.target} ${m.type} ${m.readOnly ? "ro" : "rw"} 0 0\n`).join("");
        case "uptime": {
          const secs = Number(process.hrtime.bigint() - d.bootNs) / 1e9;
          return `${secs.toFixed(2)} ${secs.toFixed(2)}\n`;
        }
      }
    }
    if (n.kind === "pidfile") {
      const p = this.proc(n.pid);
      switch (n.name) {
        case "cmdline":
          return p.cmdline.map((a) => a + "\0").join("");
        case "environ":
          return p.environ.map((a) => a + "\0").join("");
        case "status":
          return statusOf(p);
        case "stat":
          return statOf(p);
        case "comm":
          return `${p.name}\n`;
      }
    }
    if (n.kind === "taskfile") {
      const p = this.proc(n.pid);
      const t = this.thread(n.pid, n.tid);
      switch (n.name) {
        case "comm":
          return `${t.name}\n`;
        case "status":
          return statusOf(p, t);
        case "stat":
          return statOf(p, t);
      }
    }
    throw sysErr(Errno.INVAL);
  }
}

function isComm(n: Node): boolean {
  return (n.kind === "pidfile" || n.kind === "taskfile") && n.name === "comm";
}

const STATE_NAMES: Record<string, string> = { R: "running", S: "sleeping", D: "disk sleep", T: "stopped", Z: "zombie", X: "dead" };

/** A process's status, or (with `t`) one of its threads': its name, state and tid. */
function statusOf(p: ProcessInfo, t?: ThreadInfo): string {
  const kb = (b: number) => String(Math.floor(b / 1024)).padStart(8) + " kB";
  const name = t?.name ?? p.name, state = t?.state ?? p.state;
  return [
    `Name:\t${name}`, `State:\t${state} (${STATE_NAMES[state]})`, `Tgid:\t${p.pid}`, `Pid:\t${t?.tid ?? p.pid}`,
    `PPid:\t${p.ppid}`, `Threads:\t${p.threads}`, ...(p.vmPeakBytes !== undefined ? [`VmPeak:\t${kb(p.vmPeakBytes)}`] : []), `VmSize:\t${kb(p.vmSizeBytes)}`, ...(p.vmPeakBytes !== undefined ? [`VmHWM:\t${kb(p.vmPeakBytes)}`] : []), `VmRSS:\t${kb(p.vmRssBytes)}`,
  ].join("\n") + "\n";
}

/** USER_HZ: /proc counts times in hundredths of a second. */
const TICK_NS = 10_000_000n;

/** A process's stat line, or (with `t`) one of its threads': its tid, name, state and CPU time. */
function statOf(p: ProcessInfo, t?: ThreadInfo): string {
  const ticks = p.startTimeNs !== undefined ? p.startTimeNs / TICK_NS : 0n;
  const utime = (t?.cpuNs ?? p.cpuNs ?? 0n) / TICK_NS;
  const f: (string | number | bigint)[] = [
    t?.tid ?? p.pid, `(${t?.name ?? p.name})`, t?.state ?? p.state, p.ppid, p.pgid ?? p.pid, p.sid ?? p.pid, 0, 0, 0, // pgrp session tty_nr tpgid flags(9)
    0, 0, 0, 0, utime, 0, 0, 0, // minflt cminflt majflt cmajflt utime stime cutime cstime
    20, 0, p.threads, 0, ticks, p.vmSizeBytes, Math.floor(p.vmRssBytes / 4096),
  ];
  while (f.length < 52) f.push(0);
  return f.join(" ") + "\n";
}

/** /proc/<pid>/fd/N: a magic link (see InodeImpl.openLink). */
class ProcFdLink extends ProcInode {
  private readonly fdNode: { pid: number; fd: number };

  constructor(fs: ProcFs, node: { kind: "fd"; pid: number; fd: number }) {
    super(fs, node);
    this.fdNode = node;
  }

  async openLink(opts: InodeOpenOptions, _ctx: FsCtx): Promise<{ file: OpenFile; shared: boolean }> {
    const n = this.fdNode;
    const file = this.fs.deps.source.fdFile(n.pid, n.fd);
    if (!file) throw sysErr(Errno.NOENT);
    const reopenable = file.path?.startsWith("/") && (file.filetype === FileType.REGULAR_FILE || file.filetype === FileType.DIRECTORY);
    if (reopenable) {
      const oflags = (opts.truncate ? 8 : 0) | (file.filetype === FileType.DIRECTORY ? 2 : 0);
      const f = await this.fs.deps.reopen(n.pid, file.path!, { oflags, fdflags: opts.fdflags, read: opts.read, write: opts.write, followSymlinks: true });
      return { file: f, shared: false };
    }
    return { file, shared: true };
  }
}
