/**
 * The `occlum` module's timerfd, for sdk/libc/timerfd.c (wasix-libc has no timerfd):
 * - timerfd_create(clock, nonblock, cloexec) -> fd (ipc/timerfd.ts; EINVAL for another clock);
 * - timerfd_settime(fd, flags, value_ns, interval_ns, old*): TFD_TIMER_ABSTIME; the old setting
 *   (two u64: value, interval) when old is not 0;
 * - timerfd_gettime(fd, out*).
 * EBADF for a descriptor that is not open, EINVAL for one that is not a timerfd, as Linux.
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { Errno, sysErr } from "../errno.ts";
import { Rights } from "../abi.ts";
import { FdFlags } from "../../fs/types.ts";
import type { Thread } from "../../process/thread.ts";
import { TimerFd } from "../../ipc/timerfd.ts";
import { writeSetting } from "./timer-rows.ts";

const RIGHTS = Rights.FD_READ | Rights.FD_WRITE | Rights.POLL_FD_READWRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET;

function timerfdOf(t: Thread, fd: number): TimerFd {
  const f = t.process.fds.get(fd).file;
  if (!(f instanceof TimerFd)) throw sysErr(Errno.INVAL, "not a timerfd");
  return f;
}

function occlum_timerfd_create(t: Thread, clock: number, nonblock: number, cloexec: number): number {
  const file = new TimerFd(clock, nonblock ? FdFlags.NONBLOCK : 0);
  return t.process.fds.insert(file, RIGHTS, 0, { cloexec: cloexec !== 0 });
}

function occlum_timerfd_settime(t: Thread, fd: number, flags: number, valueNs: bigint, intervalNs: bigint, oldPtr: number): void {
  const old = timerfdOf(t, fd).settime(flags, valueNs, intervalNs);
  if (oldPtr !== 0) writeSetting(t, oldPtr, old);
}

function occlum_timerfd_gettime(t: Thread, fd: number, outPtr: number): void {
  writeSetting(t, outPtr, timerfdOf(t, fd).gettime());
}

export const occlumTimerfdRows: readonly SyscallRow[] = [
  row("timerfd_create", [A.u32, A.u32, A.u32], R.size, occlum_timerfd_create, { note: "clock (REALTIME, MONOTONIC, BOOTTIME and their _ALARM forms), nonblock, cloexec -> fd; read gives the expirations (u64), poll/epoll see them" }),
  row("timerfd_settime", [A.fd, A.u32, A.u64, A.u64, A.u32], R.none, occlum_timerfd_settime, { note: "fd, TFD_TIMER_ABSTIME, value ns (0: disarm), interval ns, old* (value, interval: 2 x u64; 0: none)" }),
  row("timerfd_gettime", [A.fd, A.u32], R.none, occlum_timerfd_gettime, { note: "fd, out* (time left, interval: 2 x u64)" }),
];
