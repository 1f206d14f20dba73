/**
 * node:fs's callback API as promises, for the kernel's host file calls.
 *
 * Why not node:fs/promises: loading it (also through `fs.promises`) compiles ~10 of Node's own
 * modules (readline, file watchers, directory streams) that the kernel never uses, a few ms of
 * every `occlum run`. The callback API runs the same libuv requests without them.
 *
 * `open` gives a HostHandle shaped like the FileHandle methods the kernel calls. Like a
 * FileHandle, it closes its descriptor only after the operations in flight on it have ended (a
 * descriptor closed under a pending read could be reused by the next open and read from).
 *
 * Boot calls (`startBootCalls`): while the LibOS boots (mounting, then finding and reading the
 * first program) no guest runs and nothing else waits on the JS thread, so the calls that cannot
 * wait on anything but the local disk (metadata, and descriptors opened O_NONBLOCK or O_DIRECTORY)
 * are made synchronously: one syscall each, where a thread-pool round trip wakes a pool thread
 * and then this one (~25 trips per `occlum run /bin/hello`; tens of µs each on a quiet host, up
 * to milliseconds on a loaded one). Same results and errors, settled promises either way.
 */
import type { BigIntStats, Mode, PathLike, Stats, TimeLike } from "node:fs";

// Not `import * as fs`: the bundle's namespace copy of node:fs (esbuild's __toESM) looks at every
// property, and one of node:fs's lazy ones loads its directory-stream modules (~1.5 ms per start).
const fs = process.getBuiltinModule("node:fs");

type Cb<T> = (err: NodeJS.ErrnoException | null, value: T) => void;

function call<T>(start: (cb: Cb<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value))));
}

/** Boot phases in progress in this process (startBootCalls). */
let booting = 0;

/**
 * From now until the returned function is called (once; later calls do nothing), the calls
 * listed above are synchronous. Process-wide: another kernel of this process (tests) then makes
 * those calls synchronously too, with the same results.
 */
export function startBootCalls(): () => void {
  booting++;
  let ended = false;
  return () => {
    if (!ended) {
      ended = true;
      booting--;
    }
  };
}

/** Whether boot calls are on (a boot phase is in progress in this process). */
export function bootCallsActive(): boolean {
  return booting > 0;
}

/** At boot, `sync` now; else `start` through the thread pool. */
function hostCall<T>(sync: () => T, start: (cb: Cb<T>) => void): Promise<T> {
  if (booting === 0) return call(start);
  try {
    return Promise.resolve(sync());
  } catch (e) {
    return Promise.reject(e as Error);
  }
}
function done(start: (cb: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => start((err) => (err ? reject(err) : resolve())));
}

export const realpath = (p: string): Promise<string> => hostCall(() => fs.realpathSync(p), (cb) => fs.realpath(p, cb));
export function stat(p: PathLike, opts: { bigint: true }): Promise<BigIntStats> {
  return hostCall(() => fs.statSync(p, opts), (cb) => fs.stat(p, opts, cb as Cb<BigIntStats | Stats> as Cb<BigIntStats>));
}
export function lstat(p: PathLike, opts: { bigint: true }): Promise<BigIntStats> {
  return hostCall(() => fs.lstatSync(p, opts), (cb) => fs.lstat(p, opts, cb as Cb<BigIntStats | Stats> as Cb<BigIntStats>));
}
export const readdir = (p: PathLike): Promise<string[]> => hostCall(() => fs.readdirSync(p), (cb) => fs.readdir(p, cb));
export const readlink = (p: PathLike): Promise<string> => hostCall(() => fs.readlinkSync(p), (cb) => fs.readlink(p, cb));
export function mkdir(p: PathLike, opts: { mode?: Mode; recursive?: boolean }): Promise<void> {
  return done((cb) => fs.mkdir(p, opts, (err) => cb(err)));
}
export const utimes = (p: PathLike, a: TimeLike, m: TimeLike): Promise<void> => done((cb) => fs.utimes(p, a, m, cb));
export const lutimes = (p: PathLike, a: TimeLike, m: TimeLike): Promise<void> => done((cb) => fs.lutimes(p, a, m, cb));
export const symlink = (target: PathLike, p: PathLike): Promise<void> => done((cb) => fs.symlink(target, p, cb));
export const link = (existing: PathLike, p: PathLike): Promise<void> => done((cb) => fs.link(existing, p, cb));
export const unlink = (p: PathLike): Promise<void> => done((cb) => fs.unlink(p, cb));
export const rmdir = (p: PathLike): Promise<void> => done((cb) => fs.rmdir(p, cb));
export const rename = (from: PathLike, to: PathLike): Promise<void> => done((cb) => fs.rename(from, to, cb));
export const readFile = (p: PathLike): Promise<Buffer> => call<Buffer>((cb) => fs.readFile(p, cb));
export const writeFile = (p: PathLike, data: string | Uint8Array): Promise<void> => done((cb) => fs.writeFile(p, data, cb));

