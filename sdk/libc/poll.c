/*
 * poll / ppoll / select / pselect for Debian's wasix-libc, linked into every POSIX program
 * (occlum-cc passes --wrap for each; see sdk/cc/posix.ts).
 *
 * The libc builds them on poll_oneoff, whose fd subscriptions only say "readable" or "writable"
 * (plus a hang-up flag): poll() could not report POLLNVAL, POLLERR or a lone POLLHUP, failed with
 * EINVAL for an entry with events 0, select() failed with ENOSYS, and ppoll was missing. These make
 * one occlum.poll call (src/libos/syscall/occlum/poll-rows.ts: Linux's poll with Linux's bits),
 * converting the libc's POLL* values (POLLIN 0x1, POLLOUT 0x2, POLLERR 0x1000, ...) to Linux's
 * and back. As on Linux, ERR and HUP are always reported, an fd that is not open is POLLNVAL for
 * poll() and EBADF for select(), and a negative fd is ignored. ppoll/pselect with a signal mask
 * make occlum.ppoll, which applies it for the wait atomically, as Linux does: a pending signal it
 * unblocks ends the call with EINTR at once (swapping the mask around the wait, as before, ran the
 * handler first and then waited out the timeout).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <wasi/api_wasix.h>

#include "cancel.h"
#include "wrap.h"

#define BATCH 64
#define NO_TIMEOUT ((__wasi_timestamp_t)-1)
/* Linux's POLLNVAL: "not an open fd" (<sys/epoll.h>'s values are Linux's poll bits) */
#define NVAL_BIT EPOLLNVAL
#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))

/* Linux's struct pollfd, with Linux's bits: what occlum.poll reads and fills. */
struct linux_pollfd {
  int32_t fd;
  uint16_t events;
  uint16_t revents;
};

int32_t __occlum_poll(struct linux_pollfd *fds, uint32_t nfds, uint64_t timeout_ns, uint32_t *nready) OCCLUM_IMPORT(poll);
int32_t __occlum_ppoll(struct linux_pollfd *fds, uint32_t nfds, uint64_t timeout_ns, uint64_t mask, uint32_t *nready) OCCLUM_IMPORT(ppoll);

/* The signal mask of this thread's ppoll/pselect in progress (NULL: poll/select), for wait_fds. */
static _Thread_local const sigset_t *wait_mask;

/*
 * The core of poll and select: wait until one of fds[i] (< 0: ignored) has one of want[i] (Linux
 * bits; ERR and HUP always count) or the timeout (ns, NO_TIMEOUT for none) passes. got[i] gets
 * the bits found (POLLNVAL's 0x20 for an fd that is not open). Returns how many got[i] are not 0,
 * or -1 and errno.
 */
static int wait_fds(size_t n, const int *fds, const uint32_t *want, uint32_t *got, __wasi_timestamp_t timeout) {
  struct linux_pollfd stack[BATCH], *p = stack;
  if (n > BATCH && !(p = malloc(n * sizeof *p))) {
    errno = ENOMEM;
    return -1;
  }
  for (size_t i = 0; i < n; i++) p[i] = (struct linux_pollfd){.fd = fds[i], .events = (uint16_t)want[i]};
  uint32_t ready = 0;
  int32_t err = wait_mask ? __occlum_ppoll(p, (uint32_t)n, timeout, occlum_wait_mask(wait_mask), &ready)
                          : __occlum_poll(p, (uint32_t)n, timeout, &ready);
  for (size_t i = 0; i < n && err == 0; i++) got[i] = p[i].revents;
  if (p != stack) free(p);
  if (err != 0) {
    errno = err;
    return -1;
  }
  return (int)ready;
}

/* Scratch arrays for up to `n` fds: on the stack for small calls. */
struct scratch {
  int fds_s[BATCH];
  uint32_t want_s[BATCH], got_s[BATCH];
  int *fds;
  uint32_t *want, *got;
};

