/*
 * syscall() for the calls Linux programs make directly, wasix-libc having no syscall() at all:
 * - SYS_futex (sdk/include/linux/futex.h: WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET,
 *   WAKE_BITSET, LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI, WAIT_REQUEUE_PI, CMP_REQUEUE_PI) on the
 *   kernel's occlum.futex, the same wait queues the libc's own futex calls use;
 * - the thread calls no libc function wraps (SYS_gettid, SYS_tkill, SYS_tgkill, SYS_getcpu) and
 *   the ones ported code often makes raw (ids, sched_yield, the affinity and scheduling calls,
 *   getpriority/setpriority, getrandom, clocks and sleeps, prctl, sysinfo, getrusage, the rlimit
 *   calls, timerfd, signalfd4, the message queue calls, exit_group), with the raw calls' results
 *   where they differ from the libc's: sched_getaffinity returns the size of the kernel's mask,
 *   getpriority 20 - nice, the clock_nanosleep error is errno, signalfd4 takes the mask's size, a
 *   queue's name comes without its leading slash, and SIGEV_THREAD (a netlink socket in the raw
 *   mq_notify, which does not exist here) is refused.
 * Any other number fails with ENOSYS, as on a kernel without that call; sdk/include/sys/syscall.h
 * names these with x86-64's numbers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/sysinfo.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api_wasix.h>
#include "wrap.h"

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))

int32_t __occlum_futex(uint32_t *uaddr, int32_t op, uint32_t val, uint64_t deadline_ns, uint32_t val2, uint32_t *uaddr2,
                       uint32_t val3, uint32_t *count) OCCLUM_IMPORT(futex);

int32_t __occlum_sched_getaffinity(int32_t tid, uint32_t size, void *set, uint32_t *written) OCCLUM_IMPORT(sched_getaffinity);

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

/*
 * tkill/tgkill: a signal to one thread (its handler runs before a signal to oneself returns). As
 * Linux, a thread that does not exist is ESRCH before a bad signal number is EINVAL.
 */
static long signal_thread(long tid, long sig) {
  /* The kernel reads 0x3fffffff and up as "the caller"; no thread has such a tid. */
  if (tid >= FUTEX_TID_MASK) return errno = ESRCH, -1;
  int bad = sig < 0 || sig > 64; /* __wasi_signal_t is narrower than the call's int */
  __wasi_errno_t e = __wasi_thread_signal((__wasi_tid_t)tid, bad ? 0 : (__wasi_signal_t)sig);
  if (!e && bad) e = EINVAL;
  return e ? (errno = e, -1) : 0;
}

/* The raw call returns how much of the kernel's mask it wrote, which must fit whole longs. */
static long raw_getaffinity(pid_t pid, size_t size, cpu_set_t *set) {
  if (size % sizeof(long) != 0) return errno = EINVAL, -1;
  uint32_t n = 0;
  int32_t e = __occlum_sched_getaffinity(pid, (uint32_t)size, set, &n);
  return e ? (errno = e, -1) : (long)n;
}

static long raw_getcpu(unsigned *cpu, unsigned *node) {
  int c = sched_getcpu();
  if (c < 0) return -1;
  if (cpu) *cpu = (unsigned)c;
  if (node) *node = 0;
  return 0;
}

