/**
 * hostfs: a host directory, confined. The guest can never reach a host file outside `source`:
 *
 * - The VFS resolves every component itself (`..` through its dentries, symlinks read with
 *   readlink and interpreted inside the LibOS root), so no guest path is ever handed to the host
 *   with symlinks to follow.
 * - Every host call names at most one component (`name`) relative to an open, verified
 *   directory descriptor: `/proc/self/fd/<dirfd>/<name>` (the openat() of Node). A directory is
 *   opened with O_DIRECTORY|O_NOFOLLOW and kept only if the kernel's own name for the descriptor
 *   (readlink of /proc/self/fd/<fd>) is exactly `<source>/<rel>`: a component swapped for a
 *   symlink (a race after the VFS looked it up) is detected and refused with EACCES.
 * - The final component is never followed: lstat, readlink, lutimes, unlink, rename, link(2)
 *   (which does not follow), and files are opened with O_NOFOLLOW (a symlink swapped in gives
 *   ELOOP) and O_NONBLOCK (a FIFO swapped in cannot block; non-regular files are refused).
 * Host I/O is asynchronous (node:fs/promises). Linux only (/proc/self/fd).
 *
 * Exclusive stores (layer stores: the directory is ours alone) open host handles lazily: a guest
 * open that only stats or closes (the common open/fstat/close pattern) costs no host call. The
 * handle is opened on first data access. So that a lazy file always reaches the file it was
 * opened as, every change through the store first opens the pending lazy files, and opens made
 * while a change is in flight are eager. O_TRUNC opens are eager. Read-only exclusive stores
 * (the image layer) share one host handle per file among its open descriptions (positional I/O
 * only) and keep a few idle ones open, so reopening an image file costs no host call either.
 * As with openat-based sandboxes (cap-std, so wasmtime), a directory descriptor we hold stays
 * usable if a third party on the host moves that directory elsewhere: the guest cannot do that,
 * someone with write access to both places on the host can.
 *
 * Directory identity: a directory inode knows its path relative to `source`; the fs keeps the
 * current path of every directory inode it has seen (by host inode number), updated on renames
 * made through it, so an open directory keeps working after one of its ancestors moved.
 *
 * HostFs and HostInode are here; an open file's description (HostFile, its lazy or shared host
 * handle) is in host-file.ts.
 */
import { constants as C, realpathSync, statSync } from "node:fs";
import * as fsp from "../../async-fs.ts";
import type { BigIntStats } from "node:fs";
import type { HostHandle as FileHandle } from "../../async-fs.ts";
import * as path from "node:path";
import { Errno, sysErr } from "../../syscall/errno.ts";
import { nowNs } from "../file-base.ts";
import { FileType, type OpenFile, type Stat } from "../types.ts";
import {
  allocDev, InodeBase, resolveTimes, type CreateKind, type FileSystemImpl, type FsCtx, type InodeImpl,
  type InodeOpenOptions, type ListEntry,
} from "../vfs/inode.ts";
import { host, toSysError } from "./host-errors.ts";
import { HostFile, nsToDate, type Opened } from "./host-file.ts";

const DIR_CACHE = 32;
/** Idle shared handles a read-only exclusive store keeps open. */
const SHARED_IDLE = 64;

interface SharedHandle {
  fh: Promise<FileHandle>;
  refs: number;
}

interface DirHandle {
  fh: FileHandle;
  refs: number;
  dead: boolean;
}

export interface HostFsOptions {
  readOnly?: boolean;
  /**
   * The directory is ours alone (layer stores): name lookups are cached in memory and kept
   * current by our own changes, instead of asking the host every time. Never for user hostfs
   * mounts, which the host may change under us.
   */
  exclusive?: boolean;
  /** Type name in /proc/mounts (default "hostfs"; layer stores use "sefs"). */
  type?: string;
  /** exclusive: the kernel heap the name cache is charged to (it shrinks before a charge fails). */
  cacheHeap?: CacheHeap;
}

/** The kernel heap as a cache sees it (vm/kernel-heap.ts through vm-charge.ts). */
export interface CacheHeap {
  charge(bytes: number): boolean;
  uncharge(bytes: number): void;
  /** `fn` frees cache memory (uncharging it) and returns how much; called before a charge fails. */
  registerShrinker(name: string, fn: (wantBytes: number) => number): () => void;
}

