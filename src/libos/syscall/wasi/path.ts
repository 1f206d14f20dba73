/**
 * path_* handlers: resolve the directory fd (it must be a directory: ENOTDIR; it must carry the
 * operation's right: ENOTCAPABLE), then call the VFS path service. Paths resolve inside the
 * process root: `..` at the root stays there and absolute symlinks start from it (the VFS's rule).
 * Unlike wasmtime, an absolute path or a `..` above the directory fd is allowed, as with Linux's
 * *at() calls: Occlum shows the guest the whole file system, the root is the sandbox.
 */
import { Rights } from "../abi.ts";
import { Errno, sysErr } from "../errno.ts";
import { OFlags, FileType, type OpenFile, type Stat } from "../../fs/types.ts";
import type { Thread } from "../../process/thread.ts";
import type { FdEntry } from "../../process/fd-table.ts";
import { checkFstFlags, rightsFor } from "./fd.ts";

function dirEntry(t: Thread, fd: number, need: number): FdEntry {
  const e = t.process.fds.get(fd, need);
  if (e.file.filetype !== FileType.DIRECTORY) throw sysErr(Errno.NOTDIR);
  return e;
}

function dir(t: Thread, fd: number, need: number): OpenFile {
  return dirEntry(t, fd, need).file;
}

export async function path_open(
  t: Thread, fd: number, dirflags: number, path: string, oflags: number,
  base: number, inheriting: number, fdflags: number,
): Promise<number> {
  let need = Rights.PATH_OPEN;
  if ((oflags & OFlags.CREAT) !== 0) need |= Rights.PATH_CREATE_FILE;
  if ((oflags & OFlags.TRUNC) !== 0) need |= Rights.PATH_FILESTAT_SET_SIZE;
  const d = dirEntry(t, fd, need);
  // A new fd can hold only rights its directory may hand down.
  if ((base & ~d.inheriting) !== 0 || (inheriting & ~d.inheriting) !== 0) throw sysErr(Errno.NOTCAPABLE);
  const read = (base & (Rights.FD_READ | Rights.FD_READDIR)) !== 0;
  // O_DIRECTORY opens for listing: a write right asked along with it is not a request to write
  // (wasi-libc and test suites pass every right); without O_DIRECTORY, writing a directory is EISDIR.
  const write = (base & Rights.FD_WRITE) !== 0 && (oflags & OFlags.DIRECTORY) === 0;
  if ((oflags & OFlags.DIRECTORY) !== 0 && (oflags & (OFlags.CREAT | OFlags.TRUNC)) !== 0) throw sysErr(Errno.INVAL);
  const file = await t.vfs.open(d.file, path, {
    oflags, fdflags, read, write, followSymlinks: (dirflags & 1) !== 0,
  });
  try {
    return t.process.fds.insert(file, base & rightsFor(file), inheriting);
  } catch (e) {
    await file.release();
    throw e;
  }
}

export function path_filestat_get(t: Thread, fd: number, flags: number, path: string): Promise<Stat> {
  return t.vfs.stat(dir(t, fd, Rights.PATH_FILESTAT_GET), path, (flags & 1) !== 0);
}

export function path_filestat_set_times(
  t: Thread, fd: number, flags: number, path: string, atim: bigint, mtim: bigint, fst: number,
): Promise<void> {
  const d = dir(t, fd, Rights.PATH_FILESTAT_SET_TIMES);
  checkFstFlags(fst);
  return t.vfs.setTimes(d, path, (flags & 1) !== 0, atim, mtim, fst);
}

export function path_create_directory(t: Thread, fd: number, path: string): Promise<void> {
  return t.vfs.mkdir(dir(t, fd, Rights.PATH_CREATE_DIRECTORY), path);
}

export function path_remove_directory(t: Thread, fd: number, path: string): Promise<void> {
  return t.vfs.rmdir(dir(t, fd, Rights.PATH_REMOVE_DIRECTORY), path);
}

export function path_unlink_file(t: Thread, fd: number, path: string): Promise<void> {
  return t.vfs.unlink(dir(t, fd, Rights.PATH_UNLINK_FILE), path);
}

export function path_rename(t: Thread, fd: number, oldPath: string, newFd: number, newPath: string): Promise<void> {
  const from = dir(t, fd, Rights.PATH_RENAME_SOURCE);
  const to = dir(t, newFd, Rights.PATH_RENAME_TARGET);
  return t.vfs.rename(from, oldPath, to, newPath);
}

export function path_link(
  t: Thread, oldFd: number, oldFlags: number, oldPath: string, newFd: number, newPath: string,
): Promise<void> {
  const from = dir(t, oldFd, Rights.PATH_LINK_SOURCE);
  const to = dir(t, newFd, Rights.PATH_LINK_TARGET);
  return t.vfs.link(from, oldPath, to, newPath, (oldFlags & 1) !== 0);
}

export function path_symlink(t: Thread, target: string, fd: number, path: string): Promise<void> {
  return t.vfs.symlink(target, dir(t, fd, Rights.PATH_SYMLINK), path);
}

export function path_readlink(t: Thread, fd: number, path: string, _buf: Uint8Array): Promise<string> {
  return t.vfs.readlink(dir(t, fd, Rights.PATH_READLINK), path);
}