/* Linux's flags, and its cap on one read of the urandom source (INT_MAX >> 6). */
static long raw_getrandom(void *buf, size_t len, unsigned flags) {
  if ((flags & ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) || (flags & (GRND_RANDOM | GRND_INSECURE)) == (GRND_RANDOM | GRND_INSECURE))
    return errno = EINVAL, -1;
  if (len > 33554431) len = 33554431;
  __wasi_errno_t e = __wasi_random_get(buf, len);
  return e ? (errno = e, -1) : (long)len;
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
    case SYS_tkill: {
      long tid = va_arg(ap, long), sig = va_arg(ap, long);
      r = tid <= 0 ? (errno = EINVAL, -1) : signal_thread(tid, sig);
      break;
    }
    case SYS_tgkill: {
      long tgid = va_arg(ap, long), tid = va_arg(ap, long), sig = va_arg(ap, long);
      if (tgid <= 0 || tid <= 0) r = (errno = EINVAL, -1);
      else if (tgid != getpid()) r = (errno = ESRCH, -1); /* every thread here is in the caller's group */
      else r = signal_thread(tid, sig);
      break;
    }
    case SYS_getpid: r = getpid(); break;
    case SYS_getppid: r = getppid(); break;
    case SYS_getuid: r = getuid(); break;
    case SYS_geteuid: r = geteuid(); break;
    case SYS_getgid: r = getgid(); break;
    case SYS_getegid: r = getegid(); break;
    case SYS_sched_yield: r = sched_yield(); break;
    case SYS_sched_getaffinity: {
      pid_t pid = va_arg(ap, pid_t);
      size_t size = va_arg(ap, size_t);
      r = raw_getaffinity(pid, size, va_arg(ap, cpu_set_t *));
      break;
    }
    case SYS_sched_setaffinity: {
      pid_t pid = va_arg(ap, pid_t);
      size_t size = va_arg(ap, size_t);
      r = sched_setaffinity(pid, size, va_arg(ap, const cpu_set_t *));
      break;
    }
    case SYS_getcpu: {
      unsigned *cpu = va_arg(ap, unsigned *);
      r = raw_getcpu(cpu, va_arg(ap, unsigned *));
      break;
    }
    case SYS_getrandom: {
      void *buf = va_arg(ap, void *);
      size_t len = va_arg(ap, size_t);
      r = raw_getrandom(buf, len, va_arg(ap, unsigned));
      break;
    }
    case SYS_clock_gettime: {
      clockid_t c = va_arg(ap, clockid_t);
      r = clock_gettime(c, va_arg(ap, struct timespec *));
      break;
    }
    case SYS_clock_getres: {
      clockid_t c = va_arg(ap, clockid_t);
      r = clock_getres(c, va_arg(ap, struct timespec *));
      break;
    }
    case SYS_nanosleep: {
      const struct timespec *req = va_arg(ap, const struct timespec *);
      r = nanosleep(req, va_arg(ap, struct timespec *));
      break;
    }
    case SYS_clock_nanosleep: {
      clockid_t c = va_arg(ap, clockid_t);
      int flags = va_arg(ap, int);
      const struct timespec *req = va_arg(ap, const struct timespec *);
      int e = clock_nanosleep(c, flags, req, va_arg(ap, struct timespec *));
      r = e ? (errno = e, -1) : 0; /* the libc function returns the error, the call sets errno */
      break;
    }
    case SYS_prctl: {
      int option = va_arg(ap, int);
      unsigned long a2 = va_arg(ap, unsigned long);
      r = prctl(option, a2);
      break;
    }
    case SYS_sysinfo:
      r = sysinfo(va_arg(ap, struct sysinfo *));
      break;
    case SYS_getrusage: {
      int who = va_arg(ap, int);
      r = getrusage(who, va_arg(ap, struct rusage *));
      break;
    }
    case SYS_getrlimit: {
      int res = va_arg(ap, int);
      r = getrlimit(res, va_arg(ap, struct rlimit *));
      break;
    }
    case SYS_setrlimit: {
      int res = va_arg(ap, int);
      r = setrlimit(res, va_arg(ap, const struct rlimit *));
      break;
    }
    case SYS_prlimit64: {
      pid_t pid = va_arg(ap, pid_t);
      int res = va_arg(ap, int);
      const struct rlimit *next = va_arg(ap, const struct rlimit *);
      r = prlimit(pid, res, next, va_arg(ap, struct rlimit *));
      break;
    }
    case SYS_getpriority: {
      /* the raw call returns 20 - nice (1..40), never negative; the libc's the nice value */
      int which = va_arg(ap, int);
      int who = va_arg(ap, int);
      errno = 0;
      int nice_now = getpriority(which, (id_t)who);
      r = nice_now == -1 && errno ? -1 : 20 - nice_now;
      break;
    }
    case SYS_setpriority: {
      int which = va_arg(ap, int), who = va_arg(ap, int);
      r = setpriority(which, (id_t)who, va_arg(ap, int));
      break;
    }
    case SYS_sched_getscheduler:
      r = sched_getscheduler(va_arg(ap, pid_t));
      break;
    case SYS_sched_setscheduler: {
      pid_t pid = va_arg(ap, pid_t);
      int policy = va_arg(ap, int);
      r = sched_setscheduler(pid, policy, va_arg(ap, const struct sched_param *));
      break;
    }
    case SYS_sched_getparam: {
      pid_t pid = va_arg(ap, pid_t);
      r = sched_getparam(pid, va_arg(ap, struct sched_param *));
      break;
    }
    case SYS_sched_setparam: {
      pid_t pid = va_arg(ap, pid_t);
      r = sched_setparam(pid, va_arg(ap, const struct sched_param *));
      break;
    }
    case SYS_timerfd_create: {
      int clock = va_arg(ap, int);
      r = timerfd_create(clock, va_arg(ap, int));
      break;
    }
    case SYS_timerfd_settime: {
      int fd = va_arg(ap, int), flags = va_arg(ap, int);
      const struct itimerspec *next = va_arg(ap, const struct itimerspec *);
      r = timerfd_settime(fd, flags, next, va_arg(ap, struct itimerspec *));
      break;
    }
    case SYS_timerfd_gettime: {
      int fd = va_arg(ap, int);
      r = timerfd_gettime(fd, va_arg(ap, struct itimerspec *));
      break;
    }
    case SYS_signalfd4: {
      /* the raw call takes the mask's size (8: 64 signals) before the flags */
      int fd = va_arg(ap, int);
      const sigset_t *mask = va_arg(ap, const sigset_t *);
      size_t size = va_arg(ap, size_t);
      int flags = va_arg(ap, int);
      r = size != 8 ? (errno = EINVAL, -1) : signalfd(fd, mask, flags);
      break;
    }
    case SYS_mq_open: case SYS_mq_unlink: {
      /* The raw calls take the name without its slash (the libc strips it): put it back. */
      const char *name = va_arg(ap, const char *);
      char full[NAME_MAX + 2];
      if (occlum_bad_range(name, 1)) {
        r = (errno = EFAULT, -1);
        break;
      }
      size_t len = strnlen(name, NAME_MAX + 1);
      if (len > NAME_MAX) {
        r = (errno = ENAMETOOLONG, -1);
        break;
      }
      full[0] = '/';
      memcpy(full + 1, name, len + 1);
      if (number == SYS_mq_unlink) {
        r = mq_unlink(full);
        break;
      }
      int oflag = va_arg(ap, int);
      mode_t mode = va_arg(ap, mode_t);
      r = mq_open(full, oflag, mode, va_arg(ap, struct mq_attr *));
      break;
    }
    case SYS_mq_timedsend: {
      mqd_t q = va_arg(ap, mqd_t);
      const char *msg = va_arg(ap, const char *);
      size_t len = va_arg(ap, size_t);
      unsigned prio = va_arg(ap, unsigned);
      r = mq_timedsend(q, msg, len, prio, va_arg(ap, const struct timespec *));
      break;
    }
    case SYS_mq_timedreceive: {
      mqd_t q = va_arg(ap, mqd_t);
      char *msg = va_arg(ap, char *);
      size_t len = va_arg(ap, size_t);
      unsigned *prio = va_arg(ap, unsigned *);
      r = mq_timedreceive(q, msg, len, prio, va_arg(ap, const struct timespec *));
      break;
    }
    case SYS_mq_notify: {
      mqd_t q = va_arg(ap, mqd_t);
      const struct sigevent *se = va_arg(ap, const struct sigevent *);
      /* Raw SIGEV_THREAD names a netlink socket and a cookie buffer; no netlink here. */
      if (se && se->sigev_notify == SIGEV_THREAD) r = (errno = se->sigev_value.sival_ptr ? EBADF : EFAULT, -1);
      else r = mq_notify(q, se);
      break;
    }
    case SYS_mq_getsetattr: {
      mqd_t q = va_arg(ap, mqd_t);
      const struct mq_attr *next = va_arg(ap, const struct mq_attr *);
      r = mq_setattr(q, next, va_arg(ap, struct mq_attr *));
      break;
    }
    case SYS_exit_group:
      _exit(va_arg(ap, int));
    default:
      errno = ENOSYS;
      r = -1;
  }
  va_end(ap);
  return r;
}
