/**
 * The file-system implementer interface (gVisor's FilesystemImpl, at inode granularity).
 *
 * Split of work: the VFS (vfs/vfs.ts) owns path walk, `.`/`..`, symlink following, mounts,
 * trailing-slash rules, the type checks of every namespace operation (EISDIR/ENOTDIR/EEXIST),
 * EXDEV, EROFS on read-only mounts and renaming a directory into itself. An InodeImpl only does
 * what its storage must decide: name lookup, emptiness (ENOTEMPTY), space (ENOSPC), and the data.
 *
 * Invariants:
 * - `lookup` returns null for a missing name (never throws ENOENT for that), never resolves `.`
 *   or `..` (the VFS does) and never follows symlinks.
 * - Names given to create/unlink/rename are single components, already checked (no "/", not
 *   "." or "..", at most 255 bytes).
 * - Code between two awaits runs atomically with respect to other guest threads.
 */
import { Errno, sysErr } from "../../syscall/errno.ts";
import { FileType, type OpenFile, type Stat } from "../types.ts";

export type Maybe<T> = T | Promise<T>;

/** Who is asking: procfs resolves /proc/self from it. */
export interface FsCtx {
  readonly pid: number;
  /** The calling thread (/proc/thread-self), when the view is a thread's. */
  readonly tid?: number;
}

export interface ListEntry {
  name: string;
  ino: bigint;
  filetype: FileType;
}

/** What an inode needs to open itself (already checked by the VFS). */
export interface InodeOpenOptions {
  read: boolean;
  write: boolean;
  /** FdFlags of the description. */
  fdflags: number;
  /** O_TRUNC on a regular file opened for writing. */
  truncate: boolean;
  /** Absolute guest path (for procfs fd links). */
  path: string;
}

export type CreateKind = "file" | "dir";

export interface FileSystemImpl {
  /** Type name as in /proc/mounts ("ramfs", "hostfs", ...). */
  readonly type: string;
  /** Device number shown in stat (unique per mounted fs). */
  readonly dev: bigint;
  readonly readOnly: boolean;
  root(): Maybe<InodeImpl>;
  /** Flush and release host resources (unmount). */
  close?(): Maybe<void>;
}

export interface InodeImpl {
  readonly fs: FileSystemImpl;
  readonly ino: bigint;
  readonly filetype: FileType;
  stat(): Maybe<Stat>;
  setTimes(atim: bigint, mtim: bigint, fstflags: number): Maybe<void>;
  /** Regular files and devices: an open description. Directories are opened by the VFS. */
  open(opts: InodeOpenOptions, ctx: FsCtx): Maybe<OpenFile>;
  readlink(ctx: FsCtx): Maybe<string>;
  lookup(name: string, ctx: FsCtx): Maybe<InodeImpl | null>;
  /** Entries except "." and "..", in a stable order. */
  list(ctx: FsCtx): Maybe<ListEntry[]>;
  /** EEXIST when the name exists. `ctx`: who creates (mqueuefs charges the creator's RLIMIT_MSGQUEUE). */
  create(name: string, kind: CreateKind, mode: number, ctx?: FsCtx): Maybe<InodeImpl>;
  symlink(name: string, target: string): Maybe<void>;
  /** Hard link `target` (same fs, not a directory) as `name`. */
  link(name: string, target: InodeImpl): Maybe<void>;
  /** Remove a non-directory entry. */
  unlink(name: string): Maybe<void>;
  /** Remove an empty directory entry (ENOTEMPTY otherwise). */
  rmdir(name: string): Maybe<void>;
  /**
   * Move `oldName` to `newDir/newName` (same fs), atomically replacing a target the VFS has
   * checked to be compatible (a non-directory, or an empty directory the impl re-checks).
   */
  rename(oldName: string, newDir: InodeImpl, newName: string): Maybe<void>;
  /**
   * Magic links (procfs /proc/<pid>/fd/N): following this symlink as the last component of an
   * open does not resolve readlink's text but returns this file (`shared`: the very description
   * of the fd, which the caller must not release on its own).
   */
  openLink?(opts: InodeOpenOptions, ctx: FsCtx): Maybe<{ file: OpenFile; shared: boolean }>;
}

