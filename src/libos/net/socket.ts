/**
 * The socket description interface the syscall layer drives (sock_* in WASI preview 1; WASIX's
 * socket calls later). Issue 8 implements it over node:net / node:dgram; until then the LibOS can
 * hand in any object implementing it (tests use an in-memory pair). Like every open file, a socket
 * never waits: it throws EAGAIN_ERROR and notifies its waitQueue when readiness changes.
 */
import type { OpenFile } from "../fs/types.ts";
import { Rights } from "../syscall/abi.ts";

type Maybe<T> = T | Promise<T>;

export interface SocketFile extends OpenFile {
  readonly isSocket: true;
  /** A connected socket from the backlog (EAGAIN_ERROR when empty). */
  accept(): Maybe<OpenFile>;
  /** [bytes, roflags]; riflags: RECV_PEEK | RECV_WAITALL. */
  recv(iovs: Uint8Array[], riflags: number): Maybe<[number, number]>;
  send(iovs: Uint8Array[]): Maybe<number>;
  /** how: SdFlags.RD | SdFlags.WR */
  shutdown(how: number): Maybe<void>;
}

export function isSocket(f: OpenFile): f is SocketFile {
  return (f as Partial<SocketFile>).isSocket === true;
}

/** Rights of a socket fd (what wasmtime grants a socket: read/write, poll, shutdown, accept, fdstat flags). */
export const SOCKET_RIGHTS =
  Rights.FD_READ | Rights.FD_WRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.POLL_FD_READWRITE |
  Rights.SOCK_SHUTDOWN | Rights.SOCK_ACCEPT | Rights.FD_FILESTAT_GET;
