/*
 * Debian's wasix-libc computes the remaining time in __timedwait_cp and then waits without it
 * (an untimed __wait): pthread_cond_timedwait, sem_timedwait... never time out. These strong
 * definitions replace that archive member with a timed WASIX futex_wait. occlum-cc links this
 * file into every POSIX program (sdk/cc/posix.ts).
 *
 * __timedwait_cp is also a cancellation point (sdk/libc/threads.c): before waiting and after any
 * wake (pthread_cancel's signal interrupts the wait).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <wasi/api_wasix.h>

#include "cancel.h"

int __pthread_setcancelstate(int, int *);

int __timedwait_cp(volatile int *addr, int val, clockid_t clk, const struct timespec *at, int priv) {
  (void)priv;
  int64_t ns = -1;
  int c = occlum_cancel_point();
  if (c) return c;
  if (at) {
    struct timespec now;
    if ((unsigned long)at->tv_nsec >= 1000000000UL) return EINVAL;
    if (clock_gettime(clk, &now)) return EINVAL;
    ns = (int64_t)(at->tv_sec - now.tv_sec) * 1000000000 + (at->tv_nsec - now.tv_nsec);
    if (ns <= 0) return ETIMEDOUT;
  }
  if (*addr != val) return 0;
  __wasi_option_timestamp_t to;
  memset(&to, 0, sizeof to);
  to.tag = ns > 0 ? __WASI_OPTION_SOME : __WASI_OPTION_NONE;
  to.u.some = ns > 0 ? (__wasi_timestamp_t)ns : 0;
  __wasi_bool_t woken = __WASI_BOOL_FALSE;
  if (__wasi_futex_wait((uint32_t *)addr, (uint32_t)val, &to, &woken) != 0) return EINVAL;
  c = occlum_cancel_point();
  if (c) return c;
  if (ns > 0 && woken == __WASI_BOOL_FALSE) return ETIMEDOUT;
  return 0;
}

int __timedwait(volatile int *addr, int val, clockid_t clk, const struct timespec *at, int priv) {
  int cs, r;
  __pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cs);
  r = __timedwait_cp(addr, val, clk, at, priv);
  __pthread_setcancelstate(cs, 0);
  return r;
}
