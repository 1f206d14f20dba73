/**
 * Differential conformance of POSIX timers (sdk/libc/timers.c over the kernel's occlum.timer_*,
 * process/timers.ts), which wasix-libc lacked: SIGEV_SIGNAL (si_code SI_TIMER, si_value,
 * si_timerid, si_overrun), one-shot and periodic, relative and TIMER_ABSTIME on CLOCK_REALTIME,
 * timer_gettime counting down and disarmed after a one-shot expiry, timer_settime's old setting,
 * a periodic timer's signal blocked for a while (one pending signal, the other expiries counted as
 * its si_overrun and timer_getoverrun), timer_delete stopping it, a NULL sigevent (SIGALRM),
 * SIGEV_THREAD_ID (that thread takes it), SIGEV_THREAD (the function in a thread of its own, with
 * the value, until the delete), SIGEV_NONE, timers on CPU-time clocks (the process's: not while it
 * sleeps, once it has computed; a thread's own), and EINVAL for a bad clock, notification, signal,
 * thread, time or timer. test/guest/threads/conform_timers.c prints exactly what Linux prints
 * (counts and ranges, not times), on the kernel thread and with threads on vCPU workers. LINUX is
 * its output on Linux 6.18, glibc (`gcc -O2 -pthread -o /tmp/tm/conform_timers
 * test/guest/threads/conform_timers.c -lrt && /tmp/tm/conform_timers`; the same over repeated runs).
 */

import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "POSIX timers", source: "test/guest/threads/conform_timers.c", linux: () => LINUX, flags: ["-pthread"], acrossVcpus: true });

const LINUX = `timer_create(CLOCK_MONOTONIC, SIGEV_SIGNAL SIGUSR1): 0
timer_settime 200 ms once: 0
  timer_gettime: left in (0, 200] ms: 1, interval 0: 1
timer_settime 50 ms once, asking the old setting: 0
  old: left in (0, 200] ms: 1
  signals: 1, SI_TIMER: 1, si_value 42: 1, si_timerid is the timer's: 1, si_overrun 0
  after it: disarmed: 1
timer_settime every 20 ms, SIGUSR1 blocked: 0
  signals while blocked: 0
  unblocked: one signal, si_overrun at least 3: 1, timer_getoverrun the same: 1
  then it goes on: at least 3 more: 1
timer_delete: 0
  deleted: no more signals: 1
timer_create(CLOCK_REALTIME, NULL): 0
timer_settime TIMER_ABSTIME realtime now + 50 ms: 0
  signals: 1, SIGALRM's SI_TIMER: 1
timer_create(SIGEV_THREAD_ID): 0
timer_settime 30 ms once: 0
  signals: 1, taken by that thread: 1
timer_create(SIGEV_THREAD): 0
timer_settime every 20 ms: 0
timer_delete: 0
  calls with the value: at least 3: 1, in another thread: 1
  deleted: no more calls: 1
timer_create(SIGEV_NONE): 0
  after 100 ms: left in (0, 400] ms: 1
timer_create(CLOCK_PROCESS_CPUTIME_ID): 0
timer_settime 100 ms of CPU time: 0
  after sleeping 200 ms: signals 0
  after computing 250 ms: signals 1, si_value 99: 1
a thread's CPU clock (CLOCK_THREAD_CPUTIME_ID, SIGEV_THREAD_ID to itself) while it computes 200 ms: create 0, signals 1, taken by it: 1
timer_create, clock 99: EINVAL
timer_create, sigev_notify 99: EINVAL
timer_create, signal 0: EINVAL
timer_create, signal 65: EINVAL
timer_create, SIGEV_THREAD_ID of a tid nobody has: EINVAL
timer_settime, tv_nsec 1e9: EINVAL
timer_settime, tv_sec -1: EINVAL
timer_gettime of a deleted timer: EINVAL
timer_delete of a deleted timer: EINVAL
timer_getoverrun of a deleted timer: -1 EINVAL
`;
