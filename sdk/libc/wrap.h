/*
 * What several sdk/libc wrappers need of the same kind (epoll.c, poll.c, sockets.c): the check
 * for a range the kernel could not copy, a signal mask applied for the duration of one wait, and
 * dropping a new fd whose flags could not be set.
 */
#ifndef OCCLUM_WRAP_H
#define OCCLUM_WRAP_H
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <wasi/api_wasix.h>

/*
 * A range the kernel could not copy: NULL or past the end of memory. Linux returns EFAULT for
 * it; a wrapper that reads or writes the range itself would trap instead (and kill the process).
 */
static inline int occlum_bad_range(const void *p, size_t len) {
  uintptr_t a = (uintptr_t)p, end = __builtin_wasm_memory_size(0) * (uintptr_t)65536;
  return len != 0 && (a == 0 || len > end || a > end - len);
}

/*
 * The signal mask of epoll_pwait/ppoll/pselect, for the wait only. Linux swaps it in the kernel,
 * atomically; here the thread's mask is swapped around the wait, so a signal that the new mask
 * unblocks and that is already pending runs its handler before the wait starts instead of ending
 * it with EINTR. occlum_mask_begin: 0, or -1 and errno (the wait must not run); no mask: nothing.
 */
static inline int occlum_mask_begin(const sigset_t *mask, sigset_t *old) {
  return mask && pthread_sigmask(SIG_SETMASK, mask, old) != 0 ? -1 : 0;
}

/* Restore the mask occlum_mask_begin replaced; returns r, errno kept. */
static inline int occlum_mask_end(const sigset_t *mask, const sigset_t *old, int r) {
  if (mask) {
    int e = errno;
    pthread_sigmask(SIG_SETMASK, old, 0);
    errno = e;
  }
  return r;
}

/*
 * A descriptor just made whose flags (SOCK_NONBLOCK, SOCK_CLOEXEC, EPOLL_CLOEXEC) could not be
 * set: closed, so the call fails whole as on Linux; returns -1 with the fcntl's errno kept.
 */
static inline int occlum_close_failed(int fd) {
  int e = errno;
  (void)__wasi_fd_close((__wasi_fd_t)fd);
  errno = e;
  return -1;
}
#endif
