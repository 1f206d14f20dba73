/*
 * timerfd_create/settime/gettime, which wasix-libc lacks (sdk/include/sys/timerfd.h), over the
 * kernel's (occlum.timerfd_*, src/libos/ipc/timerfd.ts): read gives the expirations as a u64,
 * poll/select/epoll see them. EINVAL for unknown flags or a bad time, as Linux.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/timerfd.h>

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))
int32_t __occlum_timerfd_create(int32_t clock, int32_t nonblock, int32_t cloexec, uint32_t *fd) OCCLUM_IMPORT(timerfd_create);
int32_t __occlum_timerfd_settime(int32_t fd, int32_t flags, uint64_t value_ns, uint64_t interval_ns, uint64_t *old) OCCLUM_IMPORT(timerfd_settime);
int32_t __occlum_timerfd_gettime(int32_t fd, uint64_t *out) OCCLUM_IMPORT(timerfd_gettime);

static int fail(int e) {
  errno = e;
  return -1;
}

int timerfd_create(int clock, int flags) {
  if (flags & ~(TFD_NONBLOCK | TFD_CLOEXEC)) return fail(EINVAL);
  uint32_t fd = 0;
  int32_t e = __occlum_timerfd_create(clock, (flags & TFD_NONBLOCK) != 0, (flags & TFD_CLOEXEC) != 0, &fd);
  return e ? fail(e) : (int)fd;
}

static int valid(const struct timespec *ts) { return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L; }
static uint64_t ns_of(const struct timespec *ts) { return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec; }
static struct timespec ts_of(uint64_t ns) { return (struct timespec){(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)}; }

int timerfd_settime(int fd, int flags, const struct itimerspec *next, struct itimerspec *old) {
  if (!valid(&next->it_value) || !valid(&next->it_interval)) return fail(EINVAL);
  uint64_t was[2];
  int32_t e = __occlum_timerfd_settime(fd, flags, ns_of(&next->it_value), ns_of(&next->it_interval), old ? was : 0);
  if (e) return fail(e);
  if (old) {
    old->it_value = ts_of(was[0]);
    old->it_interval = ts_of(was[1]);
  }
  return 0;
}

int timerfd_gettime(int fd, struct itimerspec *cur) {
  uint64_t now[2];
  int32_t e = __occlum_timerfd_gettime(fd, now);
  if (e) return fail(e);
  cur->it_value = ts_of(now[0]);
  cur->it_interval = ts_of(now[1]);
  return 0;
}
