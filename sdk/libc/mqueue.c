/*
 * POSIX message queues (mq_open, mq_close, mq_unlink, mq_send, mq_timedsend, mq_receive,
 * mq_timedreceive, mq_getattr, mq_setattr, mq_notify), which wasix-libc declares in <mqueue.h>
 * without defining, over the kernel's (occlum.mq_*, src/libos/ipc/mqueue.ts). As on Linux an
 * mqd_t is a file descriptor (close, poll, epoll, FD_CLOEXEC); the kernel checks names, bounds,
 * timeouts and pointers (EFAULT, where glibc's wrappers would crash on a bad sigevent or name).
 * SIGEV_THREAD: the kernel fires a token that a thread made here at registration waits on, with
 * every signal blocked; it then unblocks them and calls the function, as glibc's notification
 * thread does. The sends and receives are cancellation points (cancel.h), mq_close is not.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cancel.h"
#include "sigevthread.h"
#include "wrap.h"

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))
int32_t __occlum_mq_open(const char *name, int32_t oflag, int32_t mode, const struct mq_attr *attr, uint32_t *fd) OCCLUM_IMPORT(mq_open);
int32_t __occlum_mq_unlink(const char *name) OCCLUM_IMPORT(mq_unlink);
int32_t __occlum_mq_timedsend(int32_t fd, const char *msg, uint32_t len, uint32_t prio, const struct timespec *ts) OCCLUM_IMPORT(mq_timedsend);
int32_t __occlum_mq_timedreceive(int32_t fd, char *buf, uint32_t len, unsigned *prio, const struct timespec *ts, uint32_t *n) OCCLUM_IMPORT(mq_timedreceive);
int32_t __occlum_mq_getsetattr(int32_t fd, int32_t nonblock, int32_t *old) OCCLUM_IMPORT(mq_getsetattr);
int32_t __occlum_mq_notify(int32_t fd, int32_t notify, int32_t signo, int32_t value, uint32_t *token) OCCLUM_IMPORT(mq_notify);
int32_t __occlum_mq_notify_wait(int32_t token) OCCLUM_IMPORT(mq_notify_wait);

int __real_close(int fd);

/* Linux's open flags, as the kernel's mq_open takes them. */
#define LX_O_WRONLY 1
#define LX_O_RDWR 2
#define LX_O_CREAT 0x40
#define LX_O_EXCL 0x80
#define LX_O_NONBLOCK 0x800
#define NOTIFY_REMOVE (-1)

static int fail(int e) {
  errno = e;
  return -1;
}

mqd_t mq_open(const char *name, int flags, ...) {
  mode_t mode = 0;
  struct mq_attr *attr = NULL;
  if (flags & O_CREAT) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, mode_t);
    attr = va_arg(ap, struct mq_attr *);
    va_end(ap);
  }
  /* The libc's O_RDONLY and O_WRONLY are bits of their own (O_RDWR is both); no bit reads. */
  int lx = (flags & O_RDWR) == O_RDWR ? LX_O_RDWR : (flags & O_WRONLY) ? LX_O_WRONLY : 0;
  if (flags & O_CREAT) lx |= LX_O_CREAT;
  if (flags & O_EXCL) lx |= LX_O_EXCL;
  if (flags & O_NONBLOCK) lx |= LX_O_NONBLOCK;
  uint32_t fd = 0;
  int32_t e = __occlum_mq_open(name, lx, (int32_t)mode, attr, &fd);
  return e ? fail(e) : (mqd_t)fd;
}

/* close(2) itself, not the cancellation point the wrapped close() is (glibc's mq_close is not one). */
int mq_close(mqd_t q) { return __real_close(q); }

int mq_unlink(const char *name) {
  int32_t e = __occlum_mq_unlink(name);
  return e ? fail(e) : 0;
}

static int timedsend(mqd_t q, const char *msg, size_t len, unsigned prio, const struct timespec *ts) {
  int32_t e = __occlum_mq_timedsend(q, msg, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len, prio, ts);
  return e ? fail(e) : 0;
}

static ssize_t timedreceive(mqd_t q, char *buf, size_t len, unsigned *prio, const struct timespec *ts) {
  uint32_t n = 0;
  int32_t e = __occlum_mq_timedreceive(q, buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len, prio, ts, &n);
  return e ? fail(e) : (ssize_t)n;
}

int mq_timedsend(mqd_t q, const char *msg, size_t len, unsigned prio, const struct timespec *ts) {
  return OCCLUM_CANCELLABLE(timedsend(q, msg, len, prio, ts));
}

int mq_send(mqd_t q, const char *msg, size_t len, unsigned prio) {
  return OCCLUM_CANCELLABLE(timedsend(q, msg, len, prio, NULL));
}

ssize_t mq_timedreceive(mqd_t q, char *restrict buf, size_t len, unsigned *restrict prio, const struct timespec *restrict ts) {
  return OCCLUM_CANCELLABLE(timedreceive(q, buf, len, prio, ts));
}

ssize_t mq_receive(mqd_t q, char *buf, size_t len, unsigned *prio) {
  return OCCLUM_CANCELLABLE(timedreceive(q, buf, len, prio, NULL));
}

/* Linux's order: the new flags (EFAULT, EINVAL for any bit but O_NONBLOCK), the descriptor, the old ones. */
int mq_setattr(mqd_t q, const struct mq_attr *restrict new, struct mq_attr *restrict old) {
  int32_t nonblock = -1;
  if (new) {
    if (occlum_bad_range(new, sizeof *new)) return fail(EFAULT);
    if (new->mq_flags & ~(long)O_NONBLOCK) return fail(EINVAL);
    nonblock = (new->mq_flags & O_NONBLOCK) != 0;
  }
  int32_t was[4];
  int32_t e = __occlum_mq_getsetattr(q, nonblock, was);
  if (e) return fail(e);
  if (old) {
    if (occlum_bad_range(old, sizeof *old)) return fail(EFAULT);
    memset(old, 0, sizeof *old);
    old->mq_flags = was[0] ? O_NONBLOCK : 0;
    old->mq_maxmsg = was[1];
    old->mq_msgsize = was[2];
    old->mq_curmsgs = was[3];
  }
  return 0;
}

int mq_getattr(mqd_t q, struct mq_attr *attr) { return mq_setattr(q, NULL, attr); }

/* SIGEV_THREAD: one notification, then the registration is gone (Linux's rule). */
static void notify_once(const struct occlum_notifier *n) {
  int32_t e;
  while ((e = __occlum_mq_notify_wait(n->id)) == EINTR) {
  }
  if (e) return; /* the registration went without a notification */
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, NULL);
  n->fn(n->value);
}

int mq_notify(mqd_t q, const struct sigevent *ev) {
  uint32_t token = 0;
  if (!ev) {
    int32_t e = __occlum_mq_notify(q, NOTIFY_REMOVE, 0, 0, &token);
    return e ? fail(e) : 0;
  }
  if (occlum_bad_range(ev, sizeof *ev)) return fail(EFAULT);
  int32_t e = __occlum_mq_notify(q, ev->sigev_notify, ev->sigev_signo, ev->sigev_value.sival_int, &token);
  if (e) return fail(e);
  if (ev->sigev_notify != SIGEV_THREAD) return 0;
  if (occlum_sigev_thread(ev, (int32_t)token, notify_once) != 0) {
    uint32_t none;
    __occlum_mq_notify(q, NOTIFY_REMOVE, 0, 0, &none);
    __occlum_mq_notify_wait((int32_t)token); /* ECANCELED at once: the kernel forgets the token */
    return fail(EAGAIN);
  }
  return 0;
}
