/*
 * timerfd_create/settime/gettime, which wasix-libc lacks (sdk/include/sys/timerfd.h), over the
 * kernel's (occlum.timerfd_*, src/libos/ipc/timerfd.ts): read gives the expirations as a u64,
 * poll/select/epoll see them. EINVAL for unknown flags or a bad time, as Linux.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/timerfd.h>

#include "timespec.h"

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


int timerfd_settime(int fd, int flags, const struct itimerspec *next, struct itimerspec *old) {
  if (!occlum_ts_valid(&next->it_value) || !occlum_ts_valid(&next->it_interval)) return fail(EINVAL);
  uint64_t was[2];
  int32_t e = __occlum_timerfd_settime(fd, flags, occlum_ts_ns(&next->it_value), occlum_ts_ns(&next->it_interval), old ? was : 0);
  if (e) return fail(e);
  if (old) {
    old->it_value = occlum_ns_ts(was[0]);
    old->it_interval = occlum_ns_ts(was[1]);
  }
  return 0;
}

int timerfd_gettime(int fd, struct itimerspec *cur) {
  uint64_t now[2];
  int32_t e = __occlum_timerfd_gettime(fd, now);
  if (e) return fail(e);
  cur->it_value = occlum_ns_ts(now[0]);
  cur->it_interval = occlum_ns_ts(now[1]);
  return 0;
}