/** Estimated kernel heap cost of a cached name / a cached directory (the ledger is by estimate). */
const NAME_BYTES = 64;
const DIR_BYTES = 96;
const nameCost = (name: string): number => NAME_BYTES + 2 * name.length;

/** A cached lookup; `st` only for read-only exclusive stores, whose entries never change. */
interface CachedName {
  ino: bigint;
  type: FileType;
  st?: BigIntStats;
}

export function filetypeOfMode(mode: number): FileType {
  switch (mode & C.S_IFMT) {
    case C.S_IFREG: return FileType.REGULAR_FILE;
    case C.S_IFDIR: return FileType.DIRECTORY;
    case C.S_IFLNK: return FileType.SYMBOLIC_LINK;
    case C.S_IFCHR: return FileType.CHARACTER_DEVICE;
    case C.S_IFBLK: return FileType.BLOCK_DEVICE;
    case C.S_IFSOCK: return FileType.SOCKET_STREAM;
    default: return FileType.UNKNOWN;
  }
}

export class HostFs implements FileSystemImpl {
  readonly type: string;
  readonly dev = allocDev();
  readonly readOnly: boolean;
  readonly exclusive: boolean;
  /** Canonical host path of the source directory. */
  readonly rootPath: string;
  private readonly rootIno: bigint;
  private readonly dirs = new Map<string, Promise<DirHandle>>();
  /** Current relative path of each directory inode seen (by host ino). */
  private readonly dirPaths = new Map<bigint, string[]>();
  /** exclusive: directory ino → name → what lookup found (null: absent). */
  private readonly names: Map<bigint, Map<string, CachedName | null>> | null;
  private readonly heap: CacheHeap | undefined;
  /** What the name cache holds charged to `heap`. */
  private namesBytes = 0;

  protected constructor(rootPath: string, rootIno: bigint, opts: HostFsOptions) {
    this.rootPath = rootPath;
    this.rootIno = rootIno;
    this.type = opts.type ?? "hostfs";
    this.readOnly = opts.readOnly ?? false;
    this.exclusive = opts.exclusive ?? false;
    this.names = this.exclusive ? new Map() : null;
    this.heap = this.exclusive ? opts.cacheHeap : undefined;
    // Lookups are only a cache: under kernel heap pressure drop them all (clean, synchronous).
    this.heap?.registerShrinker("sefs-names", () => this.dropNames());
    this.dirPaths.set(rootIno, []);
  }

  /** `source` must be an existing host directory. Synchronous calls: a mount runs at boot, when nothing else waits. */
  static async open(source: string, opts: HostFsOptions = {}): Promise<HostFs> {
    let real: string, st: BigIntStats;
    try {
      real = realpathSync.native(source);
      st = statSync(real, { bigint: true });
    } catch (e) {
      throw toSysError(e);
    }
    if (!st.isDirectory()) throw sysErr(Errno.NOTDIR, `hostfs source is not a directory: ${source}`);
    return new HostFs(real, st.ino, opts);
  }

  root(): HostInode {
    return new HostInode(this, this.rootIno, FileType.DIRECTORY, [], "");
  }

  cachedLookup(dir: bigint, name: string): CachedName | null | undefined {
    return this.names?.get(dir)?.get(name);
  }

  cacheLookup(dir: bigint, name: string, v: CachedName | null): void {
    if (!this.names) return;
    let m = this.names.get(dir);
    const cost = (m ? 0 : DIR_BYTES) + (m?.has(name) ? 0 : nameCost(name));
    if (!m && this.names.size >= 4096) this.dropNames();
    if (cost > 0 && this.heap) {
      if (!this.heap.charge(cost)) return; // no room: just do not cache
      if (m && this.names.get(dir) !== m) {
        this.heap.uncharge(cost); // the charge shrank the cache itself: m is gone
        return;
      }
      this.namesBytes += cost;
    }
    if (!m) {
      m = new Map();
      this.names.set(dir, m);
    }
    m.set(name, v);
  }

  /** Drops the whole name cache; returns the bytes given back to the kernel heap. */
  private dropNames(): number {
    const freed = this.namesBytes;
    this.names?.clear();
    this.namesBytes = 0;
    if (freed > 0) this.heap?.uncharge(freed);
    return freed;
  }

