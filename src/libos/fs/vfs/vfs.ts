/**
 * The VFS: a mount tree (VfsCore) and the path-level service seen by one process (ProcessVfs,
 * implementing types.ts's Vfs). The checks every file system shares live here, in the order
 * Linux makes them, so errnos match wasmtime on Linux:
 *   path_open:  O_DIRECTORY with O_CREAT/O_EXCL/O_TRUNC → EINVAL; fdflags SYNC/DSYNC/RSYNC →
 *               ENOTSUP (as wasmtime); missing without O_CREAT →
 *               ENOENT; O_CREAT on "name/" → EISDIR; O_EXCL on an existing name (even a
 *               dangling symlink) → EEXIST; O_CREAT on an existing directory → EISDIR; a final symlink without follow → ELOOP (ENOTDIR with
 *               O_DIRECTORY); O_DIRECTORY or "name/" on a non-directory → ENOTDIR; a directory
 *               opened for writing or with O_TRUNC → EISDIR; writing on a read-only mount → EROFS.
 *   namespace:  see each method.
 */
import { Errno, SysError, sysErr } from "../../syscall/errno.ts";
import { FdFlags, FileType, OFlags, type OpenFile, type OpenOptions, type Stat, type Vfs } from "../types.ts";
import { Dentry, DentryCache, Mount, type DentryHeap } from "./dentry.ts";
import { DirFile } from "./dir-file.ts";
import type { FileSystemImpl, FsCtx } from "./inode.ts";
import { byteLength, continueAt, lookupChild, PATH_MAX, resolveLast, walkFull, walkParent, type ParentResult, type Walker } from "./walk.ts";
import { forgetSocketNode, markSocketNode, socketNodeType } from "./socket-nodes.ts";

export interface MountOptions {
  readOnly?: boolean;
  /** Shown in /proc/mounts (defaults to the fs type). */
  source?: string;
  /** Create the mountpoint directory when missing (default true). */
  createMountpoint?: boolean;
}

export interface MountEntry {
  source: string;
  target: string;
  type: string;
  readOnly: boolean;
}

export class VfsCore {
  readonly rootMount: Mount;
  private readonly mountList: Mount[] = [];
  /** The dentry cache's kernel heap charge (undefined: uncharged). */
  readonly dentryCache: DentryCache | undefined;

  private constructor(rootMount: Mount, cache: DentryCache | undefined) {
    this.rootMount = rootMount;
    this.mountList.push(rootMount);
    this.dentryCache = cache;
    cache?.attach(() => this.root);
  }

  /** `dentryHeap`: the kernel heap the dentry cache is charged to (dentry.ts). */
  static async create(rootFs: FileSystemImpl, opts: MountOptions & { dentryHeap?: DentryHeap } = {}): Promise<VfsCore> {
    const inode = await rootFs.root();
    const cache = opts.dentryHeap ? new DentryCache(opts.dentryHeap) : undefined;
    return new VfsCore(new Mount(rootFs, inode, null, { readOnly: opts.readOnly ?? false, source: opts.source ?? rootFs.type, target: "/", cache }), cache);
  }

  get root(): Dentry {
    return this.rootMount.root.top();
  }

  /** Mount `fs` at absolute `target` (created as a directory in the parent fs when missing). */
  async mount(target: string, fs: FileSystemImpl, opts: MountOptions = {}): Promise<Mount> {
    if (!target.startsWith("/")) throw sysErr(Errno.INVAL, `mount target must be absolute: ${target}`);
    const w = this.walker({ pid: 0 });
    let d: Dentry = this.root;
    for (const name of target.split("/").filter((s) => s && s !== ".")) {
      if (name === "..") throw sysErr(Errno.INVAL, `mount target contains "..": ${target}`);
      let next = await lookupChild(w, d, name);
      if (!next) {
        if (opts.createMountpoint === false) throw sysErr(Errno.NOENT, `mountpoint ${target}`);
        await d.inode.create(name, "dir", 0o755);
        next = await lookupChild(w, d, name);
        if (!next) throw sysErr(Errno.NOENT, `mountpoint ${target}`);
      }
      if (next.inode.filetype !== FileType.DIRECTORY) throw sysErr(Errno.NOTDIR, `mountpoint ${target}`);
      d = next;
    }
    const inode = await fs.root();
    const m = new Mount(fs, inode, d, { readOnly: opts.readOnly ?? false, source: opts.source ?? fs.type, target, cache: this.dentryCache });
    d.mounted = m;
    // Pin the mountpoint in its parent's cache so lookups keep finding the mount.
    if (d.parent) d.parent.cacheChild(d.name, d, true);
    this.mountList.push(m);
    return m;
  }

