/**
 * ramfs: files in kernel memory. File contents are charged to an optional ByteBudget (the
 * kernel-heap cap of the memory manager); a refused charge fails the write with ENOSPC, or with
 * the error the budget throws (e.g. ENOMEM).
 *
 * An inode's data is freed (and refunded) when its last link is gone and no description has it
 * open; until then an unlinked file stays fully readable and writable.
 */
import { Errno, sysErr } from "../../syscall/errno.ts";
import { iovLength, nowNs } from "../file-base.ts";
import { FileType, type OpenFile, type Stat } from "../types.ts";
import {
  allocDev, InodeBase, resolveTimes, type CreateKind, type FileSystemImpl, type FsCtx, type InodeImpl,
  type InodeOpenOptions, type ListEntry,
} from "../vfs/inode.ts";
import { gather, scatter, SeekableFile } from "../vfs/seekable.ts";

/**
 * Charge `delta` bytes (negative: give back). Return false to refuse (the write fails with
 * ENOSPC), or throw a SysError of your choice.
 */
export type ByteBudget = (delta: number) => boolean;

/** ramfs files live in one ArrayBuffer each: cap them below V8's limit. */
const MAX_RAM_FILE = 2 ** 32;

export interface RamFsOptions {
  budget?: ByteBudget;
  /** Total bytes this fs may hold (on top of the budget). */
  maxBytes?: number;
  type?: string;
}

export class RamFs implements FileSystemImpl {
  readonly type: string;
  readonly dev = allocDev();
  readonly readOnly = false;
  private nextIno = 1n;
  private readonly budget?: ByteBudget;
  private readonly maxBytes: number;
  used = 0;
  readonly rootInode: RamInode;

  constructor(opts: RamFsOptions = {}) {
    this.type = opts.type ?? "ramfs";
    if (opts.budget) this.budget = opts.budget;
    this.maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
    this.rootInode = this.newInode(FileType.DIRECTORY, 0o755);
    this.rootInode.nlink = 2;
  }

  root(): RamInode {
    return this.rootInode;
  }

  newInode(filetype: FileType, mode: number): RamInode {
    return new RamInode(this, this.nextIno++, filetype, mode);
  }

  charge(delta: number): void {
    if (delta === 0) return;
    if (delta > 0) {
      if (this.used + delta > this.maxBytes) throw sysErr(Errno.NOSPC);
      if (this.budget && !this.budget(delta)) throw sysErr(Errno.NOSPC);
    } else if (this.budget) {
      this.budget(delta);
    }
    this.used += delta;
  }
}

export class RamInode extends InodeBase {
  readonly fs: RamFs;
  readonly ino: bigint;
  readonly filetype: FileType;
  mode: number;
  nlink = 1;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
  /** Regular files: bytes [0, size) of `data` are the contents. */
  data = new Uint8Array(0);
  size = 0;
  /** Directories: name → inode, in creation order. */
  readonly entries = new Map<string, RamInode>();
  /** Symlinks. */
  target = "";
  openCount = 0;

  constructor(fs: RamFs, ino: bigint, filetype: FileType, mode: number) {
    super();
    this.fs = fs;
    this.ino = ino;
    this.filetype = filetype;
    this.mode = mode & 0o7777;
    this.atim = this.mtim = this.ctim = nowNs();
  }

  stat(): Stat {
    return {
      dev: this.fs.dev, ino: this.ino, filetype: this.filetype, nlink: BigInt(this.nlink),
      size: this.filetype === FileType.SYMBOLIC_LINK ? BigInt(new TextEncoder().encode(this.target).length)
        : this.filetype === FileType.DIRECTORY ? 4096n : BigInt(this.size),
      atim: this.atim, mtim: this.mtim, ctim: this.ctim, mode: this.mode,
    };
  }

  override setTimes(atim: bigint, mtim: bigint, fstflags: number): void {
    const now = nowNs();
    const t = resolveTimes(this, atim, mtim, fstflags, now);
    this.atim = t.atim;
    this.mtim = t.mtim;
    this.ctim = now;
  }

