/**
 * HostFile: the untrusted byte-addressed storage every disk in src/block/ sits on.
 *
 * API summary (for implementers of disks on top):
 *
 *   interface HostFile {
 *     read(offset, buf)    // fills buf; bytes past the end of file read as zeros
 *     write(offset, buf)   // extends the file as needed; NOT durable until sync()
 *     writev(offset, bufs) // one contiguous run made of several buffers
 *     sync()               // barrier: every write issued before it is durable when it resolves
 *     writeback?()         // optional hint: start flushing what was written (no ordering/guarantee)
 *     size()               // current length in bytes
 *     truncate(size)
 *     close()
 *     readonly stats       // HostIoStats: bytes/ops counters (write amplification)
 *   }
 *
 * Implementations:
 *   - NodeHostFile (host-io.ts, `openHostFile(path)`): a real file through the async HostIoQueue.
 *   - MemHostFile (here): in memory, and it models durability: it remembers which writes were not
 *     yet covered by a sync, so `durableImage()` is what survives a power cut and `crashImage()`
 *     can keep any subset of the unsynced writes (reordering) or tear one.
 *   - CrashableFile (here): wraps any HostFile, counts host writes and cuts the write stream at
 *     write number K (optionally tearing write K at a 512-byte sector boundary). Also the hook
 *     point for capturing transient snapshots (`onWrite`).
 *
 * Offsets are JS numbers (byte offsets < 2^53). Buffers are never retained after the promise
 * resolves, except by MemHostFile which copies.
 */

import { BlockError } from "./block-device.ts";

export interface HostIoStats {
  /** write()/writev() calls received (before any coalescing). */
  writeOps: number;
  bytesWritten: number;
  readOps: number;
  bytesRead: number;
  syncs: number;
}

export function newHostIoStats(): HostIoStats {
  return { writeOps: 0, bytesWritten: 0, readOps: 0, bytesRead: 0, syncs: 0 };
}

export interface HostFile {
  read(offset: number, buf: Uint8Array): Promise<void>;
  write(offset: number, buf: Uint8Array): Promise<void>;
  /** Write `bufs` back to back starting at `offset` (counts as ONE host write operation). */
  writev(offset: number, bufs: ReadonlyArray<Uint8Array>): Promise<void>;
  /** Barrier: resolves once every write issued before the call is durable. */
  sync(): Promise<void>;
  /** Optional hint: start writing back the data written so far (no ordering, no guarantee). */
  writeback?(): Promise<void>;
  size(): Promise<number>;
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
  readonly stats: HostIoStats;
}

function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new BlockError("InvalidArgument", `bad host offset ${offset}`);
}

/** One write not yet covered by a sync (MemHostFile keeps them to build crash images). */
export interface PendingWrite {
  offset: number;
  data: Uint8Array;
}

/** Choices for MemHostFile.crashImage. */
export interface CrashImageOptions {
  /** Which unsynced writes survive: all, none (default), or a predicate over their index. */
  keep?: "all" | "none" | ((index: number, w: PendingWrite) => boolean);
  /** Tear the unsynced write with this index: only its first `tearBytes` bytes survive (rounded
   * down to 512). Applied after `keep` (the torn write is kept partially even if `keep` drops it). */
  tear?: { index: number; tearBytes: number };
}

/**
 * In-memory host file that models a volatile write cache: `image()` is what a reader sees now,
 * `durableImage()` what survives a crash (only synced writes), `crashImage()` anything between.
 */
export class MemHostFile implements HostFile {
  readonly stats: HostIoStats = newHostIoStats();
  private data: Uint8Array;
  private len: number;
  private durable: Uint8Array;
  private durableLen: number;
  private pending: PendingWrite[] = [];
  private closed = false;
  /** Set false to skip durability tracking (faster, for benchmarks): durableImage() = image(). */
  private readonly track: boolean;

  constructor(initial?: Uint8Array, opts: { trackDurability?: boolean } = {}) {
    this.track = opts.trackDurability ?? true;
    this.len = initial?.length ?? 0;
    this.data = new Uint8Array(Math.max(4096, this.len));
    if (initial) this.data.set(initial);
    this.durable = this.track ? this.data.slice(0, this.len) : new Uint8Array(0);
    this.durableLen = this.len;
  }

  /** Copy of the current contents. */
  image(): Uint8Array {
    return this.data.slice(0, this.len);
  }

