/**
 * Differential conformance of syscall(SYS_..., ...) beyond the futex (sdk/libc/syscall.c): the
 * thread calls no libc function wraps (gettid; tkill and tgkill, a signal to one thread, its
 * handler run before a signal to oneself returns; pthread_sigqueue, one with a value; getcpu) and the calls ported code makes raw
 * (ids, sched_yield, sched_getaffinity returning the size of the kernel's mask, sched_setaffinity,
 * getrandom and its flags, clock_gettime/getres, nanosleep, clock_nanosleep failing with -1 and
 * errno, prctl names, sysinfo, getrusage, the rlimit calls, getpriority returning 20 - nice and
 * setpriority, the sched_ policy and param calls, timerfd, signalfd4 taking the mask's size,
 * the message queue calls (names without the leading slash; SIGEV_THREAD refused: no netlink), exit_group),
 * with Linux's errors: EINVAL for a tid or tgid <= 0 or a bad signal, ESRCH for
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
prctl(PR_SET_NAME, "rawname"): 0
prctl(PR_GET_NAME): 0
  name rawname
prctl(option 9999): -1 EINVAL
sysinfo: 0
  some RAM, at least one process: 1
getrusage(RUSAGE_SELF): 0
getrusage(who 7): -1 EINVAL
getrlimit(RLIMIT_NOFILE): 0
  soft at most hard: 1
setrlimit(RLIMIT_NOFILE, soft 64): 0
prlimit64(0, RLIMIT_NOFILE, NULL, &old): 0
  soft 64
setrlimit, soft above hard: -1 EINVAL
getrlimit(resource 99): -1 EINVAL
prlimit64(a pid nobody has): -1 ESRCH
getpriority(PRIO_PROCESS, 0): 20
setpriority(PRIO_PROCESS, 0, 5): 0
getpriority after nice 5: 15
getpriority(which 9): -1 EINVAL
getpriority(a pid nobody has): -1 ESRCH
sched_getscheduler(0): 0
sched_getparam(0): 0
  priority 0
sched_setscheduler(0, SCHED_BATCH): 0
sched_getscheduler after: 3
sched_setparam(0, priority 0): 0
sched_setparam(0, priority 5) under SCHED_BATCH: -1 EINVAL
sched_setscheduler(0, policy 99): -1 EINVAL
sched_getscheduler(a pid nobody has): -1 ESRCH
timerfd_create: a descriptor: 1
timerfd_settime 3 ms: 0
timerfd_gettime: 0
  armed, at most 3 ms: 1
  read: 8, ticks 1
timerfd_settime, flags 99: -1 EINVAL
timerfd_create(clock 99): -1 EINVAL
timerfd_gettime(fd 999): -1 EBADF
signalfd4: a descriptor: 1
  read: 128, SIGUSR1: 1
signalfd4, mask size 4: -1 EINVAL
signalfd4, flags 1: -1 EINVAL
mq_open("rawq"): a descriptor: 1
mq_open("/rawq"): -1 EACCES
mq_open("a/b"): -1 EACCES
mq_open(""): -1 ENOENT
mq_open("."): -1 EACCES
mq_open(a 299-byte name): -1 ENAMETOOLONG
the libc's mq_open("/rawq") finds it: 1
mq_timedsend: 0
mq_timedreceive: 5
  priority 3
mq_timedreceive, empty, a deadline past: -1 ETIMEDOUT
mq_getsetattr(O_NONBLOCK): 0
  before: flags 0, maxmsg 4, msgsize 64
mq_getsetattr(NULL, &was): 0
  O_NONBLOCK now: 1
mq_timedreceive, nonblocking, empty: -1 EAGAIN
mq_notify(SIGEV_SIGNAL): 0
mq_notify(NULL): 0
mq_notify(SIGEV_THREAD, no cookie): -1 EFAULT
mq_notify(notify 77): -1 EINVAL
mq_unlink("rawq"): 0
mq_unlink("rawq") again: -1 ENOENT
mq_unlink("/x"): -1 EACCES
`;
