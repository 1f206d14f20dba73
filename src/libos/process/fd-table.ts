/**
 * FdTable: a process's file descriptors. Each fd names one open file description (shared by dup),
 * with the WASI rights of this fd and, for preopens, the directory name the guest sees.
 *
 * Rules: a new fd takes the lowest free number (POSIX; wasmtime reuses the lowest free too);
 * rights are checked here, where the fd is resolved (see get() for EBADF vs ENOTCAPABLE);
 * closing the last fd of a description releases it.
 *
 * The root directory. A WASI libc finds "/" as a preopened fd (3) and resolves every absolute
 * path through it, so a program that closed fd 3 (a daemon closing every fd from 3 up) or dup2'd
 * over it could open no file any more, and its first open() got 4 where Linux gives 3. A libc
 * that says it knows the root's own number (sdk/libc/preopen.c, occlum.root_dirfd) gets the root
 * out of the fd numbers instead: at ROOT_DIRFD, which get() resolves and nothing lists, closes or
 * renumbers (hideRoot). A program that finds its root the WASI way gets it as a preopen at the
 * lowest free fd (exposeRoot).
 */
import { Errno, SysError, sysErr } from "../syscall/errno.ts";
import type { OpenFile } from "../fs/types.ts";
import { releaseFile, retainFile } from "./file-refs.ts";

export interface FdEntry {
  readonly file: OpenFile;
  /** Rights of this fd (WASI bits, see syscall/abi.ts Rights). */
  base: number;
  inheriting: number;
  /** Name shown by fd_prestat_dir_name, for preopened directories. */
  readonly preopen?: string;
  /** Per-fd (not per-description) flags: FD_CLOEXEC, honoured by spawn (issue 4). */
  cloexec?: boolean;
}

const EBADF = new SysError(Errno.BADF);
// Rights.FD_READ and FD_WRITE (syscall/abi.ts), inlined to keep process/ free of ABI imports.
const READ = 1 << 1;
const WRITE = 1 << 6;
const ENOTCAPABLE = new SysError(Errno.NOTCAPABLE);

/** The root directory's fd for a libc that asks for it (see the header): no fd number reaches it. */
export const ROOT_DIRFD = 0x7fff_fff0;

/** RLIMIT_NOFILE as Occlum's default, and the most fds a process can have (its hard limit). */
export const MAX_FDS = 1024;

export class FdTable {
  private readonly entries: (FdEntry | undefined)[] = [];
  private count = 0;
  /** RLIMIT_NOFILE's soft limit: new fds are below it (fds already past a lowered one stay). */
  limit = MAX_FDS;
  /** The root directory at ROOT_DIRFD (see the header); undefined: it is a preopen fd, if any. */
  private root: FdEntry | undefined = undefined;
  /**
   * Called whenever one of this table's fds stops referring to a description (close, dup2 or
   * renumber over it, exit), before the reference goes: the process's POSIX record locks on that
   * file go then (fs/locks.ts releaseOnClose; set by Process).
   */
  onDrop: ((file: OpenFile) => void | Promise<void>) | undefined = undefined;

  /**
   * Resolve an fd, requiring every bit of `need` in its rights. Reading a description not opened
   * for reading (or writing one not opened for writing) is EBADF, as on Linux and in wasmtime;
   * a right the fd lost to fd_fdstat_set_rights, or never had, is ENOTCAPABLE.
   */
  get(fd: number, need = 0): FdEntry {
    const e = fd === ROOT_DIRFD ? this.root : this.entries[fd];
    if (e === undefined) throw EBADF;
    if ((e.base & need) !== need) {
      if ((need & READ) !== 0 && !e.file.readable) throw EBADF;
      if ((need & WRITE) !== 0 && !e.file.writable) throw EBADF;
      throw ENOTCAPABLE;
    }
    return e;
  }

  has(fd: number): boolean {
    return this.entries[fd] !== undefined;
  }

  /** Install a description at the lowest free fd (>= min); takes a new reference. */
  insert(file: OpenFile, base: number, inheriting: number, opts: { preopen?: string; min?: number; cloexec?: boolean } = {}): number {
    let fd = opts.min ?? 0;
    if (fd >= this.limit) throw sysErr(Errno.INVAL);
    while (this.entries[fd] !== undefined) fd++;
    if (fd >= this.limit) throw sysErr(Errno.MFILE);
    this.place(fd, {
      file, base, inheriting,
      ...(opts.preopen !== undefined ? { preopen: opts.preopen } : {}),
      ...(opts.cloexec ? { cloexec: true } : {}),
    });
    return fd;
  }

  /** Whether insert() would find a free fd: calls that take one first, as Linux's get_unused_fd_flags, fail with EMFILE before anything else. */
  hasFree(): boolean {
    let fd = 0;
    while (this.entries[fd] !== undefined) fd++;
    return fd < this.limit;
  }

