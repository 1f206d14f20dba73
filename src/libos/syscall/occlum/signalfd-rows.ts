/**
 * The `occlum` module's signalfd, for sdk/libc/signalfd.c (wasix-libc has no signalfd):
 * signalfd(fd, mask, nonblock, cloexec) -> fd: fd -1 makes a new one (process/signalfd.ts), an
 * existing signalfd gets the new mask (EINVAL for another kind of file, EBADF for no file). The
 * mask is bit sig-1 of a u64, signals 1-64.
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { Errno, sysErr } from "../errno.ts";
import { Rights } from "../abi.ts";
import { FdFlags } from "../../fs/types.ts";
import type { Thread } from "../../process/thread.ts";
import { SignalFd } from "../../process/signalfd.ts";

const RIGHTS = Rights.FD_READ | Rights.FD_WRITE | Rights.POLL_FD_READWRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET;

function occlum_signalfd(t: Thread, fd: number, mask: bigint, nonblock: number, cloexec: number): number {
  if ((fd | 0) === -1) {
    const file = new SignalFd(t.process, mask, nonblock ? FdFlags.NONBLOCK : 0);
    return t.process.fds.insert(file, RIGHTS, 0, { cloexec: cloexec !== 0 });
  }
  const f = t.process.fds.get(fd).file;
  if (!(f instanceof SignalFd)) throw sysErr(Errno.INVAL, "not a signalfd");
  f.setMask(mask);
  return fd;
}

export const occlumSignalfdRows: readonly SyscallRow[] = [
  row("signalfd", [A.u32, A.u64, A.u32, A.u32], R.size, occlum_signalfd, { note: "fd (-1: a new one), mask (bit sig-1), nonblock, cloexec -> fd; read gives 128-byte signalfd_siginfo records" }),
];
