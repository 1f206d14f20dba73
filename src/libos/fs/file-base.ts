/**
 * FileBase: the default open file description. Every operation fails with the errno Linux gives
 * for a file that does not support it (gVisor's FileDescriptionDefaultImpl), so a file system
 * overrides only what it supports:
 *   read/write/pread/pwrite  EISDIR on a directory, EINVAL otherwise
 *   seek/tell                ESPIPE (pipes, sockets, character devices without a position)
 *   stat                     a synthetic stat of the filetype (no size, now as timestamps)
 *   setSize                  EISDIR on a directory, EINVAL otherwise
 *   setTimes                 EINVAL
 *   allocate                 ENOTSUP (as wasmtime, for every file: it implements no fd_allocate)
 *   sync/datasync/advise     succeed (nothing to flush; advice is a hint)
 *   readdir                  ENOTDIR
 *   poll                     always ready for what the description was opened for
 *   release                  no-op
 */
import { Errno, sysErr } from "../syscall/errno.ts";
import { FileType, Ready, type DirEntry, type OpenFile, type Stat } from "./types.ts";

type Maybe<T> = T | Promise<T>;

let nextAnonIno = 1n << 40n;
/** Inode numbers for files that live on no file system (pipes, sockets, anonymous files). */
export function anonIno(): bigint {
  return nextAnonIno++;
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

export interface FileBaseInit {
  readable?: boolean;
  writable?: boolean;
  flags?: number;
  path?: string;
}

export class FileBase implements OpenFile {
  readonly filetype: FileType;
  flags: number;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly path?: string;
  // Identity and birth time for stat() of files that have no inode. Kept cheap: every open
  // builds one or two of these, most are never stat'ed through FileBase.stat.
  private ownIno: bigint | undefined;
  private createdNs: bigint | undefined;

  /** Stable identity for stat() of files that have no inode (allocated on first use). */
  protected get anonIno(): bigint {
    return (this.ownIno ??= anonIno());
  }
  /** Birth time as stat shows it: fixed at the first stat (no clock read per open). */
  protected get createdAt(): bigint {
    return (this.createdNs ??= nowNs());
  }

  constructor(filetype: FileType, init: FileBaseInit = {}) {
    this.filetype = filetype;
    this.readable = init.readable ?? false;
    this.writable = init.writable ?? false;
    this.flags = init.flags ?? 0;
    if (init.path !== undefined) this.path = init.path;
  }

  protected get isDir(): boolean {
    return this.filetype === FileType.DIRECTORY;
  }

  read(_iovs: Uint8Array[]): Maybe<number> {
    throw sysErr(this.isDir ? Errno.ISDIR : Errno.INVAL, "read not supported");
  }
  write(_iovs: Uint8Array[]): Maybe<number> {
    throw sysErr(this.isDir ? Errno.ISDIR : Errno.INVAL, "write not supported");
  }
  pread(_iovs: Uint8Array[], _offset: bigint): Maybe<number> {
    throw sysErr(this.isDir ? Errno.ISDIR : Errno.SPIPE, "pread not supported");
  }
  pwrite(_iovs: Uint8Array[], _offset: bigint): Maybe<number> {
    throw sysErr(this.isDir ? Errno.ISDIR : Errno.SPIPE, "pwrite not supported");
  }
  seek(_offset: bigint, _whence: number): Maybe<bigint> {
    throw sysErr(Errno.SPIPE);
  }
  tell(): Maybe<bigint> {
    throw sysErr(Errno.SPIPE);
  }
  stat(): Maybe<Stat> {
    const createdAt = this.createdAt;
    return {
      dev: 0n, ino: this.anonIno, filetype: this.filetype, nlink: 1n, size: 0n,
      atim: createdAt, mtim: createdAt, ctim: createdAt,
      mode: this.isDir ? 0o755 : 0o600,
    };
  }
  setSize(_size: bigint): Maybe<void> {
    throw sysErr(this.isDir ? Errno.ISDIR : Errno.INVAL, "cannot truncate");
  }
  setTimes(_atim: bigint, _mtim: bigint, _fstflags: number): Maybe<void> {
    throw sysErr(Errno.INVAL, "cannot set times");
  }
  sync(): Maybe<void> {}
  datasync(): Maybe<void> {}
  allocate(_offset: bigint, _len: bigint): Maybe<void> {
    throw sysErr(Errno.NOTSUP, "fd_allocate");
  }
  advise(_offset: bigint, _len: bigint, _advice: number): Maybe<void> {}
  readdir(_cookie: bigint): Maybe<DirEntry[]> {
    throw sysErr(Errno.NOTDIR);
  }
  poll(): number {
    return (this.readable ? Ready.IN : 0) | (this.writable ? Ready.OUT : 0);
  }
  release(): Maybe<void> {}
}

/** Total byte length of a list of buffers. */
export function iovLength(iovs: Uint8Array[]): number {
  let n = 0;
  for (const v of iovs) n += v.byteLength;
  return n;
}
