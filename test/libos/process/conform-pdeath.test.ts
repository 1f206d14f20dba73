/**
 * Differential conformance of the parent-death signal (prctl PR_SET_PDEATHSIG/PR_GET_PDEATHSIG,
 * sdk/libc/prctl.c over the kernel's occlum.pdeath_signal, process/pdeath.ts): a child that set
 * SIGTERM is killed when the thread that spawned it ends while its process goes on, and when the
 * process that spawned it ends; EINVAL for a bad signal. Also a process spawned through
 * /proc/self/exe: its exe is the program (it was the symlink's path, so a second spawn through
 * /proc/self/exe failed) and its comm "exe", as Linux. test/guest/process/conform_pdeath.c prints
 * exactly what Linux prints. LINUX is its output on Linux 6.18, glibc (`gcc -O2 -pthread -o
 * /tmp/pd/conform_pdeath test/guest/process/conform_pdeath.c && /tmp/pd/conform_pdeath`; the same
 * over repeated runs).
 */
import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "the parent-death signal", source: "test/guest/process/conform_pdeath.c", linux: () => LINUX, flags: ["-pthread"] });

const LINUX = `PR_GET_PDEATHSIG at the start: 0 0
PR_SET_PDEATHSIG 65: -1 EINVAL
PR_SET_PDEATHSIG 0: 0
a process spawned through /proc/self/exe: comm "exe", exe names the program: 1
the thread's child: PR_SET_PDEATHSIG and PR_GET_PDEATHSIG: y
  waitpid: 1, killed by SIGTERM: 1
the middle process's child: PR_SET_PDEATHSIG and PR_GET_PDEATHSIG: y
  the middle process exited: 1
  its child ended within 3 s (its end of the pipe closed): 1
`;
