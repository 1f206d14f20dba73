/*
 * File locks for Debian's wasix-libc, which has none: fcntl's lock commands are hidden and
 * rejected, flock() is declared but not defined, lockf() is neither. The kernel keeps the locks
 * (src/libos/fs/locks.ts) behind two occlum imports: file_lock (fcntl's F_GETLK, F_SETLK,
 * F_SETLKW and their F_OFD_ forms) and flock. fcntl is wrapped (occlum-cc links with
 * --wrap=fcntl): the lock commands go to the kernel, every other command to the libc's fcntl.
 * F_SETLKW and F_OFD_SETLKW are cancellation points, as in glibc (cancel.h); flock is not (glibc
 * and musl): pthread_cancel's signal does not end its wait.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/file.h>
#include <unistd.h>

#include "cancel.h"

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))

int32_t __occlum_file_lock(int32_t fd, int32_t cmd, struct flock *fl) OCCLUM_IMPORT(file_lock);
int32_t __occlum_flock(int32_t fd, int32_t op) OCCLUM_IMPORT(flock);

int __real_fcntl(int fd, int cmd, ...);

_Static_assert(sizeof(struct flock) == 32 && __builtin_offsetof(struct flock, l_start) == 8 &&
                   __builtin_offsetof(struct flock, l_len) == 16 && __builtin_offsetof(struct flock, l_pid) == 24,
               "struct flock as the kernel reads it (src/libos/syscall/occlum/lock-rows.ts)");

/* file_lock's command numbers (lock-rows.ts LockCmd), or -1 for a command that is not a lock's. */
static int lock_cmd(int cmd) {
  switch (cmd) {
    case F_GETLK: return 0;
    case F_SETLK: return 1;
    case F_SETLKW: return 2;
    case F_OFD_GETLK: return 3;
    case F_OFD_SETLK: return 4;
    case F_OFD_SETLKW: return 5;
    default: return -1;
  }
}

static int file_lock(int fd, int k, struct flock *fl) {
  int wait = k == 2 || k == 5;
  if (wait) occlum_cancel_point();
  int e = __occlum_file_lock(fd, k, fl);
  if (e == EINTR && wait) occlum_cancel_point();
  if (e) { errno = e; return -1; }
  return 0;
}

int __wrap_fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  /* As the libc's fcntl: the argument is read as a word whether the command takes one or not. */
  unsigned long arg = va_arg(ap, unsigned long);
  va_end(ap);
  int k = lock_cmd(cmd);
  if (k >= 0) return file_lock(fd, k, (struct flock *)arg);
  return __real_fcntl(fd, cmd, arg);
}

int flock(int fd, int op) {
  int e;
  /* An EINTR with a cancellation pending came from pthread_cancel's signal (Linux restarts). */
  while ((e = __occlum_flock(fd, op)) == EINTR && occlum_cancel_requested()) {}
  if (e) { errno = e; return -1; }
  return 0;
}

/* lockf: a POSIX write lock on [offset, offset + len) (len 0: to the end; negative: before it). */
int lockf(int fd, int op, off_t len) {
  struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_CUR, .l_start = 0, .l_len = len, .l_pid = 0 };
  switch (op) {
    case F_TEST:
      fl.l_type = F_RDLCK;
      if (fcntl(fd, F_GETLK, &fl) < 0) return -1;
      if (fl.l_type == F_UNLCK || fl.l_pid == getpid()) return 0;
      errno = EACCES;
      return -1;
    case F_ULOCK:
      fl.l_type = F_UNLCK;
      return fcntl(fd, F_SETLK, &fl);
    case F_TLOCK:
      return fcntl(fd, F_SETLK, &fl);
    case F_LOCK:
      return fcntl(fd, F_SETLKW, &fl);
    default:
      errno = EINVAL;
      return -1;
  }
}
