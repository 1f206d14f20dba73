/**
 * DirFile: an open directory. Holds the dentry it was opened at (the start of relative path
 * walks) and serves readdir with "." and ".." first, as Linux and wasmtime do.
 *
 * Cookie stability: cookie 0 takes a snapshot of the listing; cookie N is "the N-th entry of the
 * snapshot", so entries removed or added mid-iteration never make the iteration skip or repeat
 * others (POSIX leaves whether added/removed ones show up unspecified). Rewinding (cookie 0)
 * takes a fresh snapshot.
 */
import { Errno, sysErr } from "../../syscall/errno.ts";
import { FileBase } from "../file-base.ts";
import { FileType, type DirEntry, type Stat } from "../types.ts";
import type { Dentry } from "./dentry.ts";
import type { FsCtx, ListEntry } from "./inode.ts";
import { socketNodeType } from "./socket-nodes.ts";

export class DirFile extends FileBase {
  readonly dentry: Dentry;
  private readonly ctx: FsCtx;
  private snapshot: ListEntry[] | null = null;

  constructor(dentry: Dentry, ctx: FsCtx, flags: number, readable: boolean) {
    super(FileType.DIRECTORY, { readable, writable: false, flags, path: dentry.path() });
    this.dentry = dentry;
    this.ctx = ctx;
  }

  override stat(): Stat | Promise<Stat> {
    return this.dentry.inode.stat();
  }

  override async setTimes(atim: bigint, mtim: bigint, fstflags: number): Promise<void> {
    if (this.dentry.mount.readOnly) throw sysErr(Errno.ROFS);
    await this.dentry.inode.setTimes(atim, mtim, fstflags);
  }

  override seek(_offset: bigint, _whence: number): bigint {
    // wasmtime refuses fd_seek on a directory descriptor with EBADF; cookies replace offsets.
    throw sysErr(Errno.BADF, "seek on a directory");
  }
  override tell(): bigint {
    throw sysErr(Errno.BADF, "tell on a directory");
  }

  override async readdir(cookie: bigint): Promise<DirEntry[]> {
    if (cookie === 0n || this.snapshot === null) {
      const d = this.dentry;
      const parent = d.parent ?? d;
      const list = await d.inode.list(this.ctx);
      this.snapshot = [
        { name: ".", ino: d.inode.ino, filetype: FileType.DIRECTORY },
        { name: "..", ino: parent.inode.ino, filetype: FileType.DIRECTORY },
        ...list,
      ];
    }
    const snap = this.snapshot;
    const out: DirEntry[] = [];
    for (let i = Number(cookie); i < snap.length; i++) {
      const e = snap[i]!;
      // A socket file: DT_UNKNOWN, the caller stats it (socket-nodes.ts: no DT_SOCK in WASI).
      const filetype = i >= 2 && socketNodeType(this.dentry.inode.fs, e.ino) !== undefined ? FileType.UNKNOWN : e.filetype;
      out.push({ name: e.name, ino: e.ino, filetype, next: BigInt(i + 1) });
    }
    return out;
  }
}
