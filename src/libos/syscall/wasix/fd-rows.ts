/**
 * wasix_32v1 rows for fd plumbing: fd_pipe (pipe/pipe2), fd_dup / fd_dup2 (dup, F_DUPFD,
 * F_DUPFD_CLOEXEC), fd_fdflags_get/set (F_GETFD/F_SETFD: FD_CLOEXEC).
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { X, XR } from "./codecs.ts";
import { Errno, sysErr } from "../errno.ts";
import { Rights } from "../abi.ts";
import { createPipe } from "../../ipc/pipe.ts";
import type { Thread } from "../../process/thread.ts";

const FDFLAGSEXT_CLOEXEC = 1;
const READ_END = Rights.FD_READ | Rights.POLL_FD_READWRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET;
const WRITE_END = Rights.FD_WRITE | Rights.POLL_FD_READWRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET;

function fd_pipe(t: Thread): readonly [number, number] {
  const { reader, writer } = createPipe();
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

export const fdRows: readonly SyscallRow[] = [
  row("fd_pipe", [], XR.fdPair, fd_pipe, { note: "64 KiB ring; write to a pipe without readers: EPIPE and SIGPIPE" }),
  row("fd_dup", [A.fd], XR.u32, fd_dup),
  row("fd_dup2", [A.fd, X.u32, X.u32], XR.u32, fd_dup2, { note: "lowest free fd >= min_result_fd (F_DUPFD), with FD_CLOEXEC when asked" }),
  row("fd_fdflags_get", [A.fd], XR.u16, fd_fdflags_get),
  row("fd_fdflags_set", [A.fd, X.u32], R.none, fd_fdflags_set),
];