  private dropName(m: Map<string, CachedName | null>, name: string): void {
    if (!m.delete(name) || !this.heap) return;
    const cost = nameCost(name);
    this.namesBytes -= cost;
    this.heap.uncharge(cost);
  }

  private dropNamesOf(ino: bigint): void {
    const m = this.names?.get(ino);
    if (!m) return;
    this.names!.delete(ino);
    if (!this.heap) return;
    let cost = DIR_BYTES;
    for (const k of m.keys()) cost += nameCost(k);
    this.namesBytes -= cost;
    this.heap.uncharge(cost);
  }

  /** Read-only exclusive stores: directory listings by directory ino. */
  readonly listings = new Map<bigint, ListEntry[]>();

  /** Bumped by every change: a lookup that raced with one does not cache its answer. */
  epoch = 0;

  /** Lazy files (exclusive stores) whose host handle is not open yet. */
  readonly pending = new Set<HostFile>();
  /** Changes in flight: opens made meanwhile are eager. */
  mutating = 0;
  /** Read-only exclusive stores: shared host handles by file ino. */
  private readonly shared = new Map<bigint, SharedHandle>();
  /** Idle shared handles, oldest first (Map order). */
  private readonly idle = new Map<bigint, SharedHandle>();

  /** Open every pending lazy file (before a change could move or remove its name). */
  async openPending(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.all([...this.pending].map((f) => f.handle().catch(() => {})));
    }
  }

  /** A shared read-only handle of file `ino` (read-only exclusive stores); `open` opens it. */
  async acquireShared(ino: bigint, open: () => Promise<FileHandle>): Promise<SharedHandle> {
    let h = this.shared.get(ino);
    if (!h) {
      const created: SharedHandle = { fh: open(), refs: 0 };
      h = created;
      this.shared.set(ino, created);
      created.fh.catch(() => this.shared.get(ino) === created && this.shared.delete(ino));
    }
    h.refs++;
    this.idle.delete(ino);
    try {
      await h.fh;
    } catch (e) {
      h.refs--;
      throw e;
    }
    return h;
  }

  releaseShared(ino: bigint, h: SharedHandle): void {
    if (--h.refs > 0 || this.shared.get(ino) !== h) return;
    this.idle.set(ino, h);
    if (this.idle.size > SHARED_IDLE) {
      const [oldIno, old] = this.idle.entries().next().value!;
      this.idle.delete(oldIno);
      this.shared.delete(oldIno);
      void old.fh.then((fh) => fh.close()).catch(() => {});
    }
  }

  /** `name` in directory `dir` changed (created, removed, replaced). */
  invalidate(dir: bigint, name: string): void {
    this.epoch++;
    const m = this.names?.get(dir);
    if (!m) return;
    const old = m.get(name);
    this.dropName(m, name);
    if (old && old.type === FileType.DIRECTORY) this.dropNamesOf(old.ino);
  }

  relOf(ino: bigint, fallback: string[]): string[] {
    return this.dirPaths.get(ino) ?? fallback;
  }

  noteDir(ino: bigint, rel: string[]): void {
    this.dirPaths.set(ino, rel);
  }

  /** A directory under `from` moved to `to`: rewrite the known paths below it. */
  movedDir(from: string[], to: string[]): void {
    const n = from.length;
    for (const [ino, rel] of this.dirPaths) {
      if (rel.length >= n && from.every((c, i) => rel[i] === c)) this.dirPaths.set(ino, [...to, ...rel.slice(n)]);
    }
    this.dropDirCache();
  }

  forgetDir(rel: string[]): void {
    for (const [ino, r] of this.dirPaths) if (r.length >= rel.length && rel.every((c, i) => r[i] === c)) this.dirPaths.delete(ino);
    this.dropDirCache();
  }

  private dropDirCache(): void {
    const all = [...this.dirs.values()];
    this.dirs.clear();
    for (const p of all) {
      p.then((h) => {
        h.dead = true;
        if (h.refs === 0) void h.fh.close().catch(() => {});
      }, () => {});
    }
  }

  private async openDir(rel: string[]): Promise<DirHandle> {
    const expected = path.join(this.rootPath, ...rel);
    const fh = await host(() => fsp.open(expected, C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW));
    let actual: string;
    try {
      actual = await fsp.readlink(`/proc/self/fd/${fh.fd}`);
    } catch (e) {
      await fh.close();
      throw toSysError(e);
    }
    if (actual !== expected) {
      await fh.close();
      if (actual.endsWith(" (deleted)")) throw sysErr(Errno.NOENT, "hostfs: directory removed");
      throw sysErr(Errno.ACCES, "hostfs: a path component changed under us");
    }
    return { fh, refs: 0, dead: false };
  }

  private async acquire(rel: string[]): Promise<DirHandle> {
    const key = rel.join("/");
    let p = this.dirs.get(key);
    if (!p) {
      if (this.dirs.size >= DIR_CACHE) this.evict();
      p = this.openDir(rel);
      this.dirs.set(key, p);
      p.catch(() => this.dirs.get(key) === p && this.dirs.delete(key));
    }
    const h = await p;
    h.refs++;
    return h;
  }

  private evict(): void {
    for (const [key, p] of this.dirs) {
      this.dirs.delete(key);
      p.then((h) => {
        h.dead = true;
        if (h.refs === 0) void h.fh.close().catch(() => {});
      }, () => {});
      if (this.dirs.size < DIR_CACHE / 2) break;
    }
  }

  /** Run `fn` with an anchored host path of directory `rel` (no trailing slash). */
  async withDir<T>(rel: string[], fn: (dir: string) => Promise<T>): Promise<T> {
    const h = await this.acquire(rel);
    try {
      return await fn(`/proc/self/fd/${h.fh.fd}`);
    } catch (e) {
      throw toSysError(e);
    } finally {
      h.refs--;
      if (h.dead && h.refs === 0) void h.fh.close().catch(() => {});
    }
  }

  inodeFromStat(st: BigIntStats, parent: string[], name: string): HostInode {
    const type = filetypeOfMode(Number(st.mode));
    if (type === FileType.DIRECTORY) this.noteDir(st.ino, [...parent, name]);
    return new HostInode(this, st.ino, type, parent, name);
  }

  toStat(st: BigIntStats): Stat {
    return {
      dev: this.dev, ino: st.ino, filetype: filetypeOfMode(Number(st.mode)), nlink: st.nlink, size: st.size,
      atim: st.atimeNs, mtim: st.mtimeNs, ctim: st.ctimeNs, mode: Number(st.mode) & 0o7777,
    };
  }

  async close(): Promise<void> {
    this.dropDirCache();
    // Unmount: every shared handle goes, also those of descriptions nobody released (a GC'd
    // FileHandle that is still open is an error in Node).
    for (const h of this.shared.values()) void h.fh.then((fh) => fh.close()).catch(() => {});
    this.shared.clear();
    this.idle.clear();
  }
}

