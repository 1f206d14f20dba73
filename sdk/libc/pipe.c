/*
 * pipe2() for Debian's wasix-libc, which drops its flags: O_CLOEXEC and O_NONBLOCK did nothing (a
 * child started with posix_spawn inherited pipe ends it should not have, and never saw EOF), and
 * flags Linux refuses were not refused. occlum-cc links with --wrap=pipe2 (sdk/cc/posix.ts). As
 * eventfd.c: the flags are set right after the pipe is made, not atomically with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "wrap.h"

int __real_pipe2(int fds[2], int flags);

int __wrap_pipe2(int fds[2], int flags) {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK)) {
    errno = EINVAL;
    return -1;
  }
  int p[2];
  if (__real_pipe2(p, 0) < 0) return -1;
  for (int i = 0; i < 2; i++) {
    if (((flags & O_CLOEXEC) && fcntl(p[i], F_SETFD, FD_CLOEXEC) < 0) ||
        ((flags & O_NONBLOCK) && fcntl(p[i], F_SETFL, O_NONBLOCK) < 0)) {
      int e = errno;
      close(p[0]);
      close(p[1]);
      errno = e;
      return -1;
    }
  }
  fds[0] = p[0];
  fds[1] = p[1];
  return 0;
}
