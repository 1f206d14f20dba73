/*
 * eventfd() for Debian's wasix-libc, which passes its flags to fd_event cut to 16 bits: EFD_CLOEXEC
 * (O_CLOEXEC, bit 30) was lost, and flags Linux refuses were not refused. occlum-cc links with
 * --wrap=eventfd (sdk/cc/posix.ts); the kernel side is src/libos/ipc/eventfd.ts.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>

#include "wrap.h"

int __real_eventfd(unsigned int count, int flags);

int __wrap_eventfd(unsigned int count, int flags) {
  if (flags & ~(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC)) {
    errno = EINVAL;
    return -1;
  }
  int fd = __real_eventfd(count, flags & ~EFD_CLOEXEC);
  if (fd >= 0 && (flags & EFD_CLOEXEC) && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return occlum_close_failed(fd);
  return fd;
}