export class HostInode extends InodeBase {
  readonly fs: HostFs;
  readonly ino: bigint;
  readonly filetype: FileType;
  private readonly parentRel: string[];
  private readonly name: string;
  /** Read-only exclusive stores: the stat seen at lookup (nothing changes it). */
  frozenStat?: BigIntStats;

  constructor(fs: HostFs, ino: bigint, filetype: FileType, parentRel: string[], name: string) {
    super();
    this.fs = fs;
    this.ino = ino;
    this.filetype = filetype;
    this.parentRel = parentRel;
    this.name = name;
  }

  private get isDir(): boolean {
    return this.filetype === FileType.DIRECTORY;
  }

  /** Path of this directory relative to the source. */
  get rel(): string[] {
    return this.fs.relOf(this.ino, this.name === "" ? [] : [...this.parentRel, this.name]);
  }

  /** Where this inode's own name lives: (parent dir, name); a directory uses its own handle. */
  private atSelf<T>(fn: (p: string) => Promise<T>): Promise<T> {
    if (this.isDir) return this.fs.withDir(this.rel, fn);
    return this.fs.withDir(this.parentRel, (d) => fn(`${d}/${this.name}`));
  }

  async stat(): Promise<Stat> {
    if (this.frozenStat) return this.fs.toStat(this.frozenStat);
    return this.fs.toStat(await this.atSelf((p) => (this.isDir ? fsp.stat(p, { bigint: true }) : fsp.lstat(p, { bigint: true }))));
  }

