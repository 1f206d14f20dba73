/*
 * epoll_wait / epoll_pwait for Debian's wasix-libc, linked into every POSIX program (occlum-cc
 * passes --wrap for each; see sdk/cc/posix.ts).
 *
 * epoll_ctl (the libc's, and the wrapper below) stores the caller's 64-bit epoll_data in the ABI's
 * data2 (its low half in ptr and data1), and the kernel hands the 24 data bytes back unchanged. But the
 * libc's epoll_pwait takes the first of ptr, fd, data1 that is not zero, else data2, and stores
 * 32 bits of it: a data.u64 keeps only its low half (the high half is whatever the caller's array
 * held), and a data word whose low half is zero (data.ptr = NULL, data.u64 = 0, 1ULL << 32) comes
 * back as the fd number. These wrappers return data2, all 64 bits, as Linux returns epoll_data.
 * Up to maxevents events per call (the libc stopped at 64); epoll_pwait applies its signal mask
 * during the wait, atomically (occlum.epoll_pwait; the libc ignored it).
 *
 * epoll_create(1) and epoll_ctl are wrapped too: see below.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <wasi/api_wasix.h>

#include "cancel.h"
#include "wrap.h"

#define MAX_EVENTS 64


/* Each event bit in Linux's numbering (<sys/epoll.h>) and the ABI's; the ABI has no other bits. */
static const struct {
  uint32_t linux_bit;
  __wasi_epoll_type_t wasi_bit;
} EVENT_BITS[] = {
    {EPOLLIN, __WASI_EPOLL_TYPE_EPOLLIN},       {EPOLLOUT, __WASI_EPOLL_TYPE_EPOLLOUT},
    {EPOLLRDHUP, __WASI_EPOLL_TYPE_EPOLLRDHUP}, {EPOLLPRI, __WASI_EPOLL_TYPE_EPOLLPRI},
    {EPOLLERR, __WASI_EPOLL_TYPE_EPOLLERR},     {EPOLLHUP, __WASI_EPOLL_TYPE_EPOLLHUP},
    {EPOLLET, __WASI_EPOLL_TYPE_EPOLLET},       {EPOLLONESHOT, __WASI_EPOLL_TYPE_EPOLLONESHOT},
};
#define N_EVENT_BITS (sizeof EVENT_BITS / sizeof EVENT_BITS[0])

/* The ABI's event bits to Linux's. */
static uint32_t linux_events(__wasi_epoll_type_t w) {
  uint32_t e = 0;
  for (size_t i = 0; i < N_EVENT_BITS; i++)
    if (w & EVENT_BITS[i].wasi_bit) e |= EVENT_BITS[i].linux_bit;
  return e;
}

/* Linux's epoll bits to the ABI's (the modifiers the ABI cannot carry are checked by the caller). */
static __wasi_epoll_type_t wasi_events(uint32_t e) {
  __wasi_epoll_type_t w = 0;
  for (size_t i = 0; i < N_EVENT_BITS; i++)
    if (e & EVENT_BITS[i].linux_bit) w |= EVENT_BITS[i].wasi_bit;
  return w;
}

/*
 * The libc's epoll_create1 ignores its flags (EPOLL_CLOEXEC was not applied, unknown flags were
 * accepted) and epoll_create accepts a size <= 0; Linux fails both with EINVAL.
 */
int __wrap_epoll_create1(int flags) {
  if (flags & ~EPOLL_CLOEXEC) {
    errno = EINVAL;
    return -1;
  }
  __wasi_fd_t fd;
  __wasi_errno_t err = __wasi_epoll_create(&fd);
  if (err != 0) {
    errno = err;
    return -1;
  }
  if ((flags & EPOLL_CLOEXEC) && fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0) return occlum_close_failed((int)fd);
  return (int)fd;
}

int __wrap_epoll_create(int size) {
  if (size <= 0) {
    errno = EINVAL;
    return -1;
  }
  return __wrap_epoll_create1(0);
}

/*
 * The libc's epoll_ctl returned the ABI's errno as a positive value (so `epoll_ctl(...) < 0` never
 * saw EEXIST, ENOENT, EBADF...). Linux returns -1 and sets errno, EFAULT for a NULL event with ADD
 * or MOD, and EINVAL for EPOLLEXCLUSIVE with MOD or with bits other than IN/OUT/ERR/HUP/ET/WAKEUP (the ABI
 * has no EXCLUSIVE bit: it travels as Linux's 1 << 28, which the kernel's codec maps; waking only
 * one of several waiting epolls is not implemented, all are woken).
 */