/** Defaults that fail as Linux does for the inode's type. */
export abstract class InodeBase implements InodeImpl {
  abstract readonly fs: FileSystemImpl;
  abstract readonly ino: bigint;
  abstract readonly filetype: FileType;
  abstract stat(): Maybe<Stat>;

  protected notDir(): never {
    throw sysErr(Errno.NOTDIR);
  }
  setTimes(_atim: bigint, _mtim: bigint, _fstflags: number): Maybe<void> {
    throw sysErr(Errno.PERM, "cannot set times");
  }
  open(_opts: InodeOpenOptions, _ctx: FsCtx): Maybe<OpenFile> {
    throw sysErr(this.filetype === FileType.DIRECTORY ? Errno.ISDIR : Errno.NXIO, "cannot open");
  }
  readlink(_ctx: FsCtx): Maybe<string> {
    throw sysErr(Errno.INVAL, "not a symlink");
  }
  lookup(_name: string, _ctx: FsCtx): Maybe<InodeImpl | null> {
    return this.notDir();
  }
  list(_ctx: FsCtx): Maybe<ListEntry[]> {
    return this.notDir();
  }
  create(_name: string, _kind: CreateKind, _mode: number, _ctx?: FsCtx): Maybe<InodeImpl> {
    if (this.filetype !== FileType.DIRECTORY) this.notDir();
    throw sysErr(Errno.PERM, "cannot create here");
  }
  symlink(_name: string, _target: string): Maybe<void> {
    if (this.filetype !== FileType.DIRECTORY) this.notDir();
    throw sysErr(Errno.PERM, "cannot create here");
  }
  link(_name: string, _target: InodeImpl): Maybe<void> {
    if (this.filetype !== FileType.DIRECTORY) this.notDir();
    throw sysErr(Errno.PERM, "cannot link here");
  }
  unlink(_name: string): Maybe<void> {
    if (this.filetype !== FileType.DIRECTORY) this.notDir();
    throw sysErr(Errno.PERM, "cannot remove here");
  }
  rmdir(_name: string): Maybe<void> {
    if (this.filetype !== FileType.DIRECTORY) this.notDir();
    throw sysErr(Errno.PERM, "cannot remove here");
  }
  rename(_oldName: string, _newDir: InodeImpl, _newName: string): Maybe<void> {
    if (this.filetype !== FileType.DIRECTORY) this.notDir();
    throw sysErr(Errno.PERM, "cannot rename here");
  }
}

/** Open files that can change their permission bits (used by unionfs copy-up; WASI has no chmod). */
export interface ModeSettable {
  setMode(mode: number): Maybe<void>;
}

export function canSetMode(f: object): f is ModeSettable {
  return typeof (f as Partial<ModeSettable>).setMode === "function";
}

let nextDev = 1n;
/** A fresh device number for a new file system instance. */
export function allocDev(): bigint {
  return nextDev++;
}

/** Apply WASI fstflags to (atim, mtim): returns the new pair, keeping unset ones. */
export function resolveTimes(
  cur: { atim: bigint; mtim: bigint }, atim: bigint, mtim: bigint, fstflags: number, now: bigint,
): { atim: bigint; mtim: bigint } {
  // ATIM and ATIM_NOW together (or MTIM and MTIM_NOW) are EINVAL in WASI.
  if ((fstflags & 3) === 3 || (fstflags & 12) === 12) throw sysErr(Errno.INVAL, "conflicting fstflags");
  return {
    atim: fstflags & 2 ? now : fstflags & 1 ? atim : cur.atim,
    mtim: fstflags & 8 ? now : fstflags & 4 ? mtim : cur.mtim,
  };
}
