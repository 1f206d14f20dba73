/**
 * Pipes (fd_pipe, pipe2): one ByteRing shared by a read end and a write end, with Linux semantics.
 *
 *   read   the bytes available (partial), EAGAIN when empty while a writer exists, 0 (EOF) when
 *          empty with no writer left
 *   write  0 for an empty write; EPIPE (and `onSigpipe`) with no reader left; writes of at most
 *          PIPE_BUF bytes are atomic (all or EAGAIN); larger ones store what fits (partial),
 *          EAGAIN when nothing fits. A blocking writer of more than PIPE_BUF gets the partial
 *          count: looping until everything is written (as Linux's blocking write does) is the
 *          syscall layer's job, as for MSG_WAITALL.
 *   poll   read end: IN with data, HUP with no writer; write end: OUT with PIPE_BUF free, ERR
 *          with no reader (pipe_poll in Linux's fs/pipe.c)
 *
 * Each end has its own wait queue: the read end's is notified when data arrives or the last
 * writer goes; the write end's when space frees or the last reader goes. Neither end ever waits.
 *
 * fd_filestat reports FileType.UNKNOWN: WASI has no FIFO type, and wasmtime reports pipes as
 * unknown (wasi-common maps its Pipe file type to Filetype::Unknown). mode carries S_IFIFO-free
 * permission bits only; a WASIX stat can add S_IFIFO from `isPipe`.
 */
import { FileBase } from "../fs/file-base.ts";
import { FdFlags, FileType, Ready, type Stat } from "../fs/types.ts";
import { EAGAIN_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { WaitQueue } from "../sched/wait-queue.ts";
import { ByteRing, PIPE_RING_CAPACITY, type MemCharge } from "./byte-ring.ts";

export const PIPE_BUF = 4096;

export interface PipeOptions {
  /** Ring size (default 64 KiB, as Linux). */
  capacity?: number;
  /** Memory budget of the ring (ENOMEM when it refuses all growth). */
  mem?: MemCharge;
  /** FdFlags of both ends (NONBLOCK from pipe2(O_NONBLOCK) / fd_pipe). */
  flags?: number;
  /** Called before EPIPE is thrown by a write: the kernel raises SIGPIPE at the writing thread. */
  onSigpipe?: () => void;
}

/** State shared by both ends. */
class PipeCore {
  readonly ring: ByteRing;
  readers = 1;
  writers = 1;
  /** Notified on data and on the last writer's close. */
  readonly readQueue = new WaitQueue();
  /** Notified on space and on the last reader's close. */
  readonly writeQueue = new WaitQueue();
  readonly ino: bigint;
  constructor(opts: PipeOptions, ino: bigint) {
    this.ring = new ByteRing({ capacity: opts.capacity ?? PIPE_RING_CAPACITY, ...(opts.mem ? { mem: opts.mem } : {}) });
    this.ino = ino;
  }
  maybeDispose(): void {
    if (this.readers === 0 && this.writers === 0) this.ring.dispose();
  }
}

abstract class PipeEnd extends FileBase {
  readonly isPipe = true;
  protected readonly core: PipeCore;
  protected released = false;
  constructor(core: PipeCore, readable: boolean, flags: number) {
    super(FileType.UNKNOWN, { readable, writable: !readable, flags });
    this.core = core;
  }
  override stat(): Stat {
    // Both ends share one inode, as in Linux (fstat of either end gives the same st_ino).
    return { ...(super.stat() as Stat), ino: this.core.ino, size: BigInt(this.core.ring.length) };
  }
  /** Bytes buffered (FIONREAD). */
  get buffered(): number {
    return this.core.ring.length;
  }
}

export class PipeReader extends PipeEnd {
  readonly waitQueue: WaitQueue;
  constructor(core: PipeCore, flags: number) {
    super(core, true, flags);
    this.waitQueue = core.readQueue;
  }

  override read(iovs: Uint8Array[]): number {
    const core = this.core;
    if (core.ring.length === 0) {
      if (core.writers === 0) return 0;
      let want = 0;
      for (const v of iovs) want += v.byteLength;
      if (want === 0) return 0;
      throw EAGAIN_ERROR;
    }
    const n = core.ring.read(iovs);
    if (n > 0) core.writeQueue.notifyAll();
    return n;
  }

  override poll(): number {
    const core = this.core;
    let r = 0;
    if (core.ring.length > 0) r |= Ready.IN;
    if (core.writers === 0) r |= Ready.HUP;
    return r;
  }

  override release(): void {
    if (this.released) return;
    this.released = true;
    const core = this.core;
    core.readers--;
    if (core.readers === 0) core.writeQueue.notifyAll();
    core.maybeDispose();
  }
}

export class PipeWriter extends PipeEnd {
  readonly waitQueue: WaitQueue;
  onSigpipe: (() => void) | undefined;
  constructor(core: PipeCore, flags: number, onSigpipe: (() => void) | undefined) {
    super(core, false, flags);
    this.waitQueue = core.writeQueue;
    this.onSigpipe = onSigpipe;
  }

  override write(iovs: Uint8Array[]): number {
    const core = this.core;
    let total = 0;
    for (const v of iovs) total += v.byteLength;
    if (total === 0) return 0;
    if (core.readers === 0) {
      this.onSigpipe?.();
      throw sysErr(Errno.PIPE);
    }
    const ring = core.ring;
    if (total <= PIPE_BUF) {
      // Atomic: all of it or nothing, including the memory budget's say.
      if (ring.free < total) throw EAGAIN_ERROR;
      if (ring.reserve(total) < total) throw EAGAIN_ERROR;
    } else if (ring.free === 0) {
      throw EAGAIN_ERROR;
    }
    const n = ring.write(iovs);
    if (n > 0) core.readQueue.notifyAll();
    return n;
  }

  override poll(): number {
    const core = this.core;
    if (core.readers === 0) return Ready.OUT | Ready.ERR;
    return core.ring.free >= PIPE_BUF ? Ready.OUT : 0;
  }

  override release(): void {
    if (this.released) return;
    this.released = true;
    const core = this.core;
    core.writers--;
    if (core.writers === 0) core.readQueue.notifyAll();
    core.maybeDispose();
  }
}

let nextPipeIno = 1n << 41n;

/** fd_pipe / pipe2: a connected read end and write end. */
export function createPipe(opts: PipeOptions = {}): { reader: PipeReader; writer: PipeWriter } {
  const core = new PipeCore(opts, nextPipeIno++);
  const flags = (opts.flags ?? 0) & FdFlags.NONBLOCK;
  return { reader: new PipeReader(core, flags), writer: new PipeWriter(core, flags, opts.onSigpipe) };
}
