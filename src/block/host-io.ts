/**
 * The host I/O queue: every byte src/block/ moves to or from a real host file goes through here.
 *
 * API summary:
 *
 *   const q = new HostIoQueue({ queueDepth: 32 });      // or defaultHostIoQueue()
 *   const f = await openHostFile(path, { create: true, queue: q });   // a HostFile (host-file.ts)
 *   await Promise.all([f.write(0, a), f.write(4096, b)]);  // many ops in flight; a and b coalesce
 *   await f.sync();                                         // barrier + fdatasync
 *
 * Semantics (io_uring-like, over libuv's thread pool via node:fs/promises FileHandle):
 *   - Submissions go to a per-file submission queue and are dispatched in batches: everything
 *     submitted in one synchronous run of JS is seen together (a microtask later), like one
 *     io_uring_enter. At most `queueDepth` operations (over all files of one queue) are in
 *     flight at once; completions refill the queue.
 *   - Adjacent writes waiting in a file's queue (each starts where the previous ends) are merged
 *     into one `writev` (up to `maxCoalesceBytes` and 1024 buffers).
 *   - Order: operations on overlapping byte ranges where one is a write run in submission order
 *     (a read after a write sees it). Non-conflicting operations may complete in any order.
 *   - `sync()` is a drain barrier (IOSQE_IO_DRAIN): it starts after every earlier operation on the
 *     file completed, runs fdatasync, and later operations on that file start only after it.
 *     `truncate()` and `size()` are ordered the same way.
 *   - Reads past the end of file return zeros. Short reads/writes are retried.
 *   - Errors are reported as BlockError("IoError").
 *
 * Never a synchronous fs call on the data path.
 */

import { open, type FileHandle } from "node:fs/promises";
import { BlockError } from "./block-device.ts";
import { newHostIoStats, type HostFile, type HostIoStats } from "./host-file.ts";

export interface HostIoQueueOptions {
  /** Maximum operations in flight (default 32; libuv's pool has UV_THREADPOOL_SIZE threads). */
  queueDepth?: number;
  /** Largest coalesced writev in bytes (default 4 MiB). */
  maxCoalesceBytes?: number;
}

/** Counters of what actually reached the kernel (after coalescing). */
export interface HostIoQueueStats {
  submitted: number;
  /** pwrite/pwritev/pread/fdatasync calls issued. */
  syscalls: number;
  /** Writes that were merged into a previous one (saved syscalls). */
  coalesced: number;
  maxInFlight: number;
}

/** "barrier": drains the file's queue, runs `barrier` alone, then lets later ops go (sync,
 * truncate, stat). */
type OpKind = "read" | "write" | "barrier";

interface Op {
  kind: OpKind;
  offset: number;
  /** read: one buffer; write: one or more buffers back to back. */
  bufs: Uint8Array[];
  length: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  barrier?: (fh: FileHandle) => Promise<void>;
}

const IOV_MAX = 1024;

function ioError(what: string, e: unknown): BlockError {
  const msg = e instanceof Error ? e.message : String(e);
  return new BlockError("IoError", `${what}: ${msg}`);
}

/** One file's submission queue and in-flight set. */
class FileQueue {
  readonly fh: FileHandle;
  readonly sq: Op[] = [];
  readonly inflight = new Set<Op>();
  inBarrier = false;
  constructor(fh: FileHandle) {
    this.fh = fh;
  }
}

export class HostIoQueue {
  readonly depth: number;
  readonly maxCoalesceBytes: number;
  readonly stats: HostIoQueueStats = { submitted: 0, syscalls: 0, coalesced: 0, maxInFlight: 0 };
  private inflight = 0;
  private readonly files: FileQueue[] = [];
  private rr = 0;
  private pumpScheduled = false;

  constructor(opts: HostIoQueueOptions = {}) {
    this.depth = Math.max(1, opts.queueDepth ?? 32);
    this.maxCoalesceBytes = Math.max(4096, opts.maxCoalesceBytes ?? 4 << 20);
  }

  /** @internal used by NodeHostFile */
  attach(fh: FileHandle): FileQueue {
    const fq = new FileQueue(fh);
    this.files.push(fq);
    return fq;
  }