  override async setTimes(atim: bigint, mtim: bigint, fstflags: number): Promise<void> {
    await this.atSelf(async (p) => {
      const st = this.isDir ? await fsp.stat(p, { bigint: true }) : await fsp.lstat(p, { bigint: true });
      const t = resolveTimes({ atim: st.atimeNs, mtim: st.mtimeNs }, atim, mtim, fstflags, nowNs());
      // The directory's own handle path is a magic link the kernel follows to the directory itself.
      if (this.isDir) await fsp.utimes(p, nsToDate(t.atim), nsToDate(t.mtim));
      else await fsp.lutimes(p, nsToDate(t.atim), nsToDate(t.mtim));
    });
  }

  override open(opts: InodeOpenOptions, _ctx: FsCtx): OpenFile | Promise<OpenFile> {
    if (this.filetype !== FileType.REGULAR_FILE) throw sysErr(this.isDir ? Errno.ISDIR : Errno.NXIO, "hostfs: only regular files open");
    const access = opts.write ? (opts.read ? C.O_RDWR : C.O_WRONLY) : C.O_RDONLY;
    const flags = access | (opts.truncate ? C.O_TRUNC : 0) | C.O_NOFOLLOW | C.O_NONBLOCK;
    const parentRel = this.parentRel;
    const name = this.name;
    const openHost = (): Promise<FileHandle> => this.fs.withDir(parentRel, (d) => fsp.open(`${d}/${name}`, flags));
    if (this.fs.exclusive && !opts.truncate) {
      // An exclusive store holds only what we put there (regular files): no type check.
      if (this.fs.readOnly && !opts.write) {
        const fs = this.fs;
        const ino = this.ino;
        return new HostFile(this.fs, opts, async () => {
          const h = await fs.acquireShared(ino, openHost);
          return { fh: await h.fh, close: () => fs.releaseShared(ino, h) };
        }, this.frozenStat);
      }
      const file = new HostFile(this.fs, opts, async () => ({ fh: await openHost(), close: null }));
      if (this.fs.mutating > 0) return file.handle().then(() => file);
      this.fs.pending.add(file);
      return file;
    }
    return this.openEager(opts, openHost);
  }

  private async openEager(opts: InodeOpenOptions, openHost: () => Promise<FileHandle>): Promise<OpenFile> {
    const fh = await openHost();
    if (this.fs.exclusive) return HostFile.opened(this.fs, opts, fh);
    try {
      const st = await fh.stat({ bigint: true });
      if (!st.isFile()) throw sysErr(Errno.NXIO, "hostfs: not a regular file on the host");
    } catch (e) {
      await fh.close();
      throw toSysError(e);
    }
    return HostFile.opened(this.fs, opts, fh);
  }

  override readlink(_ctx: FsCtx): Promise<string> {
    if (this.filetype !== FileType.SYMBOLIC_LINK) throw sysErr(Errno.INVAL, "not a symlink");
    return this.atSelf((p) => fsp.readlink(p));
  }

  private inDir<T>(fn: (d: string, rel: string[]) => Promise<T>): Promise<T> {
    if (!this.isDir) throw sysErr(Errno.NOTDIR);
    const rel = this.rel;
    return this.fs.withDir(rel, (d) => fn(d, rel));
  }

