/**
 * Differential conformance of the resource limits (sdk/libc/resource.c over the kernel's
 * occlum.prlimit, process/rlimits.ts): RLIMIT_NOFILE is finite and enforced (open fails with
 * EMFILE once every fd below the soft limit is in use, dup2 past it is EBADF, F_DUPFD past it
 * EINVAL), sysconf(_SC_OPEN_MAX) follows it, a lowered limit is inherited by a spawned child,
 * EINVAL for a soft limit above the hard one or an unknown resource, ESRCH for prlimit of a pid
 * nobody has; STACK's 8 MiB soft limit, AS unlimited, a CORE limit kept as set. Before,
 * wasix-libc's getrlimit said "unlimited" for everything and setrlimit did nothing (a program
 * closing every fd up to the limit never ended). test/guest/process/conform_rlimit.c prints
 * exactly what Linux prints. LINUX is its output on Linux 6.18, glibc, as root (`gcc -O2 -o
 * /tmp/rlim/conform_rlimit test/guest/process/conform_rlimit.c && /tmp/rlim/conform_rlimit`; the
 * same over repeated runs).
 */

import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "resource limits", source: "test/guest/process/conform_rlimit.c", linux: () => LINUX });

const LINUX = `getrlimit(RLIMIT_NOFILE): 0
  soft finite: 1, soft <= hard: 1, sysconf(_SC_OPEN_MAX) is the soft limit: 1
  opening until it fails: EMFILE once every fd below the soft limit is in use: 1
setrlimit(RLIMIT_NOFILE, soft 64): 0
  getrlimit: soft 64, hard unchanged: 1, sysconf(_SC_OPEN_MAX) 64
  opening until it fails: EMFILE once fds 0-63 are in use: 1
  dup2(0, 64): -1 EBADF
  dup2(0, 63): 63
  fcntl(0, F_DUPFD, 64): -1 EINVAL
  fcntl(0, F_DUPFD, 60): 60
child: RLIMIT_NOFILE soft 64
spawned child: 0, exit 0
setrlimit, soft above hard: -1 EINVAL
setrlimit back to the original: 0
  soft is the original again: 1
getrlimit(RLIMIT_NLIMITS): -1 EINVAL
setrlimit(RLIMIT_NLIMITS): -1 EINVAL
prlimit(0, RLIMIT_NOFILE, NULL, &old): 0
  old is getrlimit's: 1
prlimit of a pid nobody has: -1 ESRCH
getrlimit(RLIMIT_NPROC): 0
getrlimit(RLIMIT_STACK): 0
  soft 8 MiB, hard unlimited: 1
getrlimit(RLIMIT_AS): 0
  unlimited: 1
setrlimit(RLIMIT_CORE, 1 MiB): 0
  getrlimit(RLIMIT_CORE) then: 1048576 1048576
`;
