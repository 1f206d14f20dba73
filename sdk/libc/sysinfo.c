/*
 * sysinfo(), which wasix-libc declares in sys/sysinfo.h without defining (programs that called
 * it did not link). The kernel fills the struct (occlum.sysinfo,
 * src/libos/syscall/occlum/sysinfo-rows.ts) as Linux fills it for a 32-bit program: uptime since
 * the instance booted, /proc/meminfo's MemTotal and MemFree, the instance's tasks as procs,
 * mem_unit 1. test/guest/process/conform_sysinfo.c checks it against Linux.
 *
 * sysconf(_SC_PHYS_PAGES) and _SC_AVPHYS_PAGES (wrapped; get_phys_pages and get_avphys_pages call
 * it) returned the libc's internal table markers (-248, -247): musl computes them from sysinfo,
 * the code the libc dropped. Here they are totalram and freeram in pages (_SC_PAGESIZE), as glibc
 * and musl compute them; _SC_OPEN_MAX is RLIMIT_NOFILE's soft limit (the libc's was a constant);
 * every other name goes to the libc's sysconf.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "wrap.h"

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))

/* The kernel writes Linux's 32-bit layout: the libc's struct must have its fields where it puts them. */
#define SYSINFO_BYTES 64
_Static_assert(offsetof(struct sysinfo, totalram) == 16 && offsetof(struct sysinfo, procs) == 40 &&
                   offsetof(struct sysinfo, mem_unit) == 52 && sizeof(struct sysinfo) >= SYSINFO_BYTES,
               "struct sysinfo is not Linux's 32-bit layout");

int32_t __occlum_sysinfo(struct sysinfo *info) OCCLUM_IMPORT(sysinfo);

int sysinfo(struct sysinfo *info) {
  if (occlum_bad_range(info, SYSINFO_BYTES)) { /* Linux's copy to the caller fails: EFAULT, no trap */
    errno = EFAULT;
    return -1;
  }
  int32_t e = __occlum_sysinfo(info);
  if (e) {
    errno = e;
    return -1;
  }
  return 0;
}

long __real_sysconf(int name);
long __wrap_sysconf(int name) {
  if (name == _SC_OPEN_MAX) { /* the libc's constant; glibc's is RLIMIT_NOFILE's soft limit (resource.c) */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl)) return -1;
    return rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
  }
  if (name != _SC_PHYS_PAGES && name != _SC_AVPHYS_PAGES) return __real_sysconf(name);
  struct sysinfo si;
  if (sysinfo(&si)) return -1;
  unsigned long long bytes = (unsigned long long)(name == _SC_PHYS_PAGES ? si.totalram : si.freeram) * si.mem_unit;
  return (long)(bytes / (unsigned long long)__real_sysconf(_SC_PAGESIZE));
}