int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
  __wasi_epoll_event_t ev;
  const __wasi_epoll_event_t *arg = 0;
  if (op != EPOLL_CTL_DEL) {
    if (occlum_bad_range(event, sizeof *event)) {
      errno = EFAULT;
      return -1;
    }
    uint32_t e = event->events;
    if ((e & EPOLLEXCLUSIVE) && (op == EPOLL_CTL_MOD || (e & ~(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)))) {
      /* Linux checks the fds first: a bad fd is still EBADF */
      if (fcntl(epfd, F_GETFD) < 0 || fcntl(fd, F_GETFD) < 0) return -1;
      errno = EINVAL;
      return -1;
    }
    /* EXCLUSIVE rides in a bit the ABI leaves unused: the kernel refuses MOD of such an interest */
    ev.events = wasi_events(e) | (e & EPOLLEXCLUSIVE);
    /* As the libc stores it: the 64-bit word in data2 (epoll_wait returns it), its low half in ptr/data1, the fd in fd. */
    ev.data.ptr = (uint32_t)event->data.u64;
    ev.data.fd = fd;
    ev.data.data1 = (uint32_t)event->data.u64;
    ev.data.data2 = event->data.u64;
    arg = &ev;
  }
  __wasi_errno_t err = __wasi_epoll_ctl(epfd, op, fd, arg);
  if (err != 0) {
    errno = err;
    return -1;
  }
  return 0;
}

/*
 * The ABI's events (32 bytes each) for a call with more than MAX_EVENTS: one buffer per thread,
 * grown as needed and kept (an epoll loop makes the same call again), so no allocation per call.
 * Linux returns up to maxevents ready events; the libc's stack buffer stopped at 64.
 */
static _Thread_local __wasi_epoll_event_t *big;
static _Thread_local int big_cap;

static __wasi_epoll_event_t *big_buffer(int n) {
  if (n > big_cap) {
    __wasi_epoll_event_t *p = realloc(big, (size_t)n * sizeof *p);
    if (!p) return 0;
    big = p;
    big_cap = n;
  }
  return big;
}

static int epoll_wait_events(int epfd, struct epoll_event *events, int maxevents, int timeout, const sigset_t *mask);

int32_t __occlum_epoll_pwait(int32_t epfd, __wasi_epoll_event_t *events, uint32_t maxevents, uint64_t timeout_ns, uint64_t mask,
                             __wasi_size_t *n) __attribute__((__import_module__("occlum"), __import_name__("epoll_pwait")));

/* The mask applies for the wait only, atomically (the kernel's occlum.epoll_pwait). */
int __wrap_epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout, const sigset_t *sigmask) {
  return OCCLUM_CANCELLABLE(epoll_wait_events(epfd, events, maxevents, timeout, sigmask));
}

static int epoll_wait_events(int epfd, struct epoll_event *events, int maxevents, int timeout, const sigset_t *mask) {
  if (maxevents <= 0) {
    errno = EINVAL;
    return -1;
  }
  if ((size_t)maxevents > INT_MAX / sizeof *events) {
    errno = EINVAL; /* Linux's EP_MAX_EVENTS */
    return -1;
  }
  if (occlum_bad_range(events, (size_t)maxevents * sizeof *events)) {
    errno = EFAULT;
    return -1;
  }
  /* The kernel takes at most 65536 per call; more stay ready for the next call. */
  int max = maxevents < (1 << 16) ? maxevents : (1 << 16);
  __wasi_epoll_event_t stack[MAX_EVENTS], *got = stack;
  if (max > MAX_EVENTS) {
    got = big_buffer(max);
    if (!got) {
      got = stack;
      max = MAX_EVENTS;
    }
  }
  __wasi_size_t n = 0;
  /* A negative timeout waits for ever: the ABI's all-ones timestamp. */
  __wasi_timestamp_t ns = timeout < 0 ? (__wasi_timestamp_t)-1 : (__wasi_timestamp_t)timeout * 1000000u;
  __wasi_errno_t err = mask ? (__wasi_errno_t)__occlum_epoll_pwait(epfd, got, (uint32_t)max, ns, occlum_wait_mask(mask), &n)
                            : __wasi_epoll_wait(epfd, got, max, ns, &n);
  if (err != 0) {
    errno = err;
    return -1;
  }
  for (__wasi_size_t i = 0; i < n; i++) {
    events[i].events = linux_events(got[i].events);
    events[i].data.u64 = got[i].data.data2;
  }
  return (int)n;
}

/* epoll_wait and epoll_pwait are cancellation points (cancel.h). */
int __wrap_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
  return OCCLUM_CANCELLABLE(epoll_wait_events(epfd, events, maxevents, timeout, NULL));
}