  /** @internal */
  detach(fq: FileQueue): void {
    const i = this.files.indexOf(fq);
    if (i >= 0) this.files.splice(i, 1);
  }

  /** @internal */
  submit(fq: FileQueue, kind: OpKind, offset: number, bufs: Uint8Array[], barrier?: (fh: FileHandle) => Promise<void>): Promise<void> {
    let length = 0;
    for (const b of bufs) length += b.length;
    this.stats.submitted++;
    return new Promise<void>((resolve, reject) => {
      fq.sq.push({ kind, offset, bufs, length, resolve, reject, barrier });
      // Submissions made in the same synchronous run form one batch (like one io_uring_enter):
      // dispatch after the current job, so adjacent writes of the batch can merge.
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        queueMicrotask(() => {
          this.pumpScheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Dispatch as many queued ops as the depth and the ordering rules allow, round robin. */
  private pump(): void {
    let idle = 0;
    while (this.inflight < this.depth && this.files.length > 0 && idle < this.files.length) {
      const fq = this.files[this.rr++ % this.files.length]!;
      if (this.dispatchOne(fq)) idle = 0;
      else idle++;
    }
  }

  private dispatchOne(fq: FileQueue): boolean {
    if (fq.inBarrier || fq.sq.length === 0) return false;
    const head = fq.sq[0]!;
    if (head.kind === "barrier") {
      if (fq.inflight.size > 0) return false; // drain first
      fq.sq.shift();
      fq.inBarrier = true;
      this.run(fq, [head], () => head.barrier!(fq.fh));
      return true;
    }
    if (conflicts(head, fq.inflight)) return false; // keep submission order on overlaps
    fq.sq.shift();
    if (head.kind === "read") {
      this.run(fq, [head], () => readFully(fq.fh, head.offset, head.bufs[0]!));
      return true;
    }
    // Coalesce the run of adjacent writes queued right behind the head.
    const batch = [head];
    const bufs = [...head.bufs];
    let end = head.offset + head.length;
    let bytes = head.length;
    while (fq.sq.length > 0) {
      const next = fq.sq[0]!;
      if (next.kind !== "write" || next.offset !== end) break;
      if (bytes + next.length > this.maxCoalesceBytes || bufs.length + next.bufs.length > IOV_MAX) break;
      if (conflicts(next, fq.inflight)) break;
      fq.sq.shift();
      batch.push(next);
      bufs.push(...next.bufs);
      end += next.length;
      bytes += next.length;
      this.stats.coalesced++;
    }
    const merged: Op = { kind: "write", offset: head.offset, bufs, length: bytes, resolve: () => {}, reject: () => {} };
    this.run(fq, batch, () => writeFully(fq.fh, head.offset, bufs), merged);
    return true;
  }

  private run(fq: FileQueue, ops: Op[], io: () => Promise<void>, tracked: Op = ops[0]!): void {
    this.inflight++;
    this.stats.syscalls++;
    if (this.inflight > this.stats.maxInFlight) this.stats.maxInFlight = this.inflight;
    fq.inflight.add(tracked);
    io().then(
      () => {
        for (const op of ops) op.resolve();
      },
      (e) => {
        const err = ioError(`host ${tracked.kind} at ${tracked.offset}`, e);
        for (const op of ops) op.reject(err);
      },
    ).finally(() => {
      this.inflight--;
      fq.inflight.delete(tracked);
      if (tracked.kind === "barrier") fq.inBarrier = false;
      this.pump();
    });
  }
}

function overlaps(a: Op, b: Op): boolean {
  return a.offset < b.offset + b.length && b.offset < a.offset + a.length;
}

function conflicts(op: Op, inflight: Set<Op>): boolean {
  for (const f of inflight) {
    if (f.kind === "barrier") return true;
    if ((op.kind === "write" || f.kind === "write") && overlaps(op, f)) return true;
  }
  return false;
}

async function readFully(fh: FileHandle, offset: number, buf: Uint8Array): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, offset + done);
    if (bytesRead === 0) {
      buf.fill(0, done); // past EOF: zeros
      return;
    }
    done += bytesRead;
  }
}

async function writeFully(fh: FileHandle, offset: number, bufs: Uint8Array[]): Promise<void> {
  let pending = bufs;
  let pos = offset;
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending, pos);
    pos += bytesWritten;
    let n = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const b of pending) {
      if (n >= b.length) n -= b.length;
      else {
        rest.push(n > 0 ? b.subarray(n) : b);
        n = 0;
      }
    }
    if (bytesWritten === 0 && rest.length > 0) throw new Error("writev made no progress");
    pending = rest;
  }
}

