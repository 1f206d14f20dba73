/**
 * Differential conformance of syscall(SYS_..., ...) beyond the futex (sdk/libc/syscall.c): the
 * thread calls no libc function wraps (gettid; tkill and tgkill, a signal to one thread, its
 * handler run before a signal to oneself returns; pthread_sigqueue, one with a value; getcpu) and the calls ported code makes raw
 * (ids, sched_yield, sched_getaffinity returning the size of the kernel's mask, sched_setaffinity,
 * getrandom and its flags, clock_gettime/getres, nanosleep, clock_nanosleep failing with -1 and
 * errno, exit_group), with Linux's errors: EINVAL for a tid or tgid <= 0 or a bad signal, ESRCH for
 * a thread that does not exist (checked first) or has been joined, or another thread group.
 * test/guest/threads/conform_syscall.c prints exactly what Linux prints. LINUX is its output on
 * Linux 6.18, glibc (`gcc -O2 -pthread -o /tmp/sc test/guest/threads/conform_syscall.c && /tmp/sc`,
 * exit status 3; the same over repeated runs and under `taskset -c 0`). Before, only SYS_futex
 * and SYS_gettid existed: the program did not compile (SYS_tgkill etc. undeclared). A joined
 * thread's tid also took a signal 0 (the libc's join returned before the thread had left the
 * kernel; sdk/libc/threads.c `joined`).
 */

import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "syscall()", source: "test/guest/threads/conform_syscall.c", linux: () => LINUX, flags: ["-pthread"], acrossVcpus: true, exitCode: 3 });

const LINUX = `SYS_getpid is getpid(): 1
SYS_getppid is getppid(): 1
SYS_gettid in main is the pid: 1
SYS_getuid/geteuid/getgid/getegid are the libc's: 1
SYS_sched_yield: 0
the other thread's tid differs from main's: 1
tgkill(pid, tid, 0): 0
tgkill(pid, tid, SIGUSR1): 0
  handled 1, by the other thread: 1
tkill(own tid, SIGUSR1): 0
  handled before it returned 1, by main: 1
pthread_sigqueue(the other thread, SIGUSR2, 77): 0
  taken by that thread: 1, SI_QUEUE: 1, value 77: 1
pthread_sigqueue, signal 65: EINVAL
tgkill(another tgid, tid, 0): -1 ESRCH
tgkill(0, tid, 0): -1 EINVAL
tgkill(pid, 0, 0): -1 EINVAL
tgkill(pid, -1, 0): -1 EINVAL
tgkill(pid, tid, 65): -1 EINVAL
tgkill(pid, tid, -1): -1 EINVAL
tkill(0, 0): -1 EINVAL
tkill(a tid nobody has, 0): -1 ESRCH
tkill(a tid nobody has, 65): -1 ESRCH
tkill(an ended thread's tid, 0): -1 ESRCH
sched_getaffinity: a positive multiple of sizeof(long), at most the buffer: 1; CPUs in it: 1
sched_getaffinity, 1 byte: -1 EINVAL
sched_getaffinity, a pid nobody has: -1 ESRCH
sched_setaffinity of that mask: 0
sched_setaffinity, empty mask: -1 EINVAL
getcpu: 0
  cpu is sched_getcpu(): 1, node 0
getcpu, NULL pointers: 0
getrandom 64: 64
  some bytes set: 1
getrandom GRND_NONBLOCK: 16
getrandom GRND_RANDOM: 16
getrandom GRND_INSECURE: 16
getrandom GRND_RANDOM|GRND_INSECURE: -1 EINVAL
getrandom, flag 8: -1 EINVAL
getrandom 0 bytes: 0
clock_gettime(CLOCK_MONOTONIC): 0
clock_gettime(clock 99): -1 EINVAL
clock_getres(CLOCK_REALTIME): 0
  resolution at most 1 ms: 1
nanosleep 2 ms: 0
nanosleep, tv_nsec 1e9: -1 EINVAL
clock_nanosleep 2 ms: 0
clock_nanosleep, tv_nsec 1e9: -1 EINVAL
clock_nanosleep, clock 99: -1 EINVAL
clock_nanosleep TIMER_ABSTIME, a time past: 0
`;