  /** Copy of the contents as of the last completed sync (what a power cut leaves). */
  durableImage(): Uint8Array {
    if (!this.track) return this.image();
    return this.durable.slice(0, this.durableLen);
  }

  /** Writes issued since the last sync, oldest first (copies). */
  pendingWrites(): PendingWrite[] {
    return this.pending.map((w) => ({ offset: w.offset, data: w.data.slice() }));
  }

  /** A crash image: the durable image plus a chosen subset of the unsynced writes, in order. */
  crashImage(opts: CrashImageOptions = {}): Uint8Array {
    const keep = opts.keep ?? "none";
    let img = this.durableImage();
    const apply = (off: number, d: Uint8Array): void => {
      if (off + d.length > img.length) {
        const n = new Uint8Array(off + d.length);
        n.set(img);
        img = n;
      }
      img.set(d, off);
    };
    this.pending.forEach((w, i) => {
      if (opts.tear && opts.tear.index === i) {
        const n = Math.min(w.data.length, Math.floor(opts.tear.tearBytes / 512) * 512);
        apply(w.offset, w.data.subarray(0, n));
        return;
      }
      if (keep === "all" || (typeof keep === "function" && keep(i, w))) apply(w.offset, w.data);
    });
    return img;
  }

  /** Overwrite the whole contents (attacks: restore an old image). Counts as durable. */
  setImage(img: Uint8Array): void {
    this.data = new Uint8Array(Math.max(4096, img.length));
    this.data.set(img);
    this.len = img.length;
    if (this.track) this.durable = img.slice();
    this.durableLen = img.length;
    this.pending = [];
  }

  /** Raw mutable view of the current contents (attacks poke bytes directly; not counted). */
  raw(): Uint8Array {
    return this.data.subarray(0, this.len);
  }

  private check(): void {
    if (this.closed) throw new BlockError("Closed", "host file closed");
  }

  private ensure(end: number): void {
    if (end > this.data.length) {
      const n = new Uint8Array(Math.max(end, this.data.length * 2));
      n.set(this.data.subarray(0, this.len));
      this.data = n;
    }
    if (end > this.len) this.len = end;
  }

  async read(offset: number, buf: Uint8Array): Promise<void> {
    this.check();
    checkOffset(offset);
    this.stats.readOps++;
    this.stats.bytesRead += buf.length;
    const avail = Math.max(0, Math.min(buf.length, this.len - offset));
    if (avail > 0) buf.set(this.data.subarray(offset, offset + avail));
    if (avail < buf.length) buf.fill(0, avail);
  }

  async write(offset: number, buf: Uint8Array): Promise<void> {
    this.writeSync(offset, buf);
  }

  async writev(offset: number, bufs: ReadonlyArray<Uint8Array>): Promise<void> {
    let total = 0;
    for (const b of bufs) total += b.length;
    const joined = new Uint8Array(total);
    let at = 0;
    for (const b of bufs) {
      joined.set(b, at);
      at += b.length;
    }
    this.writeSync(offset, joined);
  }

  private writeSync(offset: number, buf: Uint8Array): void {
    this.check();
    checkOffset(offset);
    this.stats.writeOps++;
    this.stats.bytesWritten += buf.length;
    this.ensure(offset + buf.length);
    this.data.set(buf, offset);
    if (this.track) this.pending.push({ offset, data: buf.slice() });
  }

  async sync(): Promise<void> {
    this.check();
    this.stats.syncs++;
    if (!this.track) return;
    if (this.durable.length < this.len) {
      const n = new Uint8Array(Math.max(this.len, this.durable.length * 2));
      n.set(this.durable.subarray(0, this.durableLen));
      this.durable = n;
    }
    for (const w of this.pending) this.durable.set(w.data, w.offset);
    this.durableLen = this.len;
    this.pending = [];
  }

  async size(): Promise<number> {
    this.check();
    return this.len;
  }