  mounts(): MountEntry[] {
    return this.mountList.map((m) => ({ source: m.source, target: m.target, type: m.fs.type, readOnly: m.readOnly }));
  }

  walker(ctx: FsCtx): Walker {
    return { root: this.root, ctx, links: 0 };
  }

  forProcess(pid: number): ProcessVfs {
    return new ProcessVfs(this, { pid });
  }

  async close(): Promise<void> {
    this.dentryCache?.close();
    for (const m of [...this.mountList].reverse()) await m.fs.close?.();
  }
}

function dirOf(f: OpenFile): Dentry {
  if (f instanceof DirFile) return f.dentry;
  throw sysErr(Errno.NOTDIR, "not a directory descriptor");
}

/**
 * The start of a dir-relative path. As wasmtime, an absolute path is refused with EPERM (wasi-libc
 * never passes one: it strips the preopen "/"), unless `root` is given: then it starts there, as
 * Linux's *at() calls do (wasix-libc passes absolute paths with the root preopen). Symlinks may
 * always be absolute.
 */
function startOf(f: OpenFile, path: string, root?: Dentry): Dentry {
  const d = dirOf(f);
  if (path.startsWith("/")) {
    if (root === undefined) throw sysErr(Errno.PERM, "absolute path");
    return root;
  }
  return d;
}

/** An existing name where one is to be created: ENOTDIR for "file/", else EEXIST. */
function existsError(d: Dentry | null, slash: boolean): never {
  throw sysErr(slash && d && !d.isDir ? Errno.NOTDIR : Errno.EXIST);
}

function writable(d: Dentry): void {
  if (d.mount.readOnly) throw sysErr(Errno.ROFS);
}

/**
 * Whether `d` is a socket file's last name (asked before the name goes: some file systems cannot
 * stat an inode by a name it no longer has). Removing it ends the inode's life as a socket file.
 */
async function isLastSocketLink(d: Dentry): Promise<boolean> {
  if (socketNodeType(d.inode.fs, d.inode.ino) === undefined) return false;
  try {
    return (await d.inode.stat()).nlink <= 1n;
  } catch {
    return true;
  }
}

function isSpecial(last: string): boolean {
  return last === "." || last === "..";
}

export class ProcessVfs implements Vfs {
  readonly core: VfsCore;
  readonly ctx: FsCtx;

  /**
   * Absolute path arguments of the dir-relative calls resolve from the root (Linux *at()
   * semantics) instead of EPERM (wasmtime's rule). The kernel sets it for WASIX programs.
   */
  absolutePathsFromRoot = false;
  /** A thread's view keeps its process's settings. */
  private readonly owner: ProcessVfs | undefined;

  constructor(core: VfsCore, ctx: FsCtx, owner?: ProcessVfs) {
    this.core = core;
    this.ctx = ctx;
    this.owner = owner;
  }

  forThread(tid: number): ProcessVfs {
    return new ProcessVfs(this.core, { pid: this.ctx.pid, tid }, this.owner ?? this);
  }

  private get absRoot(): Dentry | undefined {
    return (this.owner ?? this).absolutePathsFromRoot ? this.core.root : undefined;
  }

  private w(): Walker {
    return this.core.walker(this.ctx);
  }

  async openRoot(): Promise<OpenFile> {
    return new DirFile(this.core.root, this.ctx, 0, true);
  }

  async openAbsolute(path: string, opts: OpenOptions): Promise<OpenFile> {
    if (!path.startsWith("/")) throw sysErr(Errno.INVAL, "not an absolute path");
    return this.openAt(this.core.root, path, opts);
  }

  async open(dir: OpenFile, path: string, opts: OpenOptions): Promise<OpenFile> {
    return this.openAt(startOf(dir, path, this.absRoot), path, opts);
  }

