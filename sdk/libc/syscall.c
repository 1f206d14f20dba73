/*
 * syscall() for the calls Linux programs make directly because no libc function wraps them:
 * SYS_futex (sdk/include/linux/futex.h: WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET,
 * WAKE_BITSET, LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI, WAIT_REQUEUE_PI, CMP_REQUEUE_PI;
 * the kernel's occlum.futex, the same wait queues the libc's own futex calls use) and SYS_gettid. wasix-libc declares no syscall() at all. Any other
 * number fails with ENOSYS, as a kernel without that call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <time.h>
#include <unistd.h>

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))

int32_t __occlum_futex(uint32_t *uaddr, int32_t op, uint32_t val, uint64_t deadline_ns, uint32_t val2, uint32_t *uaddr2,
                       uint32_t val3, uint32_t *count) OCCLUM_IMPORT(futex);

#define NO_DEADLINE UINT64_MAX

static long futex(uint32_t *uaddr, int op, uint32_t val, uintptr_t arg4, uint32_t *uaddr2, uint32_t val3) {
  uint64_t deadline = NO_DEADLINE;
  uint32_t val2 = 0;
  int cmd = op & FUTEX_CMD_MASK;
  if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAIT_REQUEUE_PI || cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2) {
    /* The kernel takes the end of the wait on CLOCK_MONOTONIC, so that a wait restarted after a
       signal handler keeps it: FUTEX_WAIT's timeout is relative; WAIT_BITSET's, WAIT_REQUEUE_PI's
       and LOCK_PI2's are absolute, on CLOCK_REALTIME with FUTEX_CLOCK_REALTIME; LOCK_PI's is
       absolute on CLOCK_REALTIME. */
    const struct timespec *ts = (const struct timespec *)arg4;
    if (ts) {
      if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L) {
        errno = EINVAL;
        return -1;
      }
      int64_t t = (int64_t)ts->tv_sec * 1000000000ll + ts->tv_nsec;
      struct timespec mono;
      clock_gettime(CLOCK_MONOTONIC, &mono);
      int64_t now = (int64_t)mono.tv_sec * 1000000000ll + mono.tv_nsec;
      if (cmd == FUTEX_WAIT) {
        t += now;
      } else if ((op & FUTEX_CLOCK_REALTIME) || cmd == FUTEX_LOCK_PI) {
        struct timespec rt;
        clock_gettime(CLOCK_REALTIME, &rt);
        t += now - ((int64_t)rt.tv_sec * 1000000000ll + rt.tv_nsec);
      }
      deadline = t < 0 ? 0 : (uint64_t)t;
    }
  } else {
    val2 = (uint32_t)arg4; /* REQUEUE's and WAKE_OP's second count travels in the timeout's place */
  }
  uint32_t n = 0;
  int32_t e = __occlum_futex(uaddr, op, val, deadline, val2, uaddr2, val3, &n);
  if (e) {
    errno = e;
    return -1;
  }
  return (long)n;
}

long syscall(long number, ...) {
  va_list ap;
  va_start(ap, number);
  long r;
  switch (number) {
    case SYS_futex: {
      uint32_t *uaddr = va_arg(ap, uint32_t *);
      int op = va_arg(ap, int);
      uint32_t val = va_arg(ap, uint32_t);
      uintptr_t arg4 = va_arg(ap, uintptr_t);
      uint32_t *uaddr2 = va_arg(ap, uint32_t *);
      uint32_t val3 = va_arg(ap, uint32_t);
      r = futex(uaddr, op, val, arg4, uaddr2, val3);
      break;
    }
    case SYS_gettid:
      r = gettid();
      break;
    default:
      errno = ENOSYS;
      r = -1;
  }
  va_end(ap);
  return r;
}
