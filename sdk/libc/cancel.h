/*
 * Deferred cancellation (sdk/libc/threads.c) as the wait and sleep wrappers see it. The cancel
 * flag is read inline: every futex wait passes two cancellation points, and a call per point
 * made a mutex+condvar hand-over ~5% slower. Only a thread with a cancellation pending calls
 * __occlum_cancel_point, which acts on it.
 */
#ifndef OCCLUM_CANCEL_H
#define OCCLUM_CANCEL_H
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

/* musl's struct pthread in this (sha256-pinned) libc: `cancel` is the int at byte 32. */
#define OCCLUM_CANCEL_WORD 8

int __occlum_cancel_point(void);

static inline int occlum_cancel_requested(void) {
  return __atomic_load_n((volatile int *)(uintptr_t)pthread_self() + OCCLUM_CANCEL_WORD, __ATOMIC_RELAXED);
}

/* 0 when no cancellation is pending; else what __occlum_cancel_point says (it may end the thread). */
static inline int occlum_cancel_point(void) { return occlum_cancel_requested() ? __occlum_cancel_point() : 0; }

/*
 * `call`, a blocking call POSIX makes a cancellation point (read, write, accept, recv, poll...;
 * cancelpoints.c, sockets.c, poll.c, epoll.c): a cancellation pending at its start acts there;
 * one requested while it blocks comes as pthread_cancel's signal, which ends the call with EINTR,
 * and acts then. Otherwise the call's result and errno are the caller's.
 */
#define OCCLUM_CANCELLABLE(call)                        \
  __extension__({                                       \
    occlum_cancel_point();                              \
    __typeof__(call) occlum_r_ = (call);                \
    if (occlum_r_ < 0 && errno == EINTR) occlum_cancel_point(); \
    occlum_r_;                                          \
  })
#endif