  private async openAt(start: Dentry, path: string, opts: OpenOptions): Promise<OpenFile> {
    const { oflags } = opts;
    const wantDir = (oflags & OFlags.DIRECTORY) !== 0;
    if (wantDir && (oflags & (OFlags.CREAT | OFlags.EXCL | OFlags.TRUNC)) !== 0) throw sysErr(Errno.INVAL, "O_DIRECTORY with O_CREAT/O_EXCL/O_TRUNC");
    // wasmtime refuses the synchronous-I/O flags at open (cap-std cannot honour them).
    if (opts.fdflags & (FdFlags.DSYNC | FdFlags.RSYNC | FdFlags.SYNC)) throw sysErr(Errno.NOTSUP, "O_SYNC/O_DSYNC/O_RSYNC");
    const w = this.w();
    let p = await walkParent(w, start, path);
    let d: Dentry | null;
    let raced = 0;
    for (;;) {
      const r = resolveLast(w, p);
      d = r instanceof Promise ? await r : r;
      if (!d) {
        if (!(oflags & OFlags.CREAT)) throw sysErr(Errno.NOENT);
        if (p.slash) throw sysErr(Errno.ISDIR, "O_CREAT on a name ending with /");
        writable(p.dir);
        let inode;
        try {
          inode = await p.dir.inode.create(p.last, "file", opts.mode ?? 0o644, this.ctx);
        } catch (e) {
          // Another thread created it since our lookup: without O_EXCL, open what is there.
          if (e instanceof SysError && e.errno === Errno.EXIST && !(oflags & OFlags.EXCL) && ++raced < 8) continue;
          throw e;
        }
        d = p.dir.child(p.last, inode);
        break;
      }
      if (oflags & OFlags.CREAT && oflags & OFlags.EXCL) throw sysErr(Errno.EXIST);
      if (d.inode.filetype === FileType.SYMBOLIC_LINK) {
        if ((opts.followSymlinks || p.slash) && d.inode.openLink) {
          const o = await d.inode.openLink({ read: opts.read, write: opts.write, fdflags: opts.fdflags, truncate: (oflags & OFlags.TRUNC) !== 0, path: d.path() }, this.ctx);
          return o.file;
        }
        if (opts.followSymlinks || p.slash) {
          p = await continueAt(w, p.dir, d, p.slash);
          continue;
        }
        throw sysErr(wantDir ? Errno.NOTDIR : Errno.LOOP, "symlink not followed");
      }
      break;
    }
    const isDir = d.inode.filetype === FileType.DIRECTORY;
    if ((wantDir || p.slash) && !isDir) throw sysErr(Errno.NOTDIR);
    if (isDir) {
      if (opts.write || oflags & (OFlags.TRUNC | OFlags.CREAT)) throw sysErr(Errno.ISDIR);
      return new DirFile(d, this.ctx, opts.fdflags, opts.read);
    }
    if (socketNodeType(d.inode.fs, d.inode.ino) !== undefined) throw sysErr(Errno.NXIO, "open of a socket file");
    const truncate = (oflags & OFlags.TRUNC) !== 0 && d.inode.filetype === FileType.REGULAR_FILE;
    if ((opts.write || truncate) && d.inode.filetype === FileType.REGULAR_FILE) writable(d);
    return d.inode.open({ read: opts.read, write: opts.write, fdflags: opts.fdflags, truncate, path: d.path() }, this.ctx);
  }

  async stat(dir: OpenFile, path: string, followSymlinks: boolean): Promise<Stat> {
    const d = await walkFull(this.w(), startOf(dir, path, this.absRoot), path, followSymlinks);
    if (followSymlinks && d.inode.openLink && d.inode.filetype === FileType.SYMBOLIC_LINK) {
      // A magic link walkFull stopped at: stat what it opens.
      const o = await d.inode.openLink({ read: false, write: false, fdflags: 0, truncate: false, path: d.path() }, this.ctx);
      try {
        return await o.file.stat();
      } finally {
        if (!o.shared) await o.file.release();
      }
    }
    const sock = socketNodeType(d.inode.fs, d.inode.ino);
    if (sock === undefined) return d.inode.stat();
    return { ...(await d.inode.stat()), filetype: sock };
  }

