/**
 * Differential conformance of getrusage (sdk/libc/resource.c over the kernel's occlum.rusage):
 * the process's CPU time (RUSAGE_SELF) and the caller's (RUSAGE_THREAD, which wasix-libc lacked)
 * against what each computed, on the kernel thread and on vCPU workers; the children's
 * (RUSAGE_CHILDREN) only once waited for; maxrss; EINVAL for another selector; a process's CPU
 * clock by id (clock_getcpuclockid, which the libc hid: the caller's, by pid, a running child's,
 * ESRCH for a pid nobody has). Before,
 * wasix-libc's getrusage reported the host's uptime as user time (tens of thousands of seconds,
 * with a negative tv_usec), and RUSAGE_SELF/RUSAGE_CHILDREN had WASI's numbers (1, 2) instead of
 * Linux's (0, -1; sdk/include/sys/resource.h). test/guest/threads/conform_rusage.c prints exactly
 * what Linux prints (facts about the times, not the times). LINUX is its output on Linux 6.18,
 * glibc (`gcc -O2 -pthread -o /tmp/ru/conform_rusage test/guest/threads/conform_rusage.c &&
 * /tmp/ru/conform_rusage`; the same over repeated runs).
 */

import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "getrusage", source: "test/guest/threads/conform_rusage.c", linux: () => LINUX, flags: ["-pthread"], acrossVcpus: true });

const LINUX = `getrusage(RUSAGE_CHILDREN) before any child: 0, CPU 0.000 s
getrusage(RUSAGE_SELF) after 0.2 s of computing: 0, CPU at least 0.15 s: 1, maxrss > 0: 1
the thread's RUSAGE_THREAD after its 0.1 s: from 0.08 to 0.18 s: 1
main's RUSAGE_THREAD from 0.15 to 0.28 s: 1; RUSAGE_SELF at least 0.25 s: 1
clock_getcpuclockid(0): 0, its time at least RUSAGE_SELF's 0.25 s: 1
clock_getcpuclockid(getpid()): 0
clock_getcpuclockid of a pid nobody has: ESRCH
posix_spawn of a child that computes 0.15 s: 0
clock_getcpuclockid(child): 0, readable while it runs: 1
RUSAGE_CHILDREN once it has ended, not yet waited for: 0.000 s
waitpid: 1, exit 0
RUSAGE_CHILDREN after the wait: at least 0.1 s: 1, maxrss > 0: 1
getrusage(5): -1 EINVAL
`;
