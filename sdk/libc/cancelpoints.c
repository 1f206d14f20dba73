/*
 * Deferred cancellation at the blocking file and process calls POSIX makes cancellation points
 * (occlum-cc links with --wrap for each; sdk/cc/posix.ts). The libc's own versions are not: a
 * thread blocked in read() on a pipe, or reaching read() with a cancellation pending, never
 * ended (pthread_cancel's signal made the read return EINTR to the program instead). Each
 * wrapper acts on a pending cancellation before the call and after an EINTR (cancel.h
 * OCCLUM_CANCELLABLE). The socket calls are in sockets.c, poll/select in poll.c, epoll_wait in
 * epoll.c, sleeps in signals.c, futex waits in timedwait.c, fcntl's F_SETLKW in locks.c. open,
 * openat, creat, tcdrain and msync act on a pending cancellation at their start (they never block
 * on the files the kernel has).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cancel.h"

ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_readv(int fd, const struct iovec *iov, int cnt);
ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __real_writev(int fd, const struct iovec *iov, int cnt);
ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
int __real_close(int fd);
int __real_fsync(int fd);
int __real_fdatasync(int fd);
pid_t __real_waitpid(pid_t pid, int *status, int options);
int __real_open(const char *path, int flags, ...);
int __real_openat(int dirfd, const char *path, int flags, ...);
int __real_creat(const char *path, mode_t mode);
pid_t __real_wait(int *status);
int __real_tcdrain(int fd);
int __real_msync(void *addr, size_t len, int flags);

ssize_t __wrap_read(int fd, void *buf, size_t n) {
  return OCCLUM_CANCELLABLE(__real_read(fd, buf, n));
}

ssize_t __wrap_readv(int fd, const struct iovec *iov, int cnt) {
  return OCCLUM_CANCELLABLE(__real_readv(fd, iov, cnt));
}

ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off) {
  return OCCLUM_CANCELLABLE(__real_pread(fd, buf, n, off));
}

ssize_t __wrap_write(int fd, const void *buf, size_t n) {
  return OCCLUM_CANCELLABLE(__real_write(fd, buf, n));
}

ssize_t __wrap_writev(int fd, const struct iovec *iov, int cnt) {
  return OCCLUM_CANCELLABLE(__real_writev(fd, iov, cnt));
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off) {
  return OCCLUM_CANCELLABLE(__real_pwrite(fd, buf, n, off));
}

/* A cancellation pending at close() acts before the descriptor is closed (as glibc's does). */
int __wrap_close(int fd) {
  occlum_cancel_point();
  return __real_close(fd);
}

int __wrap_fsync(int fd) {
  return OCCLUM_CANCELLABLE(__real_fsync(fd));
}

int __wrap_fdatasync(int fd) {
  return OCCLUM_CANCELLABLE(__real_fdatasync(fd));
}

pid_t __wrap_waitpid(pid_t pid, int *status, int options) {
  return OCCLUM_CANCELLABLE(__real_waitpid(pid, status, options));
}

pid_t __wrap_wait(int *status) {
  return OCCLUM_CANCELLABLE(__real_wait(status));
}

/* The mode is read only when the call creates a file, as the libc's own open does. */
static mode_t mode_of(int flags, va_list ap) {
  return (flags & O_CREAT) ? va_arg(ap, mode_t) : 0;
}

int __wrap_open(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_of(flags, ap);
  va_end(ap);
  return OCCLUM_CANCELLABLE(__real_open(path, flags, mode));
}

int __wrap_openat(int dirfd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_of(flags, ap);
  va_end(ap);
  return OCCLUM_CANCELLABLE(__real_openat(dirfd, path, flags, mode));
}

int __wrap_creat(const char *path, mode_t mode) {
  return OCCLUM_CANCELLABLE(__real_creat(path, mode));
}

int __wrap_tcdrain(int fd) {
  return OCCLUM_CANCELLABLE(__real_tcdrain(fd));
}

int __wrap_msync(void *addr, size_t len, int flags) {
  return OCCLUM_CANCELLABLE(__real_msync(addr, len, flags));
}
