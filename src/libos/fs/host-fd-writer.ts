/**
 * This process's stdout or stderr as a write target for the guest's consoles, written with
 * node:fs on the raw descriptor instead of through process.stdout/process.stderr.
 *
 * Why: those getters build a stream (for a pipe, a net.Socket), which loads Node's stream and
 * net modules: ~10 ms and ~180 page faults of every `occlum run` here, for a hello world that
 * writes one line. Semantics kept:
 * - Regular files and character devices (terminals, /dev/null) are written synchronously, as
 *   Node writes them.
 * - Pipes and sockets are written by the I/O thread pool, one write in flight, in order, so a
 *   slow reader blocks a pool thread, never the event loop. Past HIGH_WATER bytes queued,
 *   write() returns false and "drain" follows once the queue is empty: ConsoleOutput turns that
 *   into EAGAIN for the guest, which then waits while everything else runs.
 * - An error (EPIPE when the reader is gone) is reported once to the "error" listeners; later
 *   writes are dropped. A descriptor someone made non-blocking (EAGAIN) is retried after 1 ms.
 * flush() resolves when everything queued is written: the CLI exits right after a run.
 */
import type { Stats } from "node:fs";

const HIGH_WATER = 1 << 20;

let writesInFlight = 0;

/**
 * Whether a pipe write is still in the I/O pool. Such a write blocks a pool thread until the
 * reader takes the bytes, and Node's exit joins the pool: a process killed while its reader has
 * stalled must end by the signal's default action instead (src/cli/commands/run.ts), as a Linux
 * process blocked in write(2) is killed.
 */
export function hostWritesInFlight(): boolean {
  return writesInFlight > 0;
}

type Listener<T extends unknown[]> = (...a: T) => void;

export class HostFdWriter {
  readonly fd: number;
  /** A terminal or another character device (what ConsoleOutput reports as the file type). */
  readonly isTTY: boolean;
  private readonly fs = process.getBuiltinModule("node:fs");
  private readonly queued: boolean;
  private queue: Uint8Array[] = [];
  private pendingBytes = 0;
  private inFlight = false;
  private failed: Error | undefined;
  private needDrain = false;
  private readonly drainListeners: Listener<[]>[] = [];
  private readonly errorListeners: Listener<[Error]>[] = [];
  private readonly flushWaiters: (() => void)[] = [];

  constructor(fd: number) {
    this.fd = fd;
    let st: Stats | undefined;
    try {
      st = this.fs.fstatSync(fd);
    } catch {} // a closed descriptor: writes fail (EBADF) and are reported as errors
    this.isTTY = st?.isCharacterDevice() ?? false;
    this.queued = st !== undefined && (st.isFIFO() || st.isSocket());
  }

  write(data: Uint8Array | string): boolean {
    if (this.failed) return true;
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    if (bytes.byteLength === 0) return true;
    if (!this.queued) {
      try {
        for (let off = 0; off < bytes.byteLength; ) off += this.fs.writeSync(this.fd, bytes, off);
      } catch (e) {
        this.fail(e as Error);
      }
      return true;
    }
    this.queue.push(bytes);
    this.pendingBytes += bytes.byteLength;
    this.pump();
    if (this.pendingBytes < HIGH_WATER) return true;
    this.needDrain = true;
    return false;
  }

  once(event: "drain", fn: () => void): this {
    if (event === "drain") this.drainListeners.push(fn);
    return this;
  }
  on(event: "error", fn: (e: Error) => void): this {
    if (event === "error") this.errorListeners.push(fn);
    return this;
  }
  off(event: "error", fn: (e: Error) => void): this {
    const i = this.errorListeners.indexOf(fn);
    if (i >= 0) this.errorListeners.splice(i, 1);
    return this;
  }

  /** Resolves when every queued byte has been written (or the descriptor failed). */
  flush(): Promise<void> {
    if (!this.inFlight && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  private pump(): void {
    if (this.inFlight || this.failed || this.queue.length === 0) return;
    const chunks = this.queue;
    this.queue = [];
    this.inFlight = true;
    writesInFlight++;
    this.fs.writev(this.fd, chunks, (err, written) => {
      writesInFlight--;
      this.inFlight = false;
      if (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") {
          this.queue = [...chunks, ...this.queue];
          this.inFlight = true;
          setTimeout(() => {
            this.inFlight = false;
            this.pump();
          }, 1);
          return;
        }
        this.fail(err);
        return;
      }
      this.pendingBytes -= written;
      // A partial write: the rest goes first in the next one.
      let skip = written;
      const rest: Uint8Array[] = [];
      for (const c of chunks) {
        if (skip >= c.byteLength) skip -= c.byteLength;
        else {
          rest.push(skip > 0 ? c.subarray(skip) : c);
          skip = 0;
        }
      }
      if (rest.length > 0) this.queue = [...rest, ...this.queue];
      if (this.queue.length > 0) this.pump();
      else this.settled();
    });
  }

  /** Nothing queued nor in flight: wake flush() and a waiting writer. */
  private settled(): void {
    if (this.needDrain) {
      this.needDrain = false;
      for (const fn of this.drainListeners.splice(0)) fn();
    }
    for (const fn of this.flushWaiters.splice(0)) fn();
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    this.queue = [];
    this.pendingBytes = 0;
    for (const fn of [...this.errorListeners]) fn(e);
    this.settled();
  }
}
