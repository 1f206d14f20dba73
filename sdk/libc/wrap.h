/*
 * What several sdk/libc wrappers need of the same kind (epoll.c, poll.c, sockets.c): the check
 * for a range the kernel could not copy, a wait's signal mask as the kernel takes it, and
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
 * The signal mask of epoll_pwait/ppoll/pselect as the kernel takes it (occlum.ppoll,
 * occlum.epoll_pwait): the first 64 bits of sigset_t, bit sig-1, applied for the wait atomically.
 */
static inline uint64_t occlum_wait_mask(const sigset_t *mask) {
  uint64_t m;
  __builtin_memcpy(&m, mask, sizeof m);
  return m;
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
