/**
 * Socket inodes: the files bind(2) makes for pathname AF_UNIX sockets. The file systems store them
 * as empty regular files (none of them has a socket inode type); this registry, keyed by the file
 * system and the inode number, is what makes the VFS show them as sockets, as Linux's S_IFSOCK
 * inodes: stat/lstat/fstatat report the socket filetype (wasix-libc maps both WASI socket types
 * to S_IFSOCK), open fails with ENXIO, readdir reports DT_UNKNOWN (the WASI dirent cannot say
 * DT_SOCK: wasix-libc's d_type is the WASI filetype, whose SOCKET_STREAM value it defines as
 * DT_FIFO), and the mark goes when the last link is unlinked or replaced by a rename.
 *
 * Deviation: marks live in memory, so after a restart of the LibOS a socket file kept by a
 * persistent file system (sefs, hostfs) reads as an empty regular file.
 */
import { FileType } from "../types.ts";
import type { FileSystemImpl } from "./inode.ts";

type SocketType = typeof FileType.SOCKET_STREAM | typeof FileType.SOCKET_DGRAM;

const marks = new WeakMap<FileSystemImpl, Map<bigint, SocketType>>();

/** Record inode `ino` of `fs` as a socket of `type`. */
export function markSocketNode(fs: FileSystemImpl, ino: bigint, type: SocketType): void {
  let m = marks.get(fs);
  if (!m) marks.set(fs, (m = new Map()));
  m.set(ino, type);
}

/** The socket type of an inode, undefined for every other file. */
export function socketNodeType(fs: FileSystemImpl, ino: bigint): SocketType | undefined {
  return marks.get(fs)?.get(ino);
}

/** The inode is no longer a socket file (its last name is gone). */
export function forgetSocketNode(fs: FileSystemImpl, ino: bigint): void {
  marks.get(fs)?.delete(ino);
}