  /**
   * dup2/dup3 and spawn's fd actions: make `to` refer to `from`'s description (closing what `to`
   * held); `to` never inherits FD_CLOEXEC unless asked. Returns the release of the old one.
   */
  duplicateTo(from: number, to: number, cloexec = false): void | Promise<void> {
    const e = this.get(from);
    if (to < 0 || to >= this.limit) throw EBADF;
    if (from === to) return; // dup2(fd, fd): nothing changes, not even FD_CLOEXEC
    const old = this.entries[to];
    if (old === undefined) {
      this.place(to, { file: e.file, base: e.base, inheriting: e.inheriting, ...(cloexec ? { cloexec } : {}) });
      return;
    }
    retainFile(e.file);
    this.entries[to] = { file: e.file, base: e.base, inheriting: e.inheriting, ...(cloexec ? { cloexec } : {}) };
    return this.drop(old.file);
  }

  /** Install a description at a given (free or not) fd: spawn's open action. */
  installAt(fd: number, file: OpenFile, base: number, inheriting: number): void | Promise<void> {
    if (fd < 0 || fd >= this.limit) throw EBADF;
    const old = this.entries[fd];
    if (old === undefined) {
      this.place(fd, { file, base, inheriting });
      return;
    }
    retainFile(file);
    this.entries[fd] = { file, base, inheriting };
    return this.drop(old.file);
  }

  /**
   * A child's table at spawn: the same fds on the same descriptions, FD_CLOEXEC included (spawn's
   * file actions see them, as in a forked child); closeOnExec() then drops those.
   */
  inheritFrom(parent: FdTable): void {
    this.limit = parent.limit;
    if (parent.root) {
      retainFile(parent.root.file);
      this.root = parent.root;
    }
    for (const fd of parent.list()) {
      const e = parent.entries[fd]!;
      this.place(fd, { ...e });
    }
  }

  /** exec: close every FD_CLOEXEC fd. */
  async closeOnExec(): Promise<void> {
    for (const fd of this.list()) if (this.entries[fd]!.cloexec) await this.close(fd);
  }

  /** Put an entry at a given fd (which must be free). */
  private place(fd: number, e: FdEntry): void {
    retainFile(e.file);
    this.entries[fd] = e;
    this.count++;
  }

  /** Remove an fd; releases the description when this was its last fd. */
  close(fd: number): void | Promise<void> {
    const e = this.entries[fd];
    if (e === undefined) throw EBADF;
    this.entries[fd] = undefined;
    this.count--;
    while (this.entries.length > 0 && this.entries[this.entries.length - 1] === undefined) this.entries.pop();
    return this.drop(e.file);
  }

  /** One fd's reference to `file` goes: onDrop first, then the reference (the last one releases it). */
  private drop(file: OpenFile): void | Promise<void> {
    const before = this.onDrop?.(file);
    if (before instanceof Promise) return before.then(() => releaseFile(file));
    return releaseFile(file);
  }

  /** fd_renumber: atomically replace `to` by `from` (closing `to`'s description) and free `from`. */
  renumber(from: number, to: number): void | Promise<void> {
    const e = this.get(from);
    this.get(to);
    if (from === to) return;
    const old = this.entries[to]!;
    this.entries[to] = e;
    this.entries[from] = undefined;
    this.count--;
    return this.drop(old.file);
  }

  /** dup/dup2 (issue 4): a new fd sharing the description, with the same rights. */
  dup(fd: number, min = 0, cloexec = false): number {
    const e = this.get(fd);
    return this.insert(e.file, e.base, e.inheriting, { min, cloexec });
  }

  /** Open fds, ascending. */
  list(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i] !== undefined) out.push(i);
    return out;
  }

  /** The "/" preopen leaves the fd numbers for ROOT_DIRFD (see the header); its fd is free again. */
  hideRoot(): void {
    for (const fd of this.list()) {
      const e = this.entries[fd]!;
      if (e.preopen !== "/") continue;
      this.entries[fd] = undefined;
      this.count--;
      while (this.entries.length > 0 && this.entries[this.entries.length - 1] === undefined) this.entries.pop();
      if (this.root) void this.drop(this.root.file); // one root is enough
      this.root = e;
      return;
    }
  }

  /** A program that finds its root as a preopen gets ROOT_DIRFD's at the lowest free fd, if it has no "/" preopen. */
  exposeRoot(): void {
    if (!this.root || this.list().some((fd) => this.entries[fd]!.preopen === "/")) return;
    const r = this.root;
    this.insert(r.file, r.base, r.inheriting, { preopen: "/" });
  }

  /** Close everything (process exit); resolves when every release finished. */
  async closeAll(): Promise<void> {
    if (this.root) {
      const r = this.root;
      this.root = undefined;
      try {
        await this.drop(r.file);
      } catch {
        // As below: nobody to report to.
      }
    }
    for (const fd of this.list()) {
      try {
        await this.close(fd);
      } catch {
        // A failing release at exit has nobody to report to; the description is gone anyway.
      }
    }
  }
}