let defaultQueue: HostIoQueue | undefined;

/** The process-wide queue used when a file is opened without one. */
export function defaultHostIoQueue(): HostIoQueue {
  defaultQueue ??= new HostIoQueue();
  return defaultQueue;
}

export interface OpenHostFileOptions {
  /** Create the file if missing (default false). */
  create?: boolean;
  /** Truncate to zero length on open (default false). */
  truncate?: boolean;
  queue?: HostIoQueue;
}

/** A real host file whose I/O goes through a HostIoQueue. */
export class NodeHostFile implements HostFile {
  readonly path: string;
  readonly stats: HostIoStats = newHostIoStats();
  private readonly queue: HostIoQueue;
  private readonly fq: FileQueue;
  private closed = false;
  private readonly outstanding = new Set<Promise<void>>();

  /** Use openHostFile(). */
  constructor(path: string, fh: FileHandle, queue: HostIoQueue) {
    this.path = path;
    this.queue = queue;
    this.fq = queue.attach(fh);
  }

  private check(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): BlockError {
    return new BlockError("Closed", `host file ${this.path} closed`);
  }

  read(offset: number, buf: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    this.stats.readOps++;
    this.stats.bytesRead += buf.length;
    if (buf.length === 0) return Promise.resolve();
    return this.track(this.queue.submit(this.fq, "read", offset, [buf]));
  }

  write(offset: number, buf: Uint8Array): Promise<void> {
    return this.writev(offset, [buf]);
  }

  writev(offset: number, bufs: ReadonlyArray<Uint8Array>): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    const list = bufs.filter((b) => b.length > 0);
    this.stats.writeOps++;
    for (const b of list) this.stats.bytesWritten += b.length;
    if (list.length === 0) return Promise.resolve();
    return this.track(this.queue.submit(this.fq, "write", offset, list));
  }

  sync(): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    this.stats.syncs++;
    return this.track(this.queue.submit(this.fq, "barrier", 0, [], (fh) => fh.datasync()));
  }

  /**
   * Start writing back what was written so far (fdatasync outside the queue order: no barrier,
   * later operations do not wait for it, and the caller may not rely on any durability).
   */
  writeback(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.track(this.fq.fh.datasync().catch(() => undefined));
  }

  /** Ordered like a barrier: sees every earlier write, and later ops wait for it. */
  async size(): Promise<number> {
    this.check();
    let size = 0;
    await this.track(
      this.queue.submit(this.fq, "barrier", 0, [], async (fh) => {
        size = (await fh.stat()).size;
      }),
    );
    return size;
  }

  /** Ordered like a barrier (a later write never lands before the truncation). */
  truncate(size: number): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    return this.track(this.queue.submit(this.fq, "barrier", 0, [], (fh) => fh.truncate(size)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    this.queue.detach(this.fq);
    await this.fq.fh.close();
  }

  private track(p: Promise<void>): Promise<void> {
    this.outstanding.add(p);
    const done = (): void => {
      this.outstanding.delete(p);
    };
    p.then(done, done);
    return p;
  }

  /** Wait until everything submitted so far completed (no fdatasync). */
  private async drain(): Promise<void> {
    await Promise.allSettled([...this.outstanding]);
  }
}

/** Open (or create) a host file for block I/O. */
export async function openHostFile(path: string, opts: OpenHostFileOptions = {}): Promise<NodeHostFile> {
  let fh: FileHandle;
  try {
    if (opts.create) {
      fh = await open(path, opts.truncate ? "w+" : "a+").then(async (h) => {
        // "a+" would force appends; reopen r+ now that the file exists.
        if (opts.truncate) return h;
        await h.close();
        return open(path, "r+");
      });
    } else {
      fh = await open(path, "r+");
      if (opts.truncate) await fh.truncate(0);
    }
  } catch (e) {
    throw ioError(`open ${path}`, e);
  }
  return new NodeHostFile(path, fh, opts.queue ?? defaultHostIoQueue());
}