  /**
   * bind(2) of a pathname AF_UNIX socket: a socket inode at `path` (socket-nodes.ts), its Stat.
   * An existing name (even a dangling symlink) → EEXIST, which bind reports as EADDRINUSE; a
   * missing directory → ENOENT; "name/" → ENOENT, as Linux's unix_bind.
   */
  async mksock(dir: OpenFile, path: string, type: typeof FileType.SOCKET_STREAM | typeof FileType.SOCKET_DGRAM, mode = 0o755): Promise<Stat> {
    const w = this.w();
    const p = await walkParent(w, startOf(dir, path, this.absRoot), path);
    if (isSpecial(p.last) || (await lookupChild(w, p.dir, p.last))) throw sysErr(Errno.EXIST);
    if (p.slash) throw sysErr(Errno.NOENT);
    writable(p.dir);
    const inode = await p.dir.inode.create(p.last, "file", mode);
    p.dir.child(p.last, inode);
    markSocketNode(inode.fs, inode.ino, type);
    return { ...(await inode.stat()), filetype: type };
  }

  async setTimes(dir: OpenFile, path: string, followSymlinks: boolean, atim: bigint, mtim: bigint, fstflags: number): Promise<void> {
    const d = await walkFull(this.w(), startOf(dir, path, this.absRoot), path, followSymlinks);
    writable(d);
    await d.inode.setTimes(atim, mtim, fstflags);
  }

  /** EEXIST for an existing name (also "." and ".."), EROFS, ENOENT/ENOTDIR on the way. */
  async mkdir(dir: OpenFile, path: string, mode = 0o755): Promise<void> {
    const w = this.w();
    const p = await walkParent(w, startOf(dir, path, this.absRoot), path);
    if (isSpecial(p.last) || (await lookupChild(w, p.dir, p.last))) throw sysErr(Errno.EXIST);
    writable(p.dir);
    const inode = await p.dir.inode.create(p.last, "dir", mode);
    p.dir.child(p.last, inode);
  }

  /** "." → EINVAL, ".." → ENOTEMPTY, a non-directory → ENOTDIR, a mountpoint/root → EBUSY. */
  async rmdir(dir: OpenFile, path: string): Promise<void> {
    const w = this.w();
    const p = await walkParent(w, startOf(dir, path, this.absRoot), path);
    if (p.last === ".") throw sysErr(Errno.INVAL);
    if (p.last === "..") throw sysErr(Errno.NOTEMPTY);
    const d = await lookupChild(w, p.dir, p.last);
    if (!d) throw sysErr(Errno.NOENT);
    if (d.inode.filetype !== FileType.DIRECTORY) throw sysErr(Errno.NOTDIR);
    if (d.mount !== p.dir.mount) throw sysErr(Errno.BUSY, "mountpoint");
    writable(p.dir);
    await p.dir.inode.rmdir(p.last);
    p.dir.forget(p.last);
  }

  /** A directory → EISDIR; "name/" on a non-directory → ENOTDIR. */
  async unlink(dir: OpenFile, path: string): Promise<void> {
    const w = this.w();
    const p = await walkParent(w, startOf(dir, path, this.absRoot), path);
    if (isSpecial(p.last)) throw sysErr(Errno.ISDIR);
    const d = await lookupChild(w, p.dir, p.last);
    if (!d) throw sysErr(Errno.NOENT);
    if (d.inode.filetype === FileType.DIRECTORY) throw sysErr(Errno.ISDIR);
    if (p.slash) throw sysErr(Errno.NOTDIR);
    writable(p.dir);
    const lastLink = await isLastSocketLink(d);
    await p.dir.inode.unlink(p.last);
    p.dir.forget(p.last);
    if (lastLink) forgetSocketNode(d.inode.fs, d.inode.ino);
  }

