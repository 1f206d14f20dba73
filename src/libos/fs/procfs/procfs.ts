/**
 * procfs: process and system information, formatted from a ProcessInfoSource (source.ts).
 *
 *   /proc/self            → "<pid of the caller>" (FsCtx.pid: the per-process Vfs view)
 *   /proc/<pid>/cmdline   argv, NUL-terminated       /proc/<pid>/environ  same for the environment
 *   /proc/<pid>/status    Name/State/Tgid/Pid/PPid/Threads/VmSize/VmRSS
 *   /proc/<pid>/stat      the 52 fields of Linux's format (unknown ones 0)
 *   /proc/<pid>/fd/N      magic links: readlink gives the fd's path; opening gives the file
 *   /proc/<pid>/exe, cwd  symlinks when the source knows them
 *   /proc/meminfo, cpuinfo, mounts, uptime
 * A file's content is a snapshot taken when it is opened. Everything is read-only (EACCES on
 * write, EPERM on namespace changes).
 */
import { Errno, sysErr } from "../../syscall/errno.ts";
import { nowNs } from "../file-base.ts";
import { FileType, type OpenFile, type OpenOptions, type Stat } from "../types.ts";
import { allocDev, InodeBase, type FileSystemImpl, type FsCtx, type InodeImpl, type InodeOpenOptions, type ListEntry } from "../vfs/inode.ts";
import { scatter, SeekableFile } from "../vfs/seekable.ts";
import type { MountEntry } from "../vfs/vfs.ts";
import type { ProcessInfo, ProcessInfoSource } from "./source.ts";

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

  constructor(inode: ProcInode, data: Uint8Array, opts: InodeOpenOptions) {
    super({ readable: true, writable: false, flags: opts.fdflags, path: opts.path });
    this.inode = inode;
    this.data = data;
  }
  protected readAt(iovs: Uint8Array[], offset: bigint): number {
    return offset >= BigInt(this.data.length) ? 0 : scatter(iovs, this.data.subarray(Number(offset)));
  }
  protected writeAt(): number {
    throw sysErr(Errno.BADF);
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
  | { kind: "sysfile"; name: "meminfo" | "cpuinfo" | "mounts" | "uptime" }
  | { kind: "piddir"; pid: number }
  | { kind: "pidfile"; pid: number; name: "cmdline" | "environ" | "status" | "stat" }
  | { kind: "pidlink"; pid: number; name: "exe" | "cwd" }
  | { kind: "fddir"; pid: number }
  | { kind: "fd"; pid: number; fd: number };

const SYS_FILES = ["meminfo", "cpuinfo", "mounts", "uptime"] as const;
const PID_FILES = ["cmdline", "environ", "status", "stat"] as const;

function inoOf(n: Node): bigint {
  switch (n.kind) {
    case "root": return 1n;
    case "self": return 2n;
    case "sysfile": return 3n + BigInt(SYS_FILES.indexOf(n.name));
    case "piddir": return BigInt(n.pid + 1) << 8n;
    case "pidfile": return (BigInt(n.pid + 1) << 8n) + 1n + BigInt(PID_FILES.indexOf(n.name));
    case "pidlink": return (BigInt(n.pid + 1) << 8n) + (n.name === "exe" ? 16n : 17n);
    case "fddir": return (BigInt(n.pid + 1) << 8n) + 32n;
    case "fd": return (1n << 48n) + (BigInt(n.pid) << 20n) + BigInt(n.fd);
  }
}

function typeOf(n: Node): FileType {
  switch (n.kind) {
    case "root": case "piddir": case "fddir": return FileType.DIRECTORY;
    case "self": case "pidlink": case "fd": return FileType.SYMBOLIC_LINK;
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
    const mode = dir ? 0o555 : this.filetype === FileType.SYMBOLIC_LINK ? 0o777 : this.node.kind === "pidfile" && this.node.name === "environ" ? 0o400 : 0o444;
    return { dev: this.fs.dev, ino: this.ino, filetype: this.filetype, nlink: dir ? 2n : 1n, size: 0n, atim: t, mtim: t, ctim: t, mode };
  }

  override lookup(name: string, _ctx: FsCtx): InodeImpl | null {
    const n = this.node;
    const mk = (node: Node) => (node.kind === "fd" ? new ProcFdLink(this.fs, node) : new ProcInode(this.fs, node));
    switch (n.kind) {
      case "root": {
        if (name === "self") return mk({ kind: "self" });
        if ((SYS_FILES as readonly string[]).includes(name)) return mk({ kind: "sysfile", name: name as (typeof SYS_FILES)[number] });
        if (!/^[1-9][0-9]{0,9}$/.test(name)) return null;
        const pid = Number(name);
        return this.src.process(pid) ? mk({ kind: "piddir", pid }) : null;
      }
      case "piddir": {
        const p = this.proc(n.pid);
        if ((PID_FILES as readonly string[]).includes(name)) return mk({ kind: "pidfile", pid: n.pid, name: name as (typeof PID_FILES)[number] });
        if (name === "fd") return mk({ kind: "fddir", pid: n.pid });
        if ((name === "exe" && p.exe) || (name === "cwd" && p.cwd)) return mk({ kind: "pidlink", pid: n.pid, name });
        return null;
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
          ...SYS_FILES.map((name) => e(name, { kind: "sysfile", name })),
          ...this.src.pids().map((pid) => e(String(pid), { kind: "piddir", pid })),
        ];
      case "piddir": {
        const p = this.proc(n.pid);
        const out = PID_FILES.map((name) => e(name, { kind: "pidfile", pid: n.pid, name }));
        out.push(e("fd", { kind: "fddir", pid: n.pid }));
        if (p.exe) out.push(e("exe", { kind: "pidlink", pid: n.pid, name: "exe" }));
        if (p.cwd) out.push(e("cwd", { kind: "pidlink", pid: n.pid, name: "cwd" }));
        return out;
      }
      case "fddir":
        return (this.src.fds(n.pid) ?? []).map((f) => e(String(f.fd), { kind: "fd", pid: n.pid, fd: f.fd }));
      default:
        throw sysErr(Errno.NOTDIR);
    }
  }

  override readlink(ctx: FsCtx): string {
    const n = this.node;
    switch (n.kind) {
      case "self":
        return String(ctx.pid);
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

  override open(opts: InodeOpenOptions, _ctx: FsCtx): OpenFile {
    if (this.filetype === FileType.DIRECTORY) throw sysErr(Errno.ISDIR);
    if (opts.write || opts.truncate) throw sysErr(Errno.ACCES, "procfs is read-only");
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
      }
    }
    throw sysErr(Errno.INVAL);
  }
}

const STATE_NAMES: Record<string, string> = { R: "running", S: "sleeping", D: "disk sleep", T: "stopped", Z: "zombie", X: "dead" };

function statusOf(p: ProcessInfo): string {
  const kb = (b: number) => String(Math.floor(b / 1024)).padStart(8) + " kB";
  return [
    `Name:\t${p.name.slice(0, 15)}`, `State:\t${p.state} (${STATE_NAMES[p.state]})`, `Tgid:\t${p.pid}`, `Pid:\t${p.pid}`,
    `PPid:\t${p.ppid}`, `Threads:\t${p.threads}`, ...(p.vmPeakBytes !== undefined ? [`VmPeak:\t${kb(p.vmPeakBytes)}`] : []), `VmSize:\t${kb(p.vmSizeBytes)}`, ...(p.vmPeakBytes !== undefined ? [`VmHWM:\t${kb(p.vmPeakBytes)}`] : []), `VmRSS:\t${kb(p.vmRssBytes)}`,
  ].join("\n") + "\n";
}

function statOf(p: ProcessInfo): string {
  const ticks = p.startTimeNs !== undefined ? p.startTimeNs / 10_000_000n : 0n; // USER_HZ = 100
  const f: (string | number | bigint)[] = [
    p.pid, `(${p.name.slice(0, 15)})`, p.state, p.ppid, p.pid, p.pid, 0, 0, 0, // pgrp session tty_nr tpgid flags(9)
    0, 0, 0, 0, 0, 0, 0, 0, // minflt..cstime
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
