/*
 * Debian's wasix-libc passes only it_interval to proc_raise_interval and always asks for a
 * repeating timer, so alarm() (which sets it_value only) and one-shot setitimer() never fire.
 * These strong definitions replace that archive member: a one-shot timer of it_value, or a
 * repeating one of it_interval (first expiry after it_interval, not it_value, when both are set:
 * the kernel call has one period). getitimer() reports the last setting, not the time left.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/time.h>
#include <wasi/api_wasix.h>

static struct itimerval current;

static uint64_t ns_of(const struct timeval *tv) {
  return (uint64_t)tv->tv_sec * 1000000000u + (uint64_t)tv->tv_usec * 1000u;
}

int setitimer(int which, const struct itimerval *restrict nv, struct itimerval *restrict old) {
  if (which != ITIMER_REAL) { errno = EINVAL; return -1; }
  if (nv->it_value.tv_usec < 0 || nv->it_value.tv_usec >= 1000000 || nv->it_interval.tv_usec < 0 ||
      nv->it_interval.tv_usec >= 1000000 || nv->it_value.tv_sec < 0 || nv->it_interval.tv_sec < 0) {
    errno = EINVAL;
    return -1;
  }
  uint64_t value = ns_of(&nv->it_value), interval = ns_of(&nv->it_interval);
  uint64_t period = value == 0 ? 0 : interval == 0 ? value : interval;
  __wasi_bool_t repeat = value != 0 && interval != 0 ? __WASI_BOOL_TRUE : __WASI_BOOL_FALSE;
  __wasi_errno_t e = __wasi_proc_raise_interval(__WASI_SIGNAL_ALRM, period, repeat);
  if (e != 0) { errno = e; return -1; }
  if (old) *old = current;
  current = *nv;
  if (value == 0) current.it_interval = (struct timeval){ 0, 0 };
  return 0;
}

int getitimer(int which, struct itimerval *out) {
  if (which != ITIMER_REAL) { errno = EINVAL; return -1; }
  *out = current;
  return 0;
}