static int scratch_init(struct scratch *s, size_t n) {
  if (n <= BATCH) {
    s->fds = s->fds_s;
    s->want = s->want_s;
    s->got = s->got_s;
    return 0;
  }
  s->fds = malloc(n * sizeof *s->fds);
  s->want = malloc(n * sizeof *s->want);
  s->got = malloc(n * sizeof *s->got);
  if (!s->fds || !s->want || !s->got) {
    free(s->fds);
    free(s->want);
    free(s->got);
    errno = ENOMEM;
    return -1;
  }
  return 0;
}

static void scratch_free(struct scratch *s) {
  if (s->fds == s->fds_s) return;
  free(s->fds);
  free(s->want);
  free(s->got);
}


static int poll_events(struct pollfd *pfds, nfds_t n, __wasi_timestamp_t timeout) {
  if (n > (nfds_t)1 << 20 || occlum_bad_range(pfds, n * sizeof *pfds)) {
    errno = n > (nfds_t)1 << 20 ? EINVAL : EFAULT;
    return -1;
  }
  struct scratch s;
  if (scratch_init(&s, n) < 0) return -1;
  for (nfds_t i = 0; i < n; i++) {
    unsigned short e = (unsigned short)pfds[i].events;
    s.fds[i] = pfds[i].fd;
    s.want[i] = ((e & POLLIN) ? EPOLLIN : 0) | ((e & POLLOUT) ? EPOLLOUT : 0) | ((e & POLLRDHUP) ? EPOLLRDHUP : 0) |
                ((e & POLLPRI) ? EPOLLPRI : 0);
  }
  int r = wait_fds(n, s.fds, s.want, s.got, timeout);
  if (r >= 0) {
    for (nfds_t i = 0; i < n; i++) {
      uint32_t g = s.got[i];
      unsigned short re = 0;
      if (g == NVAL_BIT) re = POLLNVAL;
      else {
        if (g & (EPOLLIN | EPOLLRDNORM)) re |= POLLIN;
        if (g & (EPOLLOUT | EPOLLWRNORM)) re |= POLLOUT;
        if (g & EPOLLRDHUP) re |= POLLRDHUP;
        if (g & EPOLLPRI) re |= POLLPRI;
        if (g & EPOLLERR) re |= POLLERR;
        if (g & EPOLLHUP) re |= POLLHUP;
      }
      pfds[i].revents = (short)re;
    }
  }
  scratch_free(&s);
  return r;
}

static int do_poll(struct pollfd *pfds, nfds_t n, __wasi_timestamp_t timeout);

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout_ms) {
  return do_poll(fds, n, timeout_ms < 0 ? NO_TIMEOUT : (__wasi_timestamp_t)timeout_ms * 1000000u);
}

int __wrap_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask) {
  if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)) {
    errno = EINVAL;
    return -1;
  }
  wait_mask = mask;
  int r = do_poll(fds, n, ts ? (__wasi_timestamp_t)ts->tv_sec * 1000000000u + (__wasi_timestamp_t)ts->tv_nsec : NO_TIMEOUT);
  wait_mask = NULL;
  return r;
}

/* fd_set here is a list of fds (wasi-libc's <__fd_set.h>): the index of fd in `fds`, added (with no events yet) if new */
static size_t slot(int *fds, uint32_t *want, size_t *n, int fd) {
  for (size_t i = 0; i < *n; i++) if (fds[i] == fd) return i;
  fds[*n] = fd;
  want[*n] = 0;
  return (*n)++;
}

/* poll, ppoll, select and pselect are cancellation points (cancel.h). */
static int do_poll(struct pollfd *pfds, nfds_t n, __wasi_timestamp_t timeout) {
  return OCCLUM_CANCELLABLE(poll_events(pfds, n, timeout));
}

static int select_events(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, __wasi_timestamp_t timeout);

static int do_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, __wasi_timestamp_t timeout) {
  return OCCLUM_CANCELLABLE(select_events(nfds, rd, wr, ex, timeout));
}

