/*
 * clock(): the processor time of the process, as POSIX defines it (glibc and musl read
 * CLOCK_PROCESS_CPUTIME_ID). Debian's wasix-libc counts the monotonic clock instead (WASI had no
 * CPU clocks), so a program that slept looked busy: 200 ms of nanosleep read as 200 ms of
 * clock(). The kernel keeps the process's CPU time, the sum of its threads' time on a vCPU.
 * This strong definition replaces the libc's archive member (clock.o defines nothing else).
 */
#include <time.h>

clock_t clock(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return (clock_t)-1;
  /* CLOCKS_PER_SEC is 10^9 in this libc (the XSI 10^6 would divide the ns). */
  return (clock_t)ts.tv_sec * CLOCKS_PER_SEC + (clock_t)ts.tv_nsec / (1000000000 / CLOCKS_PER_SEC);
}
