/**
 * Differential conformance of nice values weighing CPU time (sched/nice.ts: a thread's time slice
 * is the base slice times its Linux weight over nice 0's, so CPU-bound threads sharing a vCPU get
 * shares in proportion): two threads computing on one CPU, at nice 0 and 0 about even, at 0 and 10
 * the nice-0 one at least 3x (Linux ~9x), at nice 0 and SCHED_IDLE (weight 3) at least 5x (Linux ~340x;
 * here at most 20x: slices are at least 0.5 ms), also on the last CPU (with threads on vCPU workers: a
 * worker, the threads' nice values set after they started there, which the worker then follows). Before, nice values were kept and reported only (the
 * second line printed 0). test/guest/threads/conform_nice.c prints exactly what Linux prints.
 * LINUX is its output on Linux 6.18, glibc (`gcc -O2 -pthread -o /tmp/nice/conform_nice
 * test/guest/threads/conform_nice.c && /tmp/nice/conform_nice`; the same over repeated runs).
 */
import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "nice values weigh CPU time", source: "test/guest/threads/conform_nice.c", linux: () => LINUX, flags: ["-pthread"], acrossVcpus: true });

const LINUX = `sched_setaffinity(CPU 0): 0
nice 0 and nice 0: shares within 2x of each other: 1
nice 0 and nice 10: the nice-0 thread got at least 3x the CPU: 1
nice 0 and SCHED_IDLE: the nice-0 thread got at least 5x the CPU: 1
sched_setaffinity(the last CPU): 0
there, nice 0 and nice 10: the nice-0 thread got at least 3x the CPU: 1
there, nice 0 and SCHED_IDLE: the nice-0 thread got at least 5x the CPU: 1
`;