  override lookup(name: string, _ctx: FsCtx): InodeImpl | null | Promise<InodeImpl | null> {
    const hit = this.fs.cachedLookup(this.ino, name);
    if (hit !== undefined) {
      if (!this.isDir) throw sysErr(Errno.NOTDIR);
      if (!hit) return null;
      const rel = this.rel;
      if (hit.type === FileType.DIRECTORY) this.fs.noteDir(hit.ino, [...rel, name]);
      const inode = new HostInode(this.fs, hit.ino, hit.type, rel, name);
      if (hit.st) inode.frozenStat = hit.st;
      return inode;
    }
    const epoch = this.fs.epoch;
    return this.inDir(async (d, rel) => {
      try {
        const st = await fsp.lstat(`${d}/${name}`, { bigint: true });
        const inode = this.fs.inodeFromStat(st, rel, name);
        if (epoch === this.fs.epoch) {
          const frozen = this.fs.readOnly && this.fs.exclusive;
          if (frozen) inode.frozenStat = st;
          this.fs.cacheLookup(this.ino, name, frozen ? { ino: inode.ino, type: inode.filetype, st } : { ino: inode.ino, type: inode.filetype });
        }
        return inode;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "ENOENT" || code === "ENOTDIR") {
          if (code === "ENOENT" && epoch === this.fs.epoch) this.fs.cacheLookup(this.ino, name, null);
          return null;
        }
        throw e;
      }
    });
  }

  override list(_ctx: FsCtx): ListEntry[] | Promise<ListEntry[]> {
    const frozen = this.fs.readOnly && this.fs.exclusive;
    const cached = frozen ? this.fs.listings.get(this.ino) : undefined;
    if (cached) return cached;
    return this.inDir(async (d) => {
      const names = await fsp.readdir(d);
      const out: ListEntry[] = [];
      // lstat for inode numbers, a bounded number at a time.
      for (let i = 0; i < names.length; i += 64) {
        const batch = await Promise.all(names.slice(i, i + 64).map(async (name) => {
          try {
            const st = await fsp.lstat(`${d}/${name}`, { bigint: true });
            return { name, ino: st.ino, filetype: filetypeOfMode(Number(st.mode)) };
          } catch {
            return null; // removed meanwhile
          }
        }));
        for (const e of batch) if (e) out.push(e);
      }
      // A read-only exclusive store never changes: keep the listing (bounded).
      if (frozen) {
        if (this.fs.listings.size >= 1024) this.fs.listings.clear();
        this.fs.listings.set(this.ino, out);
      }
      return out;
    });
  }

  /** Run a change to `name` here, keeping the exclusive lookup cache exact around it. */
  private async mutate<T>(name: string, fn: (d: string, rel: string[]) => Promise<T>): Promise<T> {
    this.fs.mutating++;
    try {
      return await this.inDir(async (d, rel) => {
        this.fs.invalidate(this.ino, name);
        try {
          // Lazy files must reach the file they were opened as: open them before the change.
          if (this.fs.pending.size > 0) await this.fs.openPending();
          return await fn(d, rel);
        } finally {
          this.fs.invalidate(this.ino, name);
        }
      });
    } finally {
      this.fs.mutating--;
    }
  }

  override create(name: string, kind: CreateKind, mode: number): Promise<InodeImpl> {
    return this.mutate(name, async (d, rel) => {
      const p = `${d}/${name}`;
      if (kind === "dir") await fsp.mkdir(p, { mode: mode & 0o7777 });
      else await (await fsp.open(p, C.O_CREAT | C.O_EXCL | C.O_WRONLY | C.O_NOFOLLOW, mode & 0o7777)).close();
      return this.fs.inodeFromStat(await fsp.lstat(p, { bigint: true }), rel, name);
    });
  }

  override symlink(name: string, target: string): Promise<void> {
    return this.mutate(name, (d) => fsp.symlink(target, `${d}/${name}`));
  }

  override link(name: string, target: InodeImpl): Promise<void> {
    if (!(target instanceof HostInode) || target.fs !== this.fs) throw sysErr(Errno.XDEV);
    return this.mutate(name, (d) => target.atSelf((src) => fsp.link(src, `${d}/${name}`)));
  }

  override unlink(name: string): Promise<void> {
    return this.mutate(name, (d) => fsp.unlink(`${d}/${name}`));
  }

  override rmdir(name: string): Promise<void> {
    return this.mutate(name, async (d, rel) => {
      await fsp.rmdir(`${d}/${name}`);
      this.fs.forgetDir([...rel, name]);
    });
  }

  override rename(oldName: string, newDir: InodeImpl, newName: string): Promise<void> {
    if (!(newDir instanceof HostInode) || newDir.fs !== this.fs) throw sysErr(Errno.XDEV);
    return this.mutate(oldName, (d, rel) =>
      newDir.mutate(newName, async (nd, nrel) => {
        await fsp.rename(`${d}/${oldName}`, `${nd}/${newName}`);
        const st = await fsp.lstat(`${nd}/${newName}`, { bigint: true });
        if (st.isDirectory()) this.fs.movedDir([...rel, oldName], [...nrel, newName]);
      }));
  }
}
