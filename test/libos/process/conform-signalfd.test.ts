/**
 * Differential conformance of signalfd (sdk/libc/signalfd.c over the kernel's occlum.signalfd,
 * process/signalfd.ts), which wasix-libc lacked: blocked signals taken by reading a descriptor,
 * 128-byte signalfd_siginfo records (signal, code SI_TKILL/SI_USER/SI_QUEUE/CLD_EXITED/SI_TIMER,
 * pid, value, a child's status), two records from one read, EAGAIN when non-blocking, EINVAL under
 * 128 bytes, poll and epoll readiness, SFD_CLOEXEC, a new mask on the same descriptor (a signal
 * left out stays pending), a thread blocked in read woken by a kill, a timer's signal, and Linux's
 * errors. test/guest/process/conform_signalfd.c prints exactly what Linux prints, on the kernel
 * thread and with threads on vCPU workers. LINUX is its output on Linux 6.18, glibc (`gcc -O2
 * -pthread -o /tmp/sfd/conform_signalfd test/guest/process/conform_signalfd.c && cd /tmp/sfd &&
 * ./conform_signalfd`; the same over repeated runs).
 */
import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "signalfd", source: "test/guest/process/conform_signalfd.c", linux: () => LINUX, flags: ["-pthread"], acrossVcpus: true });

const LINUX = `signalfd(-1, {USR1, USR2, CHLD, RTMIN}, SFD_NONBLOCK | SFD_CLOEXEC): 1, FD_CLOEXEC: 1
  read with nothing pending: -1 EAGAIN
  read of 64 bytes: -1 EINVAL
  poll(0) with nothing pending: 0
raise(SIGUSR1), then poll(0): 1
  read: 128
  ssi_signo SIGUSR1: 1, ssi_code SI_TKILL, ssi_pid is ours: 1
kill(SIGUSR2) and sigqueue(SIGRTMIN, 1234), then one read of 3 records' room: 256
  first: SIGUSR2 1, SI_USER, pid ours 1; second: SIGRTMIN 1, SI_QUEUE, ssi_int 1234
spawned a child that exits 7; poll(2000 ms): 1
  read: 128
  SIGCHLD: 1, CLD_EXITED, ssi_pid the child: 1, ssi_status 7
epoll_wait after kill(SIGUSR1): 1, data 5: 1
signalfd(fd, {USR2}): the same fd: 1
  read (SIGUSR1 is pending but no longer in the mask): -1 EAGAIN
  SIGUSR1 still pending: 1
a thread blocked in read: 128 bytes, SIGUSR2: 1
a timer's signal: SIGUSR1 1, SI_TIMER, ssi_int 55, ssi_overrun 0
signalfd, flags 1: -1 EINVAL
signalfd of a pipe: -1 EINVAL
signalfd of a closed fd: -1 EBADF
write: -1 EINVAL
`;
