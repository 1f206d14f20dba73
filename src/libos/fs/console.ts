/**
 * The host terminal as open files: stdin, stdout and stderr of a booted instance.
 *
 * ConsoleInput reads a host Readable asynchronously: bytes are buffered as they arrive, read()
 * takes what is there, returns 0 at end of input, and throws EAGAIN_ERROR when nothing is buffered
 * yet (syscall/blocking parks the reader on waitQueue, notified when data or EOF arrives). The
 * host stream is only touched on the first read or poll (a program that never reads stdin leaves
 * the terminal alone) and is paused again at release, so it never keeps the event loop alive.
 * Buffering is bounded: above HIGH_WATER the stream is paused until the guest drains it.
 *
 * ConsoleOutput writes to a host Writable or a HostFdWriter (copying the guest's bytes). When
 * the sink signals back-pressure, the next write throws EAGAIN_ERROR until 'drain': the guest
 * waits, the event loop does not.
 */
import type { Readable } from "node:stream";
import { EAGAIN_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { WaitQueue } from "../sched/wait-queue.ts";
import { FileBase, iovLength } from "./file-base.ts";
import { FileType, Ready } from "./types.ts";

const HIGH_WATER = 1 << 20;

/** What ConsoleOutput needs of its host side: node:stream's Writable has it, so does HostFdWriter. */
export interface ConsoleSink {
  write(data: Uint8Array): boolean;
  once(event: "drain", fn: () => void): unknown;
  on(event: "error", fn: (e: Error) => void): unknown;
  off(event: "error", fn: (e: Error) => void): unknown;
}

/** A host input stream, or a function that makes it at the first read (process.stdin's getter builds a stream). */
export type ConsoleSource = Readable | (() => Readable);

function ttyType(stream: unknown): FileType {
  return (stream as { isTTY?: boolean }).isTTY ? FileType.CHARACTER_DEVICE : FileType.UNKNOWN;
}

export class ConsoleInput extends FileBase {
  readonly waitQueue = new WaitQueue();
  private source: ConsoleSource | undefined;
  private stream: Readable | undefined;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private eof = false;
  private error: Error | undefined;
  private started = false;
  private released = false;

  /**
   * `source`: a host stream (or a function making it, called at the first read or poll; then
   * `lazyType` is the file type to report), or fixed bytes (then EOF after them); undefined =
   * empty input.
   */
  constructor(source: ConsoleSource | Uint8Array | string | undefined, path = "/dev/stdin", lazyType: FileType = FileType.UNKNOWN) {
    super(source === undefined || typeof source === "string" || source instanceof Uint8Array ? FileType.UNKNOWN : typeof source === "function" ? lazyType : ttyType(source), { readable: true, path });
    if (source === undefined || typeof source === "string" || source instanceof Uint8Array) {
      const bytes = typeof source === "string" ? new TextEncoder().encode(source) : source;
      if (bytes && bytes.byteLength > 0) this.push(bytes);
      this.eof = true;
      this.started = true;
    } else {
      this.source = source;
    }
  }

  private readonly onData = (chunk: Buffer | string): void => {
    this.push(typeof chunk === "string" ? Buffer.from(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (this.buffered > HIGH_WATER) this.stream?.pause();
    this.waitQueue.notifyAll();
  };
  private readonly onEnd = (): void => {
    this.eof = true;
    this.waitQueue.notifyAll();
  };
  private readonly onError = (e: Error): void => {
    this.error = e;
    this.eof = true;
    this.waitQueue.notifyAll();
  };

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.buffered += b.byteLength;
  }

  private start(): void {
    if (this.started || this.released || !this.source) return;
    this.started = true;
    this.stream = typeof this.source === "function" ? this.source() : this.source;
    this.stream.on("data", this.onData);
    this.stream.on("end", this.onEnd);
    this.stream.on("error", this.onError);
    this.stream.resume();
  }

  override read(iovs: Uint8Array[]): number {
    this.start();
    if (this.buffered === 0) {
      if (this.error) throw sysErr(Errno.IO, this.error.message);
      if (this.eof) return 0;
      throw EAGAIN_ERROR;
    }
    let n = 0;
    for (const iov of iovs) {
      let off = 0;
      while (off < iov.byteLength && this.chunks.length > 0) {
        const c = this.chunks[0]!;
        const k = Math.min(c.byteLength, iov.byteLength - off);
        iov.set(c.subarray(0, k), off);
        off += k;
        if (k === c.byteLength) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
      n += off;
      if (this.chunks.length === 0) break;
    }
    this.buffered -= n;
    if (this.buffered <= HIGH_WATER / 2 && this.stream && !this.eof && !this.released) this.stream.resume();
    return n;
  }

  override poll(): number {
    this.start();
    if (this.buffered > 0) return Ready.IN;
    if (this.eof) return Ready.IN | Ready.HUP;
    return 0;
  }

  override release(): void {
    if (this.released) return;
    this.released = true;
    if (this.stream && this.started) {
      this.stream.off("data", this.onData);
      this.stream.off("end", this.onEnd);
      this.stream.off("error", this.onError);
      this.stream.pause();
    }
    this.waitQueue.notifyAll();
  }
}

export class ConsoleOutput extends FileBase {
  readonly waitQueue = new WaitQueue();
  private readonly stream: ConsoleSink;
  private blocked = false;
  private error: Error | undefined;

  constructor(stream: ConsoleSink, path: string) {
    super(ttyType(stream), { writable: true, path });
    this.stream = stream;
    stream.on("error", this.onError);
  }

  private readonly onError = (e: Error): void => {
    this.error = e;
    this.blocked = false;
    this.waitQueue.notifyAll();
  };
  private readonly onDrain = (): void => {
    this.blocked = false;
    this.waitQueue.notifyAll();
  };

  override write(iovs: Uint8Array[]): number {
    if (this.error) throw sysErr((this.error as { code?: string }).code === "EPIPE" ? Errno.PIPE : Errno.IO, this.error.message);
    if (this.blocked) throw EAGAIN_ERROR;
    const n = iovLength(iovs);
    if (n === 0) return 0;
    // Copy: the iovecs are views of guest memory, reused as soon as we return.
    const data = Buffer.allocUnsafe(n);
    let off = 0;
    for (const v of iovs) {
      data.set(v, off);
      off += v.byteLength;
    }
    if (!this.stream.write(data)) {
      this.blocked = true;
      this.stream.once("drain", this.onDrain);
    }
    return n;
  }

  override poll(): number {
    if (this.error) return Ready.ERR | Ready.OUT;
    return this.blocked ? 0 : Ready.OUT;
  }

  override release(): void {
    // Keep one listener on the stream: a late EPIPE with none would crash the host.
    this.stream.off("error", this.onError);
    if (!guarded.has(this.stream)) {
      guarded.add(this.stream);
      this.stream.on("error", () => {});
    }
  }
}

const guarded = new WeakSet<ConsoleSink>();