  override open(opts: InodeOpenOptions, _ctx: FsCtx): OpenFile {
    if (this.filetype !== FileType.REGULAR_FILE) throw sysErr(Errno.NXIO, "cannot open");
    if (opts.truncate) this.resize(0);
    return new RamFile(this, opts);
  }

  override readlink(_ctx: FsCtx): string {
    if (this.filetype !== FileType.SYMBOLIC_LINK) throw sysErr(Errno.INVAL, "not a symlink");
    return this.target;
  }

  private dir(): void {
    if (this.filetype !== FileType.DIRECTORY) throw sysErr(Errno.NOTDIR);
  }

  private touchDir(): void {
    this.mtim = this.ctim = nowNs();
  }

  override lookup(name: string, _ctx: FsCtx): RamInode | null {
    this.dir();
    return this.entries.get(name) ?? null;
  }

  override list(_ctx: FsCtx): ListEntry[] {
    this.dir();
    const out: ListEntry[] = [];
    for (const [name, i] of this.entries) out.push({ name, ino: i.ino, filetype: i.filetype });
    return out;
  }

  private add(name: string, inode: RamInode): void {
    if (this.entries.has(name)) throw sysErr(Errno.EXIST);
    this.entries.set(name, inode);
    this.touchDir();
  }

  override create(name: string, kind: CreateKind, mode: number): InodeImpl {
    this.dir();
    if (this.entries.has(name)) throw sysErr(Errno.EXIST);
    const inode = this.fs.newInode(kind === "dir" ? FileType.DIRECTORY : FileType.REGULAR_FILE, mode);
    if (kind === "dir") {
      inode.nlink = 2;
      this.nlink++;
    }
    this.add(name, inode);
    return inode;
  }

  override symlink(name: string, target: string): void {
    this.dir();
    const inode = this.fs.newInode(FileType.SYMBOLIC_LINK, 0o777);
    inode.target = target;
    this.add(name, inode);
  }

  override link(name: string, target: InodeImpl): void {
    this.dir();
    if (!(target instanceof RamInode) || target.fs !== this.fs) throw sysErr(Errno.XDEV);
    this.add(name, target);
    target.nlink++;
    target.ctim = nowNs();
  }

  private drop(name: string, inode: RamInode): void {
    this.entries.delete(name);
    this.touchDir();
    inode.nlink -= inode.filetype === FileType.DIRECTORY ? 2 : 1;
    inode.ctim = nowNs();
    if (inode.filetype === FileType.DIRECTORY) this.nlink--;
    inode.maybeFree();
  }

  override unlink(name: string): void {
    this.dir();
    const inode = this.entries.get(name);
    if (!inode) throw sysErr(Errno.NOENT);
    if (inode.filetype === FileType.DIRECTORY) throw sysErr(Errno.ISDIR);
    this.drop(name, inode);
  }

  override rmdir(name: string): void {
    this.dir();
    const inode = this.entries.get(name);
    if (!inode) throw sysErr(Errno.NOENT);
    if (inode.filetype !== FileType.DIRECTORY) throw sysErr(Errno.NOTDIR);
    if (inode.entries.size > 0) throw sysErr(Errno.NOTEMPTY);
    this.drop(name, inode);
  }

  override rename(oldName: string, newDir: InodeImpl, newName: string): void {
    this.dir();
    if (!(newDir instanceof RamInode) || newDir.fs !== this.fs) throw sysErr(Errno.XDEV);
    const inode = this.entries.get(oldName);
    if (!inode) throw sysErr(Errno.NOENT);
    const old = newDir.entries.get(newName);
    if (old === inode) return;
    if (old) {
      const isDir = inode.filetype === FileType.DIRECTORY;
      if (isDir && old.filetype !== FileType.DIRECTORY) throw sysErr(Errno.NOTDIR);
      if (!isDir && old.filetype === FileType.DIRECTORY) throw sysErr(Errno.ISDIR);
      if (old.filetype === FileType.DIRECTORY && old.entries.size > 0) throw sysErr(Errno.NOTEMPTY);
      newDir.drop(newName, old);
    }
    this.entries.delete(oldName);
    this.touchDir();
    if (inode.filetype === FileType.DIRECTORY && newDir !== this) {
      this.nlink--;
      newDir.nlink++;
    }
    newDir.entries.set(newName, inode);
    newDir.touchDir();
    inode.ctim = nowNs();
  }

