/*
 * getrlimit/setrlimit/prlimit: RLIMIT_NOFILE is finite and enforced (open fails with EMFILE at
 * rlim_cur fds, dup2 and F_DUPFD refuse fds past it), a lowered limit applies and is inherited by
 * a spawned child, Linux's errors. Prints facts that hold on any machine; test/libos/process/
 * conform-rlimit.test.ts compares them with what the same program prints on Linux (gcc -O2,
 * glibc).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#define CONFORM_ERRNO_NAMES_ONLY
#include "../conform_errno.h"

extern char **environ;

static void show(const char *what, int r) {
  if (r < 0) printf("%s: -1 %s\n", what, ename(errno));
  else printf("%s: %d\n", what, r);
}

/* Open /dev/null until it fails; returns whether every fd below `limit` was then in use (closes the new ones). */
static int fill(long limit, int *err) {
  static int fds[1 << 16];
  int n = 0;
  for (;;) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) {
      *err = errno;
      break;
    }
    fds[n++] = fd;
    if (n == (int)(sizeof fds / sizeof fds[0])) break;
  }
  int full = 1;
  for (long fd = 0; fd < limit; fd++) full &= fcntl((int)fd, F_GETFD) >= 0;
  while (n > 0) close(fds[--n]);
  return full;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct rlimit rl;
  if (argc > 1) { /* the spawned child: what it inherited */
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("child: RLIMIT_NOFILE soft %llu\n", (unsigned long long)rl.rlim_cur);
    return 0;
  }
  show("getrlimit(RLIMIT_NOFILE)", getrlimit(RLIMIT_NOFILE, &rl));
  struct rlimit orig = rl;
  printf("  soft finite: %d, soft <= hard: %d, sysconf(_SC_OPEN_MAX) is the soft limit: %d\n", rl.rlim_cur != RLIM_INFINITY, rl.rlim_cur <= rl.rlim_max,
         sysconf(_SC_OPEN_MAX) == (long)rl.rlim_cur);
  int err = 0;
  int full = fill((long)rl.rlim_cur, &err);
  printf("  opening until it fails: %s once every fd below the soft limit is in use: %d\n", ename(err), full);

  rl.rlim_cur = 64;
  show("setrlimit(RLIMIT_NOFILE, soft 64)", setrlimit(RLIMIT_NOFILE, &rl));
  struct rlimit now;
  getrlimit(RLIMIT_NOFILE, &now);
  printf("  getrlimit: soft %llu, hard unchanged: %d, sysconf(_SC_OPEN_MAX) %ld\n", (unsigned long long)now.rlim_cur, now.rlim_max == orig.rlim_max,
         sysconf(_SC_OPEN_MAX));
  full = fill(64, &err);
  printf("  opening until it fails: %s once fds 0-63 are in use: %d\n", ename(err), full);
  show("  dup2(0, 64)", dup2(0, 64));
  show("  dup2(0, 63)", dup2(0, 63));
  close(63);
  show("  fcntl(0, F_DUPFD, 64)", fcntl(0, F_DUPFD, 64));
  int f = fcntl(0, F_DUPFD, 60);
  printf("  fcntl(0, F_DUPFD, 60): %d\n", f);
  close(f);

  pid_t pid;
  char *args[] = {argv[0], "child", NULL};
  int e = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ);
  int status;
  waitpid(pid, &status, 0);
  printf("spawned child: %d, exit %d\n", e, WEXITSTATUS(status));

  rl = orig;
  rl.rlim_cur = rl.rlim_max + 1;
  show("setrlimit, soft above hard", setrlimit(RLIMIT_NOFILE, &rl));
  show("setrlimit back to the original", setrlimit(RLIMIT_NOFILE, &orig));
  getrlimit(RLIMIT_NOFILE, &now);
  printf("  soft is the original again: %d\n", now.rlim_cur == orig.rlim_cur);
  show("getrlimit(RLIMIT_NLIMITS)", getrlimit(RLIMIT_NLIMITS, &rl));
  show("setrlimit(RLIMIT_NLIMITS)", setrlimit(RLIMIT_NLIMITS, &orig));
  struct rlimit old;
  show("prlimit(0, RLIMIT_NOFILE, NULL, &old)", prlimit(0, RLIMIT_NOFILE, NULL, &old));
  printf("  old is getrlimit's: %d\n", old.rlim_cur == now.rlim_cur && old.rlim_max == now.rlim_max);
  show("prlimit of a pid nobody has", prlimit(0x3ffffff0, RLIMIT_NOFILE, NULL, &old));
  show("getrlimit(RLIMIT_NPROC)", getrlimit(RLIMIT_NPROC, &rl));
  show("getrlimit(RLIMIT_STACK)", getrlimit(RLIMIT_STACK, &rl));
  printf("  soft 8 MiB, hard unlimited: %d\n", rl.rlim_cur == 8u << 20 && rl.rlim_max == RLIM_INFINITY);
  show("getrlimit(RLIMIT_AS)", getrlimit(RLIMIT_AS, &rl));
  printf("  unlimited: %d\n", rl.rlim_cur == RLIM_INFINITY && rl.rlim_max == RLIM_INFINITY);
  rl.rlim_cur = rl.rlim_max = 1 << 20;
  show("setrlimit(RLIMIT_CORE, 1 MiB)", setrlimit(RLIMIT_CORE, &rl));
  getrlimit(RLIMIT_CORE, &now);
  printf("  getrlimit(RLIMIT_CORE) then: %llu %llu\n", (unsigned long long)now.rlim_cur, (unsigned long long)now.rlim_max);
  return 0;
}