  /**
   * rename(2): "."/".." → EBUSY; across mounts → EXDEV; a directory over a non-directory →
   * ENOTDIR; a non-directory over a directory → EISDIR; over a non-empty directory → ENOTEMPTY;
   * a directory into its own subtree → EINVAL; "name/" on a non-directory → ENOTDIR; hard links
   * of one inode → nothing happens.
   */
  async rename(oldDir: OpenFile, oldPath: string, newDir: OpenFile, newPath: string): Promise<void> {
    const w = this.w();
    const op = await walkParent(w, startOf(oldDir, oldPath, this.absRoot), oldPath);
    const np = await walkParent(w, startOf(newDir, newPath, this.absRoot), newPath);
    if (isSpecial(op.last) || isSpecial(np.last)) throw sysErr(Errno.BUSY);
    if (op.dir.mount !== np.dir.mount) throw sysErr(Errno.XDEV);
    const src = await lookupChild(w, op.dir, op.last);
    if (!src) throw sysErr(Errno.NOENT);
    const srcDir = src.inode.filetype === FileType.DIRECTORY;
    if ((op.slash || np.slash) && !srcDir) throw sysErr(Errno.NOTDIR);
    if (src.mount !== op.dir.mount) throw sysErr(Errno.BUSY, "mountpoint");
    const dst = await lookupChild(w, np.dir, np.last);
    if (dst && dst.mount !== np.dir.mount) throw sysErr(Errno.BUSY, "mountpoint");
    if (srcDir) {
      if (dst && dst.inode.filetype !== FileType.DIRECTORY) throw sysErr(Errno.NOTDIR);
      if (np.dir.isWithin(src)) throw sysErr(Errno.INVAL, "directory into its own subtree");
    } else if (dst && dst.inode.filetype === FileType.DIRECTORY) {
      throw sysErr(Errno.ISDIR);
    }
    if (dst === src || (dst && dst.inode.ino === src.inode.ino && dst.inode.fs === src.inode.fs)) return;
    writable(op.dir);
    if (dst && srcDir && (await dst.inode.list(this.ctx)).length > 0) throw sysErr(Errno.NOTEMPTY);
    const lastLink = dst !== null && !srcDir && (await isLastSocketLink(dst));
    await op.dir.inode.rename(op.last, np.dir.inode, np.last);
    if (lastLink) forgetSocketNode(dst.inode.fs, dst.inode.ino);
    // Move the cached dentry so open descriptors below it keep a correct "..".
    op.dir.uncache(op.last);
    np.dir.uncache(np.last);
    src.name = np.last;
    src.parent = np.dir;
    Dentry.moved();
    np.dir.cacheChild(np.last, src);
  }

  /**
   * link(2) of the entry itself (a symlink is linked, not its target): SYMLINK_FOLLOW → EINVAL
   * (as wasmtime); a directory → EPERM; an existing name → EEXIST ("file/" → ENOTDIR); a
   * missing "name/" → ENOENT.
   */
  async link(oldDir: OpenFile, oldPath: string, newDir: OpenFile, newPath: string, followSymlinks: boolean): Promise<void> {
    if (followSymlinks) throw sysErr(Errno.INVAL, "path_link with SYMLINK_FOLLOW");
    const w = this.w();
    const src = await walkFull(w, startOf(oldDir, oldPath, this.absRoot), oldPath, false);
    const np = await walkParent(w, startOf(newDir, newPath, this.absRoot), newPath);
    if (isSpecial(np.last)) throw sysErr(Errno.EXIST);
    const existing = await lookupChild(w, np.dir, np.last);
    if (existing) existsError(existing, np.slash);
    if (np.slash) throw sysErr(Errno.NOENT);
    if (src.mount !== np.dir.mount) throw sysErr(Errno.XDEV);
    if (src.inode.filetype === FileType.DIRECTORY) throw sysErr(Errno.PERM, "hard link to a directory");
    writable(np.dir);
    await np.dir.inode.link(np.last, src.inode);
  }

  /** An existing name → EEXIST ("file/" → ENOTDIR); a missing "name/" → ENOENT; empty target → ENOENT. */
  async symlink(target: string, dir: OpenFile, path: string): Promise<void> {
    const w = this.w();
    const p = await walkParent(w, startOf(dir, path, this.absRoot), path);
    if (isSpecial(p.last)) throw sysErr(Errno.EXIST);
    const existing = await lookupChild(w, p.dir, p.last);
    if (existing) existsError(existing, p.slash);
    if (p.slash) throw sysErr(Errno.NOENT);
    if (target.length === 0) throw sysErr(Errno.NOENT, "empty symlink target");
    if (byteLength(target) >= PATH_MAX) throw sysErr(Errno.NAMETOOLONG, "symlink target");
    writable(p.dir);
    await p.dir.inode.symlink(p.last, target);
  }

  /** A non-symlink → EINVAL. */
  async readlink(dir: OpenFile, path: string): Promise<string> {
    const d = await walkFull(this.w(), startOf(dir, path, this.absRoot), path, false);
    if (d.inode.filetype !== FileType.SYMBOLIC_LINK) throw sysErr(Errno.INVAL, "not a symlink");
    return d.inode.readlink(this.ctx);
  }

  /** Resolve a path to its dentry (kernel helpers: exec, chdir). */
  async resolve(dir: OpenFile | null, path: string, followSymlinks = true): Promise<Dentry> {
    return walkFull(this.w(), dir ? dirOf(dir) : this.core.root, path, followSymlinks);
  }
}

export type { ParentResult };
