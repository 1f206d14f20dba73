/**
 * wasix_32v1 rows for fd plumbing: fd_pipe (pipe/pipe2), fd_event (eventfd), fd_dup / fd_dup2 (dup, F_DUPFD,
 * F_DUPFD_CLOEXEC), fd_fdflags_get/set (F_GETFD/F_SETFD: FD_CLOEXEC), path_open2 (open with O_CLOEXEC).
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { X, XR } from "./codecs.ts";
import { Errno, sysErr } from "../errno.ts";
import { Rights } from "../abi.ts";
import { FdFlags } from "../../fs/types.ts";
import { createPipe } from "../../ipc/pipe.ts";
import { EventFd } from "../../ipc/eventfd.ts";
import { heapCharge, HeapOwner } from "../../vm-charge.ts";
import type { Thread } from "../../process/thread.ts";
import { path_open } from "../wasi/path.ts";

const FDFLAGSEXT_CLOEXEC = 1;
const READ_END = Rights.FD_READ | Rights.POLL_FD_READWRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET;
const WRITE_END = Rights.FD_WRITE | Rights.POLL_FD_READWRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET;

function fd_pipe(t: Thread): readonly [number, number] {
  const mem = heapCharge(t.process.kernel.vm, HeapOwner.PIPE); // the ring is kernel heap: ENOMEM past it
  const { reader, writer } = createPipe(mem ? { mem } : {});
  const fds = t.process.fds;
  const r = fds.insert(reader, READ_END, 0);
  try {
    return [r, fds.insert(writer, WRITE_END, 0)];
  } catch (e) {
    void fds.close(r);
    void writer.release();
    throw e;
  }
}

const EVENTFDFLAGS_SEMAPHORE = 1;

/**
 * fd_event: eventfd(2) (ipc/eventfd.ts). wasix-libc passes eventfd()'s flags cut to 16 bits:
 * EFD_SEMAPHORE and EFD_NONBLOCK (the fdflags NONBLOCK bit) arrive, EFD_CLOEXEC (bit 30) does not
 * (sdk/libc/eventfd.c sets it).
 */
function fd_event(t: Thread, initial: bigint, flags: number): number {
  if ((flags & ~(EVENTFDFLAGS_SEMAPHORE | FdFlags.NONBLOCK)) !== 0) throw sysErr(Errno.INVAL, "unknown eventfd flags");
  const file = new EventFd(initial, (flags & EVENTFDFLAGS_SEMAPHORE) !== 0, flags & FdFlags.NONBLOCK);
  return t.process.fds.insert(file, READ_END | WRITE_END, 0);
}

function fd_dup(t: Thread, fd: number): number {
  return t.process.fds.dup(fd);
}

function fd_dup2(t: Thread, fd: number, min: number, cloexec: number): number {
  return t.process.fds.dup(fd, min, cloexec !== 0);
}

function fd_fdflags_get(t: Thread, fd: number): number {
  return t.process.fds.get(fd).cloexec ? FDFLAGSEXT_CLOEXEC : 0;
}

function fd_fdflags_set(t: Thread, fd: number, flags: number): void {
  if ((flags & ~FDFLAGSEXT_CLOEXEC) !== 0) throw sysErr(Errno.INVAL);
  t.process.fds.get(fd).cloexec = (flags & FDFLAGSEXT_CLOEXEC) !== 0;
}

/** path_open2: path_open plus fdflagsext (O_CLOEXEC), what wasix-libc's open() calls. */
async function path_open2(
  t: Thread, dirfd: number, dirflags: number, path: string, oflags: number,
  base: number, inheriting: number, fdflags: number, ext: number,
): Promise<number> {
  if ((ext & ~FDFLAGSEXT_CLOEXEC) !== 0) throw sysErr(Errno.INVAL);
  // wasix-libc passes absolute paths with the root preopen; they name the same file from "/".
  if (path.startsWith("/") && t.process.fds.get(dirfd).preopen === "/") path = path.replace(/^\/+/, "") || ".";
  const fd = await path_open(t, dirfd, dirflags, path, oflags, base, inheriting, fdflags);
  if (ext & FDFLAGSEXT_CLOEXEC) t.process.fds.get(fd).cloexec = true;
  return fd;
}

export const fdRows: readonly SyscallRow[] = [
  row("fd_pipe", [], XR.fdPair, fd_pipe, { note: "64 KiB ring; write to a pipe without readers: EPIPE and SIGPIPE" }),
  row("fd_event", [A.u64, X.u32], XR.u32, fd_event, { note: "eventfd: a 64-bit counter; read takes it (EFD_SEMAPHORE: 1), write adds; poll/epoll see it" }),
  row("fd_dup", [A.fd], XR.u32, fd_dup),
  row("fd_dup2", [A.fd, X.u32, X.u32], XR.u32, fd_dup2, { note: "lowest free fd >= min_result_fd (F_DUPFD), with FD_CLOEXEC when asked" }),
  row("fd_fdflags_get", [A.fd], XR.u16, fd_fdflags_get),
  row("fd_fdflags_set", [A.fd, X.u32], R.none, fd_fdflags_set),
  row("path_open2", [A.fd, A.lookupflags, A.path, A.oflags, A.rights, A.rights, A.fdflags, X.u32], XR.u32, path_open2, {
    blocking: true, note: "path_open with FD_CLOEXEC from fdflagsext",
  }),
];
