/**
 * An open description of a hostfs file: the host handle behind it, opened lazily on first data
 * access in exclusive stores or shared among the descriptions of a read-only store (hostfs.ts
 * says why); positional reads and writes, stat, truncate, times and sync through that handle.
 */
import type { BigIntStats } from "node:fs";
import type { HostHandle as FileHandle } from "../../async-fs.ts";
import { Errno, sysErr } from "../../syscall/errno.ts";
import { nowNs } from "../file-base.ts";
import type { Stat } from "../types.ts";
import { resolveTimes, type InodeOpenOptions } from "../vfs/inode.ts";
import { SeekableFile } from "../vfs/seekable.ts";
import { host, toSysError } from "./host-errors.ts";
import type { HostFs } from "./hostfs.ts";

/** Nanoseconds since the epoch as the seconds node:fs's utimes takes (a number: microsecond precision kept). */
export function nsToDate(ns: bigint): number {
  return Number(ns / 1000n) / 1e6;
}

/** A host handle and how to give it back (null: close it). */
export interface Opened {
  fh: FileHandle;
  close: (() => void) | null;
}

export class HostFile extends SeekableFile {
  private readonly fs: HostFs;
  private readonly opener: (() => Promise<Opened>) | null;
  private opening: Promise<Opened> | null = null;
  private opened: Opened | null = null;
  /** Read-only stores: the stat seen at lookup (the file never changes). */
  private readonly frozen: BigIntStats | undefined;
  private closed = false;

  constructor(fs: HostFs, opts: InodeOpenOptions, opener: (() => Promise<Opened>) | null, frozen?: BigIntStats) {
    super({ readable: opts.read, writable: opts.write, flags: opts.fdflags, path: opts.path });
    this.fs = fs;
    this.opener = opener;
    this.frozen = frozen;
  }

  /** A description over a handle opened already. */
  static opened(fs: HostFs, opts: InodeOpenOptions, fh: FileHandle): HostFile {
    const f = new HostFile(fs, opts, null);
    f.opened = { fh, close: null };
    return f;
  }

  /** The host handle, opened on first use. */
  async handle(): Promise<FileHandle> {
    if (this.opened) return this.opened.fh;
    if (this.closed) throw sysErr(Errno.BADF, "hostfs: file closed");
    this.opening ??= this.opener!().then((o) => {
      this.fs.pending.delete(this);
      if (this.closed) {
        giveBack(o);
        throw sysErr(Errno.BADF, "hostfs: file closed");
      }
      this.opened = o;
      return o;
    }, (e: unknown) => {
      this.fs.pending.delete(this);
      throw toSysError(e);
    });
    return (await this.opening).fh;
  }

  protected readAt(iovs: Uint8Array[], offset: bigint): Promise<number> {
    return host(async () => (await (await this.handle()).readv(iovs, Number(offset))).bytesRead);
  }
  protected writeAt(iovs: Uint8Array[], offset: bigint): Promise<number> {
    return host(async () => (await (await this.handle()).writev(iovs, Number(offset))).bytesWritten);
  }
  protected async getSize(): Promise<bigint> {
    if (this.frozen) return this.frozen.size;
    return (await host(async () => (await this.handle()).stat({ bigint: true }))).size;
  }
  override async stat(): Promise<Stat> {
    if (this.frozen) return this.fs.toStat(this.frozen);
    return this.fs.toStat(await host(async () => (await this.handle()).stat({ bigint: true })));
  }
  override async setSize(size: bigint): Promise<void> {
    if (size < 0n) throw sysErr(Errno.INVAL);
    await host(async () => (await this.handle()).truncate(Number(size)));
  }
  override async setTimes(atim: bigint, mtim: bigint, fstflags: number): Promise<void> {
    const fh = await this.handle();
    const st = await host(() => fh.stat({ bigint: true }));
    const t = resolveTimes({ atim: st.atimeNs, mtim: st.mtimeNs }, atim, mtim, fstflags, nowNs());
    await host(() => fh.utimes(nsToDate(t.atim), nsToDate(t.mtim)));
  }
  /** fchmod through the open handle (never a path: nothing to race). */
  setMode(mode: number): Promise<void> {
    return host(async () => (await this.handle()).chmod(mode & 0o7777));
  }
  override async sync(): Promise<void> {
    // Nothing written through a never-opened description: nothing to flush.
    if (!this.opened && !this.opening) return;
    await host(async () => (await this.handle()).sync());
  }
  override async datasync(): Promise<void> {
    if (!this.opened && !this.opening) return;
    await host(async () => (await this.handle()).datasync());
  }
  override release(): void {
    if (this.closed) return;
    this.closed = true;
    this.fs.pending.delete(this);
    // Nothing waits on a close (its errors are not reportable on a regular file anyway); a
    // handle still being opened is given back by handle() when it arrives.
    if (this.opened) giveBack(this.opened);
  }
}

function giveBack(o: Opened): void {
  if (o.close) o.close();
  else void o.fh.close().catch(() => {});
}