static int select_events(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, __wasi_timestamp_t timeout) {
  if (nfds < 0) {
    errno = EINVAL;
    return -1;
  }
  fd_set *sets[3] = {rd, wr, ex};
  for (int k = 0; k < 3; k++) {
    if (sets[k] && occlum_bad_range(sets[k], sizeof *sets[k])) {
      errno = EFAULT;
      return -1;
    }
  }
  /* Linux: a readable set reports IN, HUP and ERR; a writable one OUT and ERR; an exceptional one PRI */
  static const uint32_t ask[3] = {EPOLLIN, EPOLLOUT, EPOLLPRI};
  static const uint32_t hit[3] = {EPOLLIN | EPOLLRDNORM | EPOLLHUP | EPOLLERR, EPOLLOUT | EPOLLWRNORM | EPOLLERR, EPOLLPRI};
  size_t cap = 0;
  for (int k = 0; k < 3; k++) if (sets[k]) cap += sets[k]->__nfds;
  struct scratch s;
  if (scratch_init(&s, cap ? cap : 1) < 0) return -1;
  size_t n = 0;
  for (int k = 0; k < 3; k++) {
    if (!sets[k]) continue;
    for (size_t j = 0; j < sets[k]->__nfds; j++) {
      int fd = sets[k]->__fds[j];
      if (fd < 0 || fd >= nfds) continue;
      s.want[slot(s.fds, s.want, &n, fd)] |= ask[k];
    }
  }
  int r = wait_fds(n, s.fds, s.want, s.got, timeout);
  if (r >= 0) {
    for (size_t i = 0; i < n; i++) {
      if (s.got[i] == NVAL_BIT) {
        scratch_free(&s);
        errno = EBADF;
        return -1;
      }
    }
    int count = 0;
    for (int k = 0; k < 3; k++) {
      if (!sets[k]) continue;
      fd_set in = *sets[k];
      FD_ZERO(sets[k]);
      for (size_t j = 0; j < in.__nfds; j++) {
        int fd = in.__fds[j];
        if (fd < 0 || fd >= nfds) continue;
        size_t i = 0;
        while (s.fds[i] != fd) i++;
        if (s.got[i] & hit[k] & (s.want[i] | EPOLLHUP | EPOLLERR | EPOLLRDNORM | EPOLLWRNORM)) {
          FD_SET(fd, sets[k]);
          count++;
        }
      }
    }
    r = count;
  }
  scratch_free(&s);
  return r;
}

static __wasi_timestamp_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (__wasi_timestamp_t)t.tv_sec * 1000000000u + (__wasi_timestamp_t)t.tv_nsec;
}

int __wrap_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv) {
  if (tv && occlum_bad_range(tv, sizeof *tv)) {
    errno = EFAULT;
    return -1;
  }
  /* Linux carries whole seconds out of tv_usec; only a negative time is EINVAL */
  if (tv && (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_sec + tv->tv_usec / 1000000 < 0)) {
    errno = EINVAL;
    return -1;
  }
  __wasi_timestamp_t t = tv ? (__wasi_timestamp_t)tv->tv_sec * 1000000000u + (__wasi_timestamp_t)tv->tv_usec * 1000u : NO_TIMEOUT;
  __wasi_timestamp_t start = tv ? now_ns() : 0;
  int r = do_select(nfds, rd, wr, ex, t);
  if (tv && r >= 0) {
    /* Linux writes back the time not slept (none after a timeout) */
    __wasi_timestamp_t spent = now_ns() - start, left = r == 0 || spent >= t ? 0 : t - spent;
    tv->tv_sec = (time_t)(left / 1000000000u);
    tv->tv_usec = (suseconds_t)(left % 1000000000u / 1000u);
  }
  return r;
}

int __wrap_pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *ts, const sigset_t *mask) {
  if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)) {
    errno = EINVAL;
    return -1;
  }
  wait_mask = mask;
  int r = do_select(nfds, rd, wr, ex, ts ? (__wasi_timestamp_t)ts->tv_sec * 1000000000u + (__wasi_timestamp_t)ts->tv_nsec : NO_TIMEOUT);
  wait_mask = NULL;
  return r;
}
