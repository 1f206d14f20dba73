/**
 * fd_* handlers: resolve the fd (rights checked there, FdTable.get), call the open file, return.
 * Reads and writes go through syscall/blocking (EAGAIN → park on the file's wait queue).
 */
import { Rights, RIGHTS_ALL } from "../abi.ts";
import { Errno, SysError, sysErr } from "../errno.ts";
import { blockingIo } from "../blocking.ts";
import type { FdStat, Prestat } from "../codecs.ts";
import { encodeUtf8 } from "../memory.ts";
import { FdFlags, FileType, FstFlags, Ready, Whence, type DirEntry, type OpenFile, type Stat } from "../../fs/types.ts";
import type { Thread } from "../../process/thread.ts";

type Maybe<T> = T | Promise<T>;

const EBADF = new SysError(Errno.BADF);
const EINVAL = new SysError(Errno.INVAL);
const READ = { interest: Ready.IN };
const WRITE = { interest: Ready.OUT };

/** The rights wasmtime reports for a description: everything, minus reading/writing it was not opened for. */
export function rightsFor(file: OpenFile): number {
  let r = RIGHTS_ALL;
  if (!file.readable) r &= ~(Rights.FD_READ | Rights.FD_READDIR);
  if (!file.writable) r &= ~Rights.FD_WRITE;
  return r;
}

export function fd_read(t: Thread, fd: number, iovs: Uint8Array[]): Maybe<number> {
  const f = t.process.fds.get(fd, Rights.FD_READ).file;
  return blockingIo(t, f, READ, f.readAs ? () => f.readAs!(t, iovs) : () => f.read(iovs));
}

export function fd_write(t: Thread, fd: number, iovs: Uint8Array[]): Maybe<number> {
  const f = t.process.fds.get(fd, Rights.FD_WRITE).file;
  return blockingIo(t, f, WRITE, () => f.write(iovs));
}

/**
 * Resolve an fd for a positioned operation. A stream (stdio, pipe, socket) never has the seek
 * rights (wasmtime reports stdio without them so wasi-libc's isatty works); using them there is
 * ESPIPE as in wasmtime and Linux, not ENOTCAPABLE.
 */
function seekable(t: Thread, fd: number, need: number): OpenFile {
  const e = t.process.fds.get(fd);
  if ((e.base & need) !== need) {
    const ft = e.file.filetype;
    const stream = ft !== FileType.REGULAR_FILE && ft !== FileType.DIRECTORY && ft !== FileType.BLOCK_DEVICE;
    if (stream && (e.base & (Rights.FD_SEEK | Rights.FD_TELL)) === 0) throw sysErr(Errno.SPIPE);
    t.process.fds.get(fd, need); // ENOTCAPABLE
  }
  return e.file;
}

export function fd_pread(t: Thread, fd: number, iovs: Uint8Array[], offset: bigint): Maybe<number> {
  const f = seekable(t, fd, Rights.FD_READ | Rights.FD_SEEK);
  return blockingIo(t, f, READ, () => f.pread(iovs, offset));
}

export function fd_pwrite(t: Thread, fd: number, iovs: Uint8Array[], offset: bigint): Maybe<number> {
  const f = seekable(t, fd, Rights.FD_WRITE | Rights.FD_SEEK);
  return blockingIo(t, f, WRITE, () => f.pwrite(iovs, offset));
}

export function fd_seek(t: Thread, fd: number, offset: bigint, whence: number): Maybe<bigint> {
  const need = offset === 0n && whence === Whence.CUR ? Rights.FD_TELL : Rights.FD_SEEK | Rights.FD_TELL;
  return seekable(t, fd, need).seek(offset, whence);
}

export function fd_tell(t: Thread, fd: number): Maybe<bigint> {
  return seekable(t, fd, Rights.FD_TELL).tell();
}

export function fd_close(t: Thread, fd: number): Maybe<void> {
  return t.process.fds.close(fd);
}

export function fd_renumber(t: Thread, from: number, to: number): Maybe<void> {
  // WASIX: dup2 semantics (the source stays open, the target need not exist; see Process.wasix).
  if (t.process.wasix) return t.process.fds.duplicateTo(from, to);
  return t.process.fds.renumber(from, to);
}

export function fd_sync(t: Thread, fd: number): Maybe<void> {
  return t.process.fds.get(fd, Rights.FD_SYNC).file.sync();
}

export function fd_datasync(t: Thread, fd: number): Maybe<void> {
  return t.process.fds.get(fd, Rights.FD_DATASYNC).file.datasync();
}

export function fd_advise(t: Thread, fd: number, offset: bigint, len: bigint, advice: number): Maybe<void> {
  const f = t.process.fds.get(fd, Rights.FD_ADVISE).file;
  if (offset + len > 0xffff_ffff_ffff_ffffn) throw EINVAL;
  return f.advise(offset, len, advice);
}

