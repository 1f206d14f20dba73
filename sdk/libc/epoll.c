/*
 * epoll_wait / epoll_pwait for Debian's wasix-libc, linked into every POSIX program (occlum-cc
 * passes --wrap=epoll_wait,epoll_pwait; see sdk/cc/posix.ts).
 *
 * The libc's epoll_ctl stores the caller's 64-bit epoll_data in the ABI's data2 (and its low half
 * in ptr and data1, the fd in fd), and the kernel hands the 24 data bytes back unchanged. But the
 * libc's epoll_pwait takes the first of ptr, fd, data1 that is not zero, else data2, and stores
 * 32 bits of it: a data.u64 keeps only its low half (the high half is whatever the caller's array
 * held), and a data word whose low half is zero (data.ptr = NULL, data.u64 = 0, 1ULL << 32) comes
 * back as the fd number. These wrappers return data2, all 64 bits, as Linux returns epoll_data.
 * Like the libc's, at most 64 events per call (the ABI's events are 32 bytes, converted from a
 * buffer on the stack) and the signal mask of epoll_pwait is not applied.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <wasi/api_wasix.h>

#define MAX_EVENTS 64

/* The ABI's event bits to Linux's (<sys/epoll.h>). */
static uint32_t linux_events(__wasi_epoll_type_t w) {
  uint32_t e = 0;
  if (w & __WASI_EPOLL_TYPE_EPOLLIN) e |= EPOLLIN;
  if (w & __WASI_EPOLL_TYPE_EPOLLOUT) e |= EPOLLOUT;
  if (w & __WASI_EPOLL_TYPE_EPOLLRDHUP) e |= EPOLLRDHUP;
  if (w & __WASI_EPOLL_TYPE_EPOLLPRI) e |= EPOLLPRI;
  if (w & __WASI_EPOLL_TYPE_EPOLLERR) e |= EPOLLERR;
  if (w & __WASI_EPOLL_TYPE_EPOLLHUP) e |= EPOLLHUP;
  if (w & __WASI_EPOLL_TYPE_EPOLLET) e |= EPOLLET;
  if (w & __WASI_EPOLL_TYPE_EPOLLONESHOT) e |= EPOLLONESHOT;
  return e;
}

int __wrap_epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout, const sigset_t *sigmask) {
  (void)sigmask;
  if (maxevents <= 0) {
    errno = EINVAL;
    return -1;
  }
  __wasi_epoll_event_t got[MAX_EVENTS];
  __wasi_size_t n = 0;
  /* A negative timeout waits for ever: the ABI's all-ones timestamp. */
  __wasi_timestamp_t ns = timeout < 0 ? (__wasi_timestamp_t)-1 : (__wasi_timestamp_t)timeout * 1000000u;
  __wasi_errno_t err = __wasi_epoll_wait(epfd, got, maxevents < MAX_EVENTS ? maxevents : MAX_EVENTS, ns, &n);
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

int __wrap_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
  return __wrap_epoll_pwait(epfd, events, maxevents, timeout, 0);
}