/** An open host descriptor (the FileHandle methods the kernel uses). */
export class HostHandle {
  readonly fd: number;
  /** Opened O_NONBLOCK or O_DIRECTORY: its reads and stats are boot calls. */
  readonly #neverWaits: boolean;
  #inFlight = 0;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  constructor(fd: number, neverWaits = false) {
    this.fd = fd;
    this.#neverWaits = neverWaits;
  }

  #op<T>(start: (cb: Cb<T>) => void, sync?: () => T): Promise<T> {
    if (this.#closing) return Promise.reject(Object.assign(new Error("file closed"), { code: "EBADF" }));
    if (sync !== undefined && booting > 0 && this.#neverWaits) return hostCall(sync, start);
    this.#inFlight++;
    return call(start).finally(() => {
      if (--this.#inFlight === 0) this.#drained?.();
    });
  }

  read(buf: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }> {
    return this.#op<number>((cb) => fs.read(this.fd, buf, offset, length, position, cb), () => fs.readSync(this.fd, buf, offset, length, position)).then((bytesRead) => ({ bytesRead }));
  }
  readv(bufs: Uint8Array[], position: number): Promise<{ bytesRead: number }> {
    return this.#op<number>((cb) => fs.readv(this.fd, bufs, position, cb), () => fs.readvSync(this.fd, bufs, position)).then((bytesRead) => ({ bytesRead }));
  }
  writev(bufs: Uint8Array[], position: number): Promise<{ bytesWritten: number }> {
    return this.#op<number>((cb) => fs.writev(this.fd, bufs, position, cb)).then((bytesWritten) => ({ bytesWritten }));
  }
  stat(opts: { bigint: true }): Promise<BigIntStats> {
    return this.#op<BigIntStats>((cb) => fs.fstat(this.fd, opts, cb as Cb<BigIntStats | Stats> as Cb<BigIntStats>), () => fs.fstatSync(this.fd, opts));
  }
  truncate(len: number): Promise<void> {
    return this.#op<void>((cb) => fs.ftruncate(this.fd, len, (err) => cb(err, undefined)));
  }
  utimes(a: TimeLike, m: TimeLike): Promise<void> {
    return this.#op<void>((cb) => fs.futimes(this.fd, a, m, (err) => cb(err, undefined)));
  }
  chmod(mode: Mode): Promise<void> {
    return this.#op<void>((cb) => fs.fchmod(this.fd, mode, (err) => cb(err, undefined)));
  }
  sync(): Promise<void> {
    return this.#op<void>((cb) => fs.fsync(this.fd, (err) => cb(err, undefined)));
  }
  datasync(): Promise<void> {
    return this.#op<void>((cb) => fs.fdatasync(this.fd, (err) => cb(err, undefined)));
  }

  /** Closes the descriptor once the operations in flight have ended; later calls fail with EBADF. */
  close(): Promise<void> {
    if (this.#closing === undefined && this.#inFlight === 0 && booting > 0 && this.#neverWaits) {
      this.#closing = hostCall(() => fs.closeSync(this.fd), (cb) => fs.close(this.fd, (err) => cb(err, undefined)));
    }
    this.#closing ??= (this.#inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.#drained = resolve)))
      .then(() => done((cb) => fs.close(this.fd, cb)));
    return this.#closing;
  }
}

export function open(p: PathLike, flags: number, mode?: Mode): Promise<HostHandle> {
  // Without O_NONBLOCK, opening a FIFO waits for its other end: never a boot call.
  const neverWaits = (flags & (fs.constants.O_NONBLOCK | fs.constants.O_DIRECTORY)) !== 0;
  const start = (cb: Cb<number>) => fs.open(p, flags, mode ?? 0o666, cb);
  return (neverWaits ? hostCall(() => fs.openSync(p, flags, mode ?? 0o666), start) : call(start)).then((fd) => new HostHandle(fd, neverWaits));
}
