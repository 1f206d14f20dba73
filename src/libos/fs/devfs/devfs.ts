/**
 * devfs: the fixed device nodes Occlum provides.
 *   null     reads EOF, swallows writes        zero     reads zeros, swallows writes
 *   random   reads random bytes (node:crypto, loaded at the first read: it costs ~8 ms of start-up)  urandom  same (one CSPRNG behind both, as Linux ≥ 5.6)
 *   stdin, stdout, stderr → /proc/self/fd/0, 1, 2      fd → /proc/self/fd
 *   shm      an empty directory on which createVfs mounts a ramfs
 *   mqueue   an empty directory on which createVfs mounts the message queue fs
 * The set is fixed: creating or removing entries fails with EPERM. Devices have no position:
 * seek always returns 0, as Linux does for these character devices.
 */
import { Errno, sysErr } from "../../syscall/errno.ts";
import { FileBase, iovLength, nowNs } from "../file-base.ts";
import { FileType, type OpenFile, type Stat } from "../types.ts";
import { allocDev, InodeBase, type FileSystemImpl, type FsCtx, type InodeOpenOptions, type ListEntry } from "../vfs/inode.ts";

type DeviceKind = "null" | "zero" | "random";

const randomFill = (v: Uint8Array): Uint8Array => process.getBuiltinModule("node:crypto").randomFillSync(v);

class DeviceFile extends FileBase {
  private readonly kind: DeviceKind;
  private readonly inode: DevInode;

  constructor(inode: DevInode, kind: DeviceKind, opts: InodeOpenOptions) {
    super(FileType.CHARACTER_DEVICE, { readable: opts.read, writable: opts.write, flags: opts.fdflags, path: opts.path });
    this.kind = kind;
    this.inode = inode;
  }

  override read(iovs: Uint8Array[]): number {
    if (this.kind === "null") return 0;
    for (const v of iovs) {
      if (this.kind === "zero") v.fill(0);
      // randomFillSync refuses views of shared memory: fill a private buffer and copy.
      else if (v.buffer instanceof SharedArrayBuffer) v.set(randomFill(new Uint8Array(v.length)));
      else randomFill(v);
    }
    return iovLength(iovs);
  }
  override write(iovs: Uint8Array[]): number {
    return iovLength(iovs);
  }
  override pread(iovs: Uint8Array[], _offset: bigint): number {
    return this.read(iovs);
  }
  override pwrite(iovs: Uint8Array[], _offset: bigint): number {
    return this.write(iovs);
  }
  override seek(_offset: bigint, _whence: number): bigint {
    return 0n;
  }
  override tell(): bigint {
    return 0n;
  }
  override stat(): Stat {
    return this.inode.stat();
  }
  override setTimes(atim: bigint, mtim: bigint, fstflags: number): void {
    this.inode.setTimes(atim, mtim, fstflags);
  }
}

class DevInode extends InodeBase {
  readonly fs: DevFs;
  readonly ino: bigint;
  readonly filetype: FileType;
  readonly device?: DeviceKind;
  readonly target?: string;
  readonly entries?: Map<string, DevInode>;
  private atim = nowNs();
  private mtim = this.atim;
  private ctim = this.atim;
  private readonly mode: number;

  constructor(fs: DevFs, ino: bigint, filetype: FileType, extra: { device?: DeviceKind; target?: string; entries?: Map<string, DevInode>; mode: number }) {
    super();
    this.fs = fs;
    this.ino = ino;
    this.filetype = filetype;
    if (extra.device) this.device = extra.device;
    if (extra.target !== undefined) this.target = extra.target;
    if (extra.entries) this.entries = extra.entries;
    this.mode = extra.mode;
  }

  stat(): Stat {
    return {
      dev: this.fs.dev, ino: this.ino, filetype: this.filetype, nlink: this.entries ? 2n : 1n,
      size: this.target !== undefined ? BigInt(this.target.length) : 0n,
      atim: this.atim, mtim: this.mtim, ctim: this.ctim, mode: this.mode,
    };
  }

  override setTimes(atim: bigint, mtim: bigint, fstflags: number): void {
    const now = nowNs();
    if (fstflags & 2) this.atim = now;
    else if (fstflags & 1) this.atim = atim;
    if (fstflags & 8) this.mtim = now;
    else if (fstflags & 4) this.mtim = mtim;
    this.ctim = now;
  }

  override open(opts: InodeOpenOptions, _ctx: FsCtx): OpenFile {
    if (!this.device) throw sysErr(this.entries ? Errno.ISDIR : Errno.NXIO);
    return new DeviceFile(this, this.device, opts);
  }

  override readlink(_ctx: FsCtx): string {
    if (this.target === undefined) throw sysErr(Errno.INVAL, "not a symlink");
    return this.target;
  }

  override lookup(name: string, _ctx: FsCtx): DevInode | null {
    if (!this.entries) throw sysErr(Errno.NOTDIR);
    return this.entries.get(name) ?? null;
  }

  override list(_ctx: FsCtx): ListEntry[] {
    if (!this.entries) throw sysErr(Errno.NOTDIR);
    return [...this.entries].map(([name, i]) => ({ name, ino: i.ino, filetype: i.filetype }));
  }
}

export class DevFs implements FileSystemImpl {
  readonly type = "devfs";
  readonly dev = allocDev();
  readonly readOnly = false;
  private readonly rootInode: DevInode;

  constructor() {
    let ino = 1n;
    const entries = new Map<string, DevInode>();
    this.rootInode = new DevInode(this, ino++, FileType.DIRECTORY, { entries, mode: 0o755 });
    const dev = (name: string, device: DeviceKind) =>
      entries.set(name, new DevInode(this, ino++, FileType.CHARACTER_DEVICE, { device, mode: 0o666 }));
    const link = (name: string, target: string) =>
      entries.set(name, new DevInode(this, ino++, FileType.SYMBOLIC_LINK, { target, mode: 0o777 }));
    dev("null", "null");
    dev("zero", "zero");
    dev("random", "random");
    dev("urandom", "random");
    link("stdin", "/proc/self/fd/0");
    link("stdout", "/proc/self/fd/1");
    link("stderr", "/proc/self/fd/2");
    link("fd", "/proc/self/fd");
    entries.set("shm", new DevInode(this, ino++, FileType.DIRECTORY, { entries: new Map(), mode: 0o1777 }));
    entries.set("mqueue", new DevInode(this, ino++, FileType.DIRECTORY, { entries: new Map(), mode: 0o1777 }));
  }

  root(): DevInode {
    return this.rootInode;
  }
}
