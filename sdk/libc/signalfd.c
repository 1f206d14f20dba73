/*
 * signalfd, which wasix-libc lacks (sdk/include/sys/signalfd.h), over the kernel's
 * (occlum.signalfd, src/libos/process/signalfd.ts): reads give 128-byte signalfd_siginfo records
 * of the mask's pending signals, poll/select/epoll see them. EINVAL for unknown flags, as Linux.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/signalfd.h>

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))
int32_t __occlum_signalfd(int32_t fd, uint64_t mask, int32_t nonblock, int32_t cloexec, uint32_t *out) OCCLUM_IMPORT(signalfd);

_Static_assert(sizeof(struct signalfd_siginfo) == 128, "Linux's signalfd_siginfo is 128 bytes");

int signalfd(int fd, const sigset_t *mask, int flags) {
  if (flags & ~(SFD_NONBLOCK | SFD_CLOEXEC)) {
    errno = EINVAL;
    return -1;
  }
  uint64_t bits;
  memcpy(&bits, mask, sizeof bits); /* the kernel's sets are the first 64 bits (signals 1-64) */
  uint32_t out = 0;
  int32_t e = __occlum_signalfd(fd, bits, (flags & SFD_NONBLOCK) != 0, (flags & SFD_CLOEXEC) != 0, &out);
  if (e) {
    errno = e;
    return -1;
  }
  return (int)out;
}
