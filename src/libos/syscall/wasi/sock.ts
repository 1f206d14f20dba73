/**
 * sock_accept / sock_recv / sock_send / sock_shutdown on socket descriptions the LibOS hands in
 * (net/socket.ts is the interface issue 8's real sockets implement). Any other fd is ENOTSOCK.
 */
import { RiFlags, Rights } from "../abi.ts";
import { Errno, sysErr } from "../errno.ts";
import { blockingCall, blockingIo, type BlockingOptions } from "../blocking.ts";
import { FdFlags, Ready, type OpenFile } from "../../fs/types.ts";
import { isSocket, SOCKET_RIGHTS, type SocketFile } from "../../net/socket.ts";
import type { Thread } from "../../process/thread.ts";
import { nowMs } from "../../sched/clock.ts";

type Maybe<T> = T | Promise<T>;

/** The WASIX siflags bit wasix-libc uses for MSG_DONTWAIT (api_wasix.h; riflags': RiFlags.RECV_DONT_WAIT). */
const SIFLAGS_DONT_WAIT = 1;

/** ENOTSOCK comes before the rights check: a non-socket never has socket rights to lack. */
function socket(t: Thread, fd: number, need: number): SocketFile {
  const fds = t.process.fds;
  const e = fds.get(fd);
  const f: OpenFile = e.file;
  if (!isSocket(f)) throw sysErr(Errno.NOTSOCK);
  if ((e.base & need) !== need) fds.get(fd, need); // throws the rights error
  return f;
}

// The options of a wait without a timeout, shared (a send and a recv per request of a server).
const RECV_WAIT: BlockingOptions = { interest: Ready.IN };
const SEND_WAIT: BlockingOptions = { interest: Ready.OUT };

/** SO_RCVTIMEO / SO_SNDTIMEO of kernel sockets (net/types.ts) as the wait's deadline. */
function recvWait(s: SocketFile): BlockingOptions {
  const ms = (s as { rcvTimeoutMs?: number }).rcvTimeoutMs ?? 0;
  return ms > 0 ? { interest: Ready.IN, deadlineMs: nowMs() + ms } : RECV_WAIT;
}
function sendWait(s: SocketFile): BlockingOptions {
  const ms = (s as { sndTimeoutMs?: number }).sndTimeoutMs ?? 0;
  return ms > 0 ? { interest: Ready.OUT, deadlineMs: nowMs() + ms } : SEND_WAIT;
}

export function sock_accept(t: Thread, fd: number, flags: number): Maybe<number> {
  const s = socket(t, fd, Rights.SOCK_ACCEPT);
  if ((flags & ~FdFlags.NONBLOCK) !== 0) throw sysErr(Errno.INVAL);
  const install = (conn: OpenFile): number => {
    if ((flags & FdFlags.NONBLOCK) !== 0) conn.flags |= FdFlags.NONBLOCK;
    return t.process.fds.insert(conn, SOCKET_RIGHTS, SOCKET_RIGHTS);
  };
  const r = blockingIo(t, s, { interest: Ready.IN }, () => s.accept());
  return r instanceof Promise ? r.then(install) : install(r);
}

export function sock_recv(t: Thread, fd: number, iovs: Uint8Array[], riflags: number): Maybe<[number, number]> {
  const s = socket(t, fd, Rights.FD_READ);
  // WASIX RECV_DONT_WAIT (MSG_DONTWAIT): this call only, never waits.
  if (riflags & RiFlags.RECV_DONT_WAIT) return s.recv(iovs, riflags);
  return blockingCall(t, s, recvWait, s.recv, iovs, riflags);
}

export function sock_send(t: Thread, fd: number, iovs: Uint8Array[], siflags: number): Maybe<number> {
  const s = socket(t, fd, Rights.FD_WRITE);
  if (siflags & SIFLAGS_DONT_WAIT) return s.send(iovs);
  return blockingCall(t, s, sendWait, s.send, iovs, undefined);
}

export function sock_shutdown(t: Thread, fd: number, how: number): Maybe<void> {
  const s = socket(t, fd, Rights.SOCK_SHUTDOWN);
  if (how === 0) throw sysErr(Errno.INVAL);
  return s.shutdown(how);
}
