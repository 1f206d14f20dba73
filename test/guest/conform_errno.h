/*
 * What the differential conformance programs print of a call (test/libos/linux-conformance.ts):
 * errno names, and show()'s "what: result" or "what: -1 ENAME" line. One table for all of them:
 * a name a program never meets costs nothing, and "E?" in an output would say one is missing.
 * Define CONFORM_ERRNO_NAMES_ONLY for ename() alone (programs that print their results another way).
 */
#ifndef CONFORM_ERRNO_H
#define CONFORM_ERRNO_H
#include <errno.h>
#include <stdio.h>

static const char *ename(int e) {
  switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENOSPC: return "ENOSPC";
    case EDEADLK: return "EDEADLK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case EMSGSIZE: return "EMSGSIZE";
    case ETIMEDOUT: return "ETIMEDOUT";
    default: return "E?";
  }
}

#ifndef CONFORM_ERRNO_NAMES_ONLY
static void show(const char *what, long r) {
  if (r < 0) printf("%s: -1 %s\n", what, ename(errno));
  else printf("%s: %ld\n", what, r);
}
#endif

#endif
