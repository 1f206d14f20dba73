/**
 * Differential conformance of timerfd (sdk/libc/timerfd.c over the kernel's occlum.timerfd_*,
 * ipc/timerfd.ts), which wasix-libc lacked: one-shot and periodic timers read as expiration counts,
 * a read that blocks until the expiry, EAGAIN when non-blocking, poll and epoll readiness,
 * TFD_CLOEXEC, an absolute CLOCK_REALTIME time, timerfd_gettime and the old setting, a re-arm or a
 * disarm dropping unread expirations, a thread blocked in read woken by the expiry, and EINVAL/EBADF
 * as Linux (a CPU-time clock, unknown flags, a bad time, a descriptor that is not a timerfd).
 * test/guest/threads/conform_timerfd.c prints exactly what Linux prints (counts and ranges, not
 * times). LINUX is its output on Linux 6.18, glibc (`gcc -O2 -pthread -o /tmp/tfd/conform_timerfd
 * test/guest/threads/conform_timerfd.c && /tmp/tfd/conform_timerfd`; the same over repeated runs).
 */
import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "timerfd", source: "test/guest/threads/conform_timerfd.c", linux: () => LINUX, flags: ["-pthread"], acrossVcpus: true });

const LINUX = `timerfd_create(CLOCK_MONOTONIC, 0): 1
  disarmed: 1
timerfd_settime 50 ms once: 0
  timerfd_gettime: left in (0, 50] ms: 1
  read (blocks until the expiry): 8
  expirations 1, waited at least 40 ms: 1
  read of 4 bytes: -1 EINVAL
  write: -1 EINVAL
timerfd_create(TFD_NONBLOCK | TFD_CLOEXEC): 1, FD_CLOEXEC: 1
  read before arming: -1 EAGAIN
timerfd_settime every 20 ms: 0
  read after 110 ms: 8
  expirations from 4 to 6: 1
  read again at once: -1 EAGAIN
  poll(0 ms) right after the read: 0
  poll(100 ms): 1, POLLIN: 1
  epoll_wait: 1, data 77: 1
timerfd_settime 0 (disarm), asking the old: 0
  old interval 20 ms: 1, old left at most 20 ms: 1
  read after the disarm (unread expirations dropped): -1 EAGAIN
read after a re-arm: -1 EAGAIN
timerfd_settime TFD_TIMER_ABSTIME realtime now + 30 ms: 0
  poll(500 ms): 1
  expirations: 1
a thread blocked in read: woken with 1 expiration(s), after at least 60 ms: 1
timerfd_create(clock 99): -1 EINVAL
timerfd_create(CLOCK_PROCESS_CPUTIME_ID): -1 EINVAL
timerfd_create, flags 1: -1 EINVAL
timerfd_settime, tv_nsec 1e9: -1 EINVAL
timerfd_settime, flags 8: -1 EINVAL
timerfd_settime of a pipe: -1 EINVAL
timerfd_settime of a closed fd: -1 EBADF
timerfd_gettime of a closed fd: -1 EBADF
`;
