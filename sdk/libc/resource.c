/*
 * getrusage and the resource limits.
 *
 * getrusage, which wasix-libc got wrong: it reported the host's uptime as user time, with a
 * tv_usec past a second or negative, and no RUSAGE_THREAD or RUSAGE_CHILDREN. Here the kernel's
 * CPU time of the process (RUSAGE_SELF), of the caller (RUSAGE_THREAD) or of the children it has
 * waited for (RUSAGE_CHILDREN), and maxrss in KiB (occlum.rusage, src/libos/syscall/occlum/
 * rusage-rows.ts); the CPU time is all user time; the other counters are 0. EINVAL for another
 * `who`, as Linux. test/guest/threads/conform_rusage.c checks it against Linux.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))
int32_t __occlum_rusage(int32_t who, void *buf, uint32_t len) OCCLUM_IMPORT(rusage);

int getrusage(int who, struct rusage *ru) {
  struct { uint64_t cpu_ns; uint32_t maxrss_kb, pad; } k;
  int32_t e = __occlum_rusage(who, &k, sizeof k);
  if (e) {
    errno = e;
    return -1;
  }
  memset(ru, 0, sizeof *ru);
  ru->ru_utime.tv_sec = (time_t)(k.cpu_ns / 1000000000u);
  ru->ru_utime.tv_usec = (suseconds_t)(k.cpu_ns % 1000000000u / 1000u);
  ru->ru_maxrss = (long)k.maxrss_kb;
  return 0;
}

/*
 * getrlimit/setrlimit/prlimit through the kernel's limits (occlum.prlimit; process/rlimits.ts):
 * the libc's said "unlimited" for everything, RLIMIT_NOFILE included (a program closing every fd
 * up to it never ended), and setrlimit did nothing. RLIMIT_NOFILE is enforced.
 */
int32_t __occlum_prlimit(int32_t pid, int32_t resource, const struct rlimit *next, struct rlimit *old) OCCLUM_IMPORT(prlimit);

int prlimit(pid_t pid, int resource, const struct rlimit *next, struct rlimit *old) {
  int32_t e = __occlum_prlimit(pid, resource, next, old);
  if (e) {
    errno = e;
    return -1;
  }
  return 0;
}

int getrlimit(int resource, struct rlimit *rl) { return prlimit(0, resource, NULL, rl); }

int setrlimit(int resource, const struct rlimit *rl) { return prlimit(0, resource, rl, NULL); }

/*
 * clock_getcpuclockid, which the libc hides ("WASI has no clock_getcpuclockid"): Linux's id of a
 * process's CPU-time clock, (~pid << 3) | CPUCLOCK_SCHED, which the kernel's clock_gettime reads
 * (src/libos/syscall/wasi/clock.ts); ESRCH when no process has that pid, as glibc.
 */
int clock_getcpuclockid(pid_t pid, clockid_t *clk) {
  clockid_t id = (clockid_t)(((unsigned)~pid << 3) | 2u);
  struct timespec res;
  if (clock_getres(id, &res) != 0) return errno == EINVAL ? ESRCH : errno;
  *clk = id;
  return 0;
}

/*
 * getpriority/setpriority/nice, which the libc hides: a thread's nice value, the kernel's
 * (occlum.priority; kept and reported, inherited by new threads; PRIO_PROCESS names a thread, a
 * process's pid its main thread, as Linux), -20..19, clamped as Linux clamps it.
 */
int32_t __occlum_priority(int32_t which, int32_t who, int32_t set, int32_t nice, uint32_t *out) OCCLUM_IMPORT(priority);

int getpriority(int which, id_t who) {
  uint32_t v = 0;
  int32_t e = __occlum_priority(which, (int32_t)who, 0, 0, &v);
  if (e) {
    errno = e;
    return -1;
  }
  return (int)v - 20;
}

int setpriority(int which, id_t who, int value) {
  uint32_t v = 0;
  int32_t e = __occlum_priority(which, (int32_t)who, 1, value, &v);
  if (e) {
    errno = e;
    return -1;
  }
  return 0;
}

int nice(int inc) {
  errno = 0;
  int now = getpriority(PRIO_PROCESS, 0);
  if (now == -1 && errno) return -1;
  if (setpriority(PRIO_PROCESS, 0, now + inc) != 0) return -1;
  return getpriority(PRIO_PROCESS, 0);
}
