/**
 * Differential conformance of setitimer/getitimer(ITIMER_REAL) and alarm (sdk/libc/itimer.c over
 * the kernel's occlum.setitimer/getitimer, process/timers.ts): the first expiry after it_value,
 * then every it_interval; getitimer and setitimer's old value give the time left (and no period
 * once disarmed); alarm returns the seconds left of the previous one, rounded up; SIGALRM says
 * SI_KERNEL; ITIMER_VIRTUAL and ITIMER_PROF on the process's CPU time (no SIGVTALRM while it
 * sleeps, one once it has computed; SIGPROF every 50 ms of computing); EINVAL for a bad time or
 * timer. Before, getitimer repeated the last setting and a
 * timer with both values set fired first after it_interval. test/guest/process/conform_itimer.c
 * prints exactly what Linux prints (ranges, not times). LINUX is its output on Linux 6.18, glibc
 * (`gcc -O2 -o /tmp/it/conform_itimer test/guest/process/conform_itimer.c && /tmp/it/conform_itimer`;
 * the same over repeated runs).
 */

import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "setitimer, getitimer and alarm", source: "test/guest/process/conform_itimer.c", linux: () => LINUX });

const LINUX = `getitimer before any: disarmed: 1
setitimer 300 ms once: 0
  after 100 ms getitimer: left in [150, 200] ms: 1, interval 0: 1
setitimer 50 ms, asking the old: 0
  old: left in [150, 200] ms: 1
  alarms: 1, SI_KERNEL: 1
setitimer 30 ms then every 50 ms: 0
  alarms by 155 ms: from 2 to 4: 1
  getitimer: interval 50 ms: 1, left at most 50 ms: 1
setitimer 0 (disarm), asking the old: 0
  old interval 50 ms: 1
  disarmed: 1, interval 0: 1
alarm(5): 0
alarm(0) after 0.1 s: 5
alarm(0) again: 0
alarm(1) fired: 1
setitimer(ITIMER_VIRTUAL, 100 ms): 0
  after sleeping 200 ms: SIGVTALRM 0, left in (50, 110] ms (Linux rounds it up to its tick): 1
  after computing 200 ms: SIGVTALRM 1
setitimer(ITIMER_PROF, every 50 ms): 0
  SIGPROF while computing 300 ms: from 3 to 7: 1
setitimer, tv_usec 1e6: -1 EINVAL
setitimer(99): -1 EINVAL
getitimer(99): -1 EINVAL
`;
