/**
 * The contract between the syscall layer and the VFS: what an open file is, what a directory
 * listing and a stat look like, and the path-level service the syscall handlers call.
 *
 * Rules (shared by every file system):
 * - Values are WASI-shaped (filetype, fdflags, timestamps in ns as bigint) so handlers only encode.
 * - Nothing here touches guest memory: buffers are plain Uint8Arrays (views the dispatcher made).
 * - A method returns a value or a Promise of it. It never waits for readiness itself: when data is
 *   not available it throws EAGAIN_ERROR, and syscall/blocking waits on `waitQueue` (unless the fd
 *   is non-blocking) and retries. Host I/O that is merely slow returns a Promise.
 * - Errors are SysError (syscall/errno.ts). Unsupported operations fail as Linux would (EINVAL,
 *   ESPIPE, ENOTDIR, EISDIR, EBADF...): see FileBase.
 */
import type { WaitQueue } from "../sched/wait-queue.ts";

/** WASI filetype numbering. */
export const FileType = {
  UNKNOWN: 0, BLOCK_DEVICE: 1, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4,
  SOCKET_DGRAM: 5, SOCKET_STREAM: 6, SYMBOLIC_LINK: 7,
} as const;
export type FileType = (typeof FileType)[keyof typeof FileType];

/** WASI fdflags. */
export const FdFlags = { APPEND: 1, DSYNC: 2, NONBLOCK: 4, RSYNC: 8, SYNC: 16 } as const;
/** WASI oflags. */
export const OFlags = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;
/** WASI lookupflags. */
export const LookupFlags = { SYMLINK_FOLLOW: 1 } as const;
/** WASI fstflags (set_times). */
export const FstFlags = { ATIM: 1, ATIM_NOW: 2, MTIM: 4, MTIM_NOW: 8 } as const;
/** WASI whence. */
export const Whence = { SET: 0, CUR: 1, END: 2 } as const;
/** Poll readiness bits (Linux POLL* values, used by poll/epoll and mapped for poll_oneoff). */
export const Ready = { IN: 0x1, PRI: 0x2, OUT: 0x4, ERR: 0x8, HUP: 0x10, NVAL: 0x20, RDHUP: 0x2000 } as const;

export interface Stat {
  dev: bigint;
  ino: bigint;
  filetype: FileType;
  nlink: bigint;
  size: bigint;
  atim: bigint; // ns since the epoch
  mtim: bigint;
  ctim: bigint;
  /** POSIX permission bits (0o7777); not part of WASI's filestat, used by procfs/stat in WASIX. */
  mode: number;
}

export interface DirEntry {
  name: string;
  ino: bigint;
  filetype: FileType;
  /** Cookie of the entry that FOLLOWS this one (WASI d_next): stable across calls. */
  next: bigint;
}

type Maybe<T> = T | Promise<T>;

/**
 * An open file description (Linux `struct file`): shared by every fd that dup'd it, owns the
 * offset and status flags. File systems subclass FileBase and override what they support.
 */
export interface OpenFile {
  readonly filetype: FileType;
  /** Status flags (FdFlags): APPEND and NONBLOCK are honoured by the VFS/blocking layer. */
  flags: number;
  /** Whether the description was opened for reading / writing (checked at the fd edge). */
  readonly readable: boolean;
  readonly writable: boolean;
  /** Absolute path it was opened by, when known (procfs fd links, strace). */
  readonly path?: string;

  read(iovs: Uint8Array[]): Maybe<number>;
  write(iovs: Uint8Array[]): Maybe<number>;
  pread(iovs: Uint8Array[], offset: bigint): Maybe<number>;
  pwrite(iovs: Uint8Array[], offset: bigint): Maybe<number>;
  seek(offset: bigint, whence: number): Maybe<bigint>;
  tell(): Maybe<bigint>;
  stat(): Maybe<Stat>;
  setSize(size: bigint): Maybe<void>;
  setTimes(atim: bigint, mtim: bigint, fstflags: number): Maybe<void>;
  sync(): Maybe<void>;
  datasync(): Maybe<void>;
  allocate(offset: bigint, len: bigint): Maybe<void>;
  advise(offset: bigint, len: bigint, advice: number): Maybe<void>;
  /** Entries from `cookie` on (0 = start), in a stable order; may return fewer than exist. */
  readdir(cookie: bigint): Maybe<DirEntry[]>;
  /** Current readiness (Ready bits) for poll/epoll/poll_oneoff; regular files are always ready. */
  poll(): number;
  /** Woken whenever readiness may have changed; absent for always-ready files. */
  readonly waitQueue?: WaitQueue;
  /**
   * read() for a file whose data depends on who reads (signalfd: the reading thread's signals);
   * fd_read calls it with the calling thread instead of read() when present.
   */
  readAs?(reader: object, iovs: Uint8Array[]): Maybe<number>;
  /**
   * Called whenever one of `owner`'s fds referring to this description is closed (Linux's
   * f_op->flush), before release: a message queue drops the owner's mq_notify registration.
   */
  flush?(owner: object): void;
  /** Called when the last fd referring to this description is closed. */
  release(): Maybe<void>;
}

/** Options of Vfs.open (WASI path_open, already decoded). */
export interface OpenOptions {
  oflags: number; // OFlags
  fdflags: number; // FdFlags
  read: boolean;
  write: boolean;
  followSymlinks: boolean; // LookupFlags.SYMLINK_FOLLOW
  mode?: number; // creation mode (default 0o644 / 0o755)
}

/**
 * The path-level service. `dir` is the open directory a relative path starts from (the dirfd of
 * a path_* call); resolution never leaves the process root (`..` at the root stays at the root,
 * absolute symlinks resolve from the root).
 */
export interface Vfs {
  open(dir: OpenFile, path: string, opts: OpenOptions): Promise<OpenFile>;
  stat(dir: OpenFile, path: string, followSymlinks: boolean): Promise<Stat>;
  setTimes(dir: OpenFile, path: string, followSymlinks: boolean, atim: bigint, mtim: bigint, fstflags: number): Promise<void>;
  mkdir(dir: OpenFile, path: string, mode?: number): Promise<void>;
  rmdir(dir: OpenFile, path: string): Promise<void>;
  unlink(dir: OpenFile, path: string): Promise<void>;
  rename(oldDir: OpenFile, oldPath: string, newDir: OpenFile, newPath: string): Promise<void>;
  link(oldDir: OpenFile, oldPath: string, newDir: OpenFile, newPath: string, followSymlinks: boolean): Promise<void>;
  symlink(target: string, dir: OpenFile, path: string): Promise<void>;
  readlink(dir: OpenFile, path: string): Promise<string>;
  /** bind(2) of a pathname AF_UNIX socket: a socket file at `path` (EEXIST if the name exists). */
  mksock(dir: OpenFile, path: string, type: typeof FileType.SOCKET_STREAM | typeof FileType.SOCKET_DGRAM, mode?: number): Promise<Stat>;
  /** The root directory, opened (the guest's preopen "/"). */
  openRoot(): Promise<OpenFile>;
  /** Absolute path resolution helper for the kernel (exec of /bin/x, /proc/self/...). */
  openAbsolute(path: string, opts: OpenOptions): Promise<OpenFile>;
  /** The same view as seen by one of the process's threads (/proc/thread-self names it). */
  forThread?(tid: number): Vfs;
}
