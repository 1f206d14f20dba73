/*
 * setitimer/getitimer (and so alarm, which calls setitimer) over the kernel's interval timer
 * (occlum.setitimer/getitimer, src/libos/process/timers.ts). Debian's wasix-libc passed only
 * it_interval to proc_raise_interval and always asked for a repeating timer, so alarm() (which
 * sets it_value only) and one-shot setitimer() never fired, and its getitimer could only repeat
 * the last setting. Here the first expiry is after it_value, then every it_interval, and
 * getitimer and the old value say the time left, as Linux. ITIMER_VIRTUAL and ITIMER_PROF count
 * the process's CPU time (SIGVTALRM, SIGPROF).
 */
#include <errno.h>
#include <stdint.h>
#include <sys/time.h>

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))
int32_t __occlum_setitimer(int32_t which, uint64_t value_ns, uint64_t interval_ns, uint64_t *old) OCCLUM_IMPORT(setitimer);
int32_t __occlum_getitimer(int32_t which, uint64_t *out) OCCLUM_IMPORT(getitimer);

static uint64_t ns_of(const struct timeval *tv) {
  return (uint64_t)tv->tv_sec * 1000000000u + (uint64_t)tv->tv_usec * 1000u;
}

/* A time left in whole microseconds, rounded up (a timer due in 1 ns is not "disarmed"). */
static struct timeval tv_of(uint64_t ns) {
  uint64_t us = (ns + 999u) / 1000u;
  return (struct timeval){(time_t)(us / 1000000u), (suseconds_t)(us % 1000000u)};
}

static int valid(const struct timeval *tv) { return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000; }

int setitimer(int which, const struct itimerval *restrict nv, struct itimerval *restrict old) {
  if (!valid(&nv->it_value) || !valid(&nv->it_interval)) {
    errno = EINVAL;
    return -1;
  }
  uint64_t was[2];
  int32_t e = __occlum_setitimer(which, ns_of(&nv->it_value), ns_of(&nv->it_interval), old ? was : NULL);
  if (e) {
    errno = e;
    return -1;
  }
  if (old) {
    old->it_value = tv_of(was[0]);
    old->it_interval = tv_of(was[1]);
  }
  return 0;
}

int getitimer(int which, struct itimerval *out) {
  uint64_t now[2];
  int32_t e = __occlum_getitimer(which, now);
  if (e) {
    errno = e;
    return -1;
  }
  out->it_value = tv_of(now[0]);
  out->it_interval = tv_of(now[1]);
  return 0;
}