  async truncate(size: number): Promise<void> {
    this.check();
    checkOffset(size);
    if (size > this.len) this.ensure(size);
    else {
      this.data.fill(0, size, this.len);
      this.len = size;
    }
    // Truncation is metadata: treat it as immediately durable (simplification; disks only grow).
    if (this.track) {
      this.pending = this.pending
        .filter((w) => w.offset < size)
        .map((w) => (w.offset + w.data.length <= size ? w : { offset: w.offset, data: w.data.subarray(0, size - w.offset) }));
      const d = new Uint8Array(Math.max(size, this.durable.length));
      d.set(this.durable.subarray(0, Math.min(this.durableLen, size)));
      this.durable = d;
      this.durableLen = size;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export interface CrashableFileOptions {
  /** 1-based number of the host write to cut at: writes before it reach the inner file, write
   * number `crashAtWrite` is dropped (or torn) and every later write is dropped. Unset: never. */
  crashAtWrite?: number;
  /** Keep this many leading bytes of the cut write (rounded down to a 512-byte sector). */
  tearBytes?: number;
  /** After the cut, every operation throws BlockError("IoError") (default true), so the code
   * under test learns that no later sync completed. With false, later ops silently vanish. */
  throwAfterCrash?: boolean;
  /** Observer called after each write that reached the inner file (n is 1-based). Use it to
   * capture transient snapshots between syncs. */
  onWrite?: (n: number, offset: number, length: number) => void;
  /** Observer called after each completed sync (argument: writes so far). */
  onSync?: (writesSoFar: number) => void;
}

/**
 * The write counter and cut point, shareable by several CrashableFiles so that one crash cuts
 * the combined write stream of a multi-file disk (e.g. PFS data file + recovery file).
 */
export class CrashPlan {
  readonly opts: CrashableFileOptions;
  /** Host writes attempted so far over all files of the plan (including dropped ones). */
  writes = 0;
  crashed = false;
  constructor(opts: CrashableFileOptions = {}) {
    this.opts = opts;
  }
}

/**
 * Crash-injection wrapper: cuts the stream of host writes at write number K. The inner file then
 * holds exactly the writes 1..K-1 (plus a torn prefix of write K): reopen a disk on it to check
 * crash consistency. Run the workload once without a cut and read `writes` to learn how many
 * cut points there are.
 */
export class CrashableFile implements HostFile {
  readonly inner: HostFile;
  readonly plan: CrashPlan;

  constructor(inner: HostFile, opts: CrashableFileOptions | CrashPlan = {}) {
    this.inner = inner;
    this.plan = opts instanceof CrashPlan ? opts : new CrashPlan(opts);
  }

  get writes(): number {
    return this.plan.writes;
  }

  get crashed(): boolean {
    return this.plan.crashed;
  }

  get stats(): HostIoStats {
    return this.inner.stats;
  }

  private dead(): boolean {
    if (!this.plan.crashed) return false;
    if (this.plan.opts.throwAfterCrash ?? true) throw new BlockError("IoError", "simulated crash: host write stream cut");
    return true;
  }

  async read(offset: number, buf: Uint8Array): Promise<void> {
    if (this.dead()) return;
    await this.inner.read(offset, buf);
  }

  async write(offset: number, buf: Uint8Array): Promise<void> {
    await this.writev(offset, [buf]);
  }

  async writev(offset: number, bufs: ReadonlyArray<Uint8Array>): Promise<void> {
    if (this.dead()) return;
    const opts = this.plan.opts;
    const n = ++this.plan.writes;
    if (opts.crashAtWrite !== undefined && n >= opts.crashAtWrite) {
      this.plan.crashed = true;
      const tear = Math.floor((opts.tearBytes ?? 0) / 512) * 512;
      if (tear > 0) {
        const kept: Uint8Array[] = [];
        let left = tear;
        for (const b of bufs) {
          if (left <= 0) break;
          kept.push(b.subarray(0, Math.min(left, b.length)));
          left -= b.length;
        }
        await this.inner.writev(offset, kept);
      }
      this.dead();
      return;
    }
    await this.inner.writev(offset, bufs);
    let len = 0;
    for (const b of bufs) len += b.length;
    opts.onWrite?.(n, offset, len);
  }

  async sync(): Promise<void> {
    if (this.dead()) return;
    await this.inner.sync();
    this.plan.opts.onSync?.(this.plan.writes);
  }

  async size(): Promise<number> {
    if (this.dead()) return 0;
    return this.inner.size();
  }

  async truncate(size: number): Promise<void> {
    if (this.dead()) return;
    await this.inner.truncate(size);
  }

  async close(): Promise<void> {
    // Closing after a crash is allowed: the test harness cleans up.
    if (!this.plan.crashed) await this.inner.close();
  }
}