export function fd_allocate(t: Thread, fd: number, offset: bigint, len: bigint): Maybe<void> {
  const f = t.process.fds.get(fd, Rights.FD_ALLOCATE).file;
  if (len === 0n) throw EINVAL; // posix_fallocate: len 0 is EINVAL
  if (offset + len > 0x7fff_ffff_ffff_ffffn) throw sysErr(Errno.FBIG);
  return f.allocate(offset, len);
}

export function fd_fdstat_get(t: Thread, fd: number): FdStat {
  const e = t.process.fds.get(fd);
  return { filetype: e.file.filetype, flags: e.file.flags & 0x1f, rightsBase: e.base, rightsInheriting: e.inheriting };
}

/** Only APPEND and NONBLOCK can change after open; the sync flags are EINVAL (wasmtime). */
export function fd_fdstat_set_flags(t: Thread, fd: number, flags: number): void {
  const f = t.process.fds.get(fd, Rights.FD_FDSTAT_SET_FLAGS).file;
  if ((flags & (FdFlags.DSYNC | FdFlags.RSYNC | FdFlags.SYNC)) !== 0) throw EINVAL;
  const settable = FdFlags.APPEND | FdFlags.NONBLOCK;
  f.flags = (f.flags & ~settable) | (flags & settable);
}

/** Rights may only shrink: asking for one the fd lacks is ENOTCAPABLE. */
export function fd_fdstat_set_rights(t: Thread, fd: number, base: number, inheriting: number): void {
  const e = t.process.fds.get(fd);
  if ((base & ~e.base) !== 0 || (inheriting & ~e.inheriting) !== 0) throw sysErr(Errno.NOTCAPABLE);
  e.base = base;
  e.inheriting = inheriting;
}

export function fd_filestat_get(t: Thread, fd: number): Maybe<Stat> {
  return t.process.fds.get(fd, Rights.FD_FILESTAT_GET).file.stat();
}

export function fd_filestat_set_size(t: Thread, fd: number, size: bigint): Maybe<void> {
  const f = t.process.fds.get(fd, Rights.FD_FILESTAT_SET_SIZE).file;
  if (size > 0x7fff_ffff_ffff_ffffn) throw sysErr(Errno.FBIG);
  return f.setSize(size);
}

export function checkFstFlags(fst: number): void {
  if ((fst & FstFlags.ATIM) !== 0 && (fst & FstFlags.ATIM_NOW) !== 0) throw EINVAL;
  if ((fst & FstFlags.MTIM) !== 0 && (fst & FstFlags.MTIM_NOW) !== 0) throw EINVAL;
}

export function fd_filestat_set_times(t: Thread, fd: number, atim: bigint, mtim: bigint, fst: number): Maybe<void> {
  const f = t.process.fds.get(fd, Rights.FD_FILESTAT_SET_TIMES).file;
  checkFstFlags(fst);
  return f.setTimes(atim, mtim, fst);
}

export function fd_prestat_get(t: Thread, fd: number): Prestat {
  const e = t.process.fds.get(fd);
  if (e.preopen === undefined) throw EBADF;
  return { nameLen: encodeUtf8(e.preopen).byteLength };
}

export function fd_prestat_dir_name(t: Thread, fd: number, _buf: Uint8Array): string {
  const e = t.process.fds.get(fd);
  if (e.preopen === undefined) throw EBADF;
  return e.preopen;
}

const DIRENT_HEADER = 24;

/**
 * fd_readdir: entries from `cookie`, enough to fill the buffer (the codec truncates the last).
 * "." and ".." come first (cookies 0 and 1), as wasmtime lists them; the file system's own
 * cookies follow, shifted by 2, so every cookie stays stable across calls.
 */
export function fd_readdir(t: Thread, fd: number, buf: Uint8Array, cookie: bigint): Maybe<DirEntry[]> {
  const f = t.process.fds.get(fd, Rights.FD_READDIR).file;
  if (f.filetype !== FileType.DIRECTORY) throw sysErr(Errno.NOTDIR);
  return collect(f, buf.byteLength, cookie);
}

async function collect(f: OpenFile, cap: number, cookie: bigint): Promise<DirEntry[]> {
  const out: DirEntry[] = [];
  let used = 0;
  const push = (e: DirEntry): void => {
    out.push(e);
    used += DIRENT_HEADER + encodeUtf8(e.name).byteLength;
  };
  if (cookie < 2n) {
    const st = await f.stat();
    if (cookie === 0n) push({ name: ".", ino: st.ino, filetype: FileType.DIRECTORY, next: 1n });
    push({ name: "..", ino: 0n, filetype: FileType.DIRECTORY, next: 2n });
    cookie = 2n;
  }
  let fsCookie = cookie - 2n;
  while (used < cap) {
    const batch = await f.readdir(fsCookie);
    if (batch.length === 0) break;
    for (const e of batch) {
      if (e.name === "." || e.name === "..") continue;
      push({ ...e, next: e.next + 2n });
      if (used >= cap) break;
    }
    fsCookie = batch[batch.length - 1]!.next;
  }
  return out;
}