  maybeFree(): void {
    if (this.nlink <= 0 && this.openCount === 0 && this.data.length > 0) {
      this.fs.charge(-this.data.length);
      this.data = new Uint8Array(0);
      this.size = 0;
    }
  }

  /** Grow capacity to at least `n` bytes, charging the budget. */
  private reserve(n: number): void {
    if (n <= this.data.length) return;
    if (n > MAX_RAM_FILE) throw sysErr(Errno.FBIG);
    const cap = Math.min(MAX_RAM_FILE, Math.max(n, this.data.length * 2, 64));
    try {
      this.fs.charge(cap - this.data.length);
    } catch (e) {
      if (cap === n) throw e;
      // Doubling was refused: try the exact size.
      this.fs.charge(n - this.data.length);
      return this.realloc(n);
    }
    this.realloc(cap);
  }

  private realloc(cap: number): void {
    const next = new Uint8Array(cap);
    next.set(this.data.subarray(0, this.size));
    this.data = next;
  }

  resize(n: number): void {
    if (n > MAX_RAM_FILE) throw sysErr(Errno.FBIG);
    if (n > this.size) {
      this.reserve(n);
      this.data.fill(0, this.size, n);
    } else if (n < this.data.length / 4) {
      // Shrink the buffer (and the charge) when most of it became unused.
      const next = new Uint8Array(n);
      next.set(this.data.subarray(0, n));
      this.fs.charge(n - this.data.length);
      this.data = next;
    }
    this.size = n;
    this.mtim = this.ctim = nowNs();
  }

  readAt(iovs: Uint8Array[], offset: bigint): number {
    if (offset >= BigInt(this.size)) return 0;
    const n = scatter(iovs, this.data.subarray(Number(offset), this.size));
    this.atim = nowNs();
    return n;
  }

  writeAt(iovs: Uint8Array[], offset: bigint): number {
    const len = iovLength(iovs);
    const end = offset + BigInt(len);
    if (end > BigInt(MAX_RAM_FILE)) throw sysErr(Errno.FBIG);
    const off = Number(offset);
    if (off + len > this.size) {
      this.reserve(off + len);
      if (off > this.size) this.data.fill(0, this.size, off);
      this.size = off + len;
    }
    this.data.set(gather(iovs), off);
    this.mtim = this.ctim = nowNs();
    return len;
  }
}

export class RamFile extends SeekableFile {
  readonly inode: RamInode;
  private released = false;

  constructor(inode: RamInode, opts: InodeOpenOptions) {
    super({ readable: opts.read, writable: opts.write, flags: opts.fdflags, path: opts.path });
    this.inode = inode;
    inode.openCount++;
  }

  protected readAt(iovs: Uint8Array[], offset: bigint): number {
    return this.inode.readAt(iovs, offset);
  }
  protected writeAt(iovs: Uint8Array[], offset: bigint): number {
    return this.inode.writeAt(iovs, offset);
  }
  protected getSize(): bigint {
    return BigInt(this.inode.size);
  }
  override stat(): Stat {
    return this.inode.stat();
  }
  override setSize(size: bigint): void {
    if (size < 0n) throw sysErr(Errno.INVAL);
    if (size > BigInt(MAX_RAM_FILE)) throw sysErr(Errno.FBIG);
    this.inode.resize(Number(size));
  }
  override setTimes(atim: bigint, mtim: bigint, fstflags: number): void {
    this.inode.setTimes(atim, mtim, fstflags);
  }
  setMode(mode: number): void {
    this.inode.mode = mode & 0o7777;
    this.inode.ctim = nowNs();
  }
  override release(): void {
    if (this.released) return;
    this.released = true;
    this.inode.openCount--;
    this.inode.maybeFree();
  }
}
