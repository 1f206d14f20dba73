/**
 * Differential conformance of nice values and scheduling policies (sdk/libc/resource.c and
 * threads.c over the kernel's occlum.priority and occlum.sched_policy, per thread): getpriority/
 * setpriority (PRIO_PROCESS naming a thread, clamped to -20..19, PRIO_PGRP/PRIO_USER), nice(),
 * sched_setscheduler/getscheduler/setparam/getparam, pthread_setschedparam/getschedparam/
 * setschedprio, a new thread inheriting its creator's, Linux's EINVAL/ESRCH. The libc hid all of
 * these (the program did not compile), and its pthread_setschedparam did nothing. Kept and
 * reported: the fair scheduler gives every thread the same share. test/guest/threads/
 * conform_sched.c prints exactly what Linux prints. LINUX is its output on Linux 6.18, glibc, as
 * root (`gcc -O2 -pthread -o /tmp/sch/conform_sched test/guest/threads/conform_sched.c &&
 * /tmp/sch/conform_sched`; the same over repeated runs).
 */
import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "nice values and scheduling policies", source: "test/guest/threads/conform_sched.c", linux: () => LINUX, flags: ["-pthread"], acrossVcpus: true });

const LINUX = `getpriority(PRIO_PROCESS, 0): 0
setpriority(PRIO_PROCESS, 0, 5): 0
  getpriority: 5
nice(2): 7
setpriority(PRIO_PROCESS, 0, -30): clamped: 0
  getpriority: -20
setpriority(PRIO_PROCESS, 0, 40): clamped: 0
  getpriority: 19
getpriority(PRIO_PROCESS, getpid()): 19
getpriority(PRIO_PGRP, 0) and (PRIO_USER, 0) at most the caller's: 1 1
getpriority(PRIO_PROCESS, a pid nobody has): -1 ESRCH
setpriority(PRIO_PROCESS, a pid nobody has, 1): -1 ESRCH
getpriority(which 9): -1 EINVAL
sched_getscheduler(0): 0
sched_setscheduler(0, SCHED_FIFO, 10): 0
  sched_getscheduler: 1
  sched_getparam: 10
sched_setparam(0, 20): 0
  sched_getparam: 20, policy still FIFO: 1
a new thread starts with its creator's nice 3, policy FIFO 1, priority 20; its own setpriority 15 -> 15; main's still 3
pthread_setschedparam(self, SCHED_RR, 5): 0
  pthread_getschedparam: RR 1, 5
pthread_setschedprio(self, 7): 0
  pthread_getschedparam: RR 1, 7
sched_setscheduler(SCHED_FIFO, 0): -1 EINVAL
sched_setscheduler(SCHED_FIFO, 100): -1 EINVAL
sched_setscheduler(SCHED_OTHER, 5): -1 EINVAL
sched_setscheduler(policy 99): -1 EINVAL
sched_setscheduler(a pid nobody has): -1 ESRCH
sched_getscheduler(-1): -1 EINVAL
pthread_setschedparam(self, SCHED_FIFO, 0): EINVAL
back to SCHED_OTHER: 0
  sched_getscheduler: 0
`;
