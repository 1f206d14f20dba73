/* Process groups: POSIX_SPAWN_SETPGROUP (0 = a new group led by the child, or an existing
 * group), getpgid/getpgrp/setpgid through the kernel, kill(-pgid) reaching exactly that group,
 * waitpid(-pgid) and waitpid(0) selecting by group, and the errors (ESRCH, EPERM, ECHILD). */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static pid_t spawn_in(int flags, pid_t pgroup) {
  char *argv[] = { "/bin/child", "sleep", "100000", NULL };
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, flags);
  posix_spawnattr_setpgroup(&attr, pgroup);
  pid_t pid;
  int e = posix_spawn(&pid, argv[0], NULL, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  return e ? -e : pid;
}

static const char *err(long r) { return r >= 0 ? "ok" : strerror(errno); }

int main(void) {
  pid_t me = getpid(), mine = getpgrp();
  printf("self: pgrp is pid %d, getpgid(0) same %d\n", mine == me, getpgid(0) == mine);

  pid_t a = spawn_in(POSIX_SPAWN_SETPGROUP, 0);   /* leads a new group */
  pid_t b = spawn_in(POSIX_SPAWN_SETPGROUP, a);   /* joins a's group */
  pid_t c = spawn_in(0, 0);                       /* stays in ours */
  pid_t d = spawn_in(POSIX_SPAWN_SETPGROUP, 0);   /* another new group */
  printf("groups: a %d b %d c %d d %d\n", getpgid(a) == a, getpgid(b) == a, getpgid(c) == mine, getpgid(d) == d);
  printf("bad group: %s\n", spawn_in(POSIX_SPAWN_SETPGROUP, 99999) == -EPERM ? "EPERM" : "?");

  /* kill(-a) reaches a and b only; waitpid(-a) reaps exactly them */
  int st, n = 0, other = 0;
  kill(-a, SIGTERM);
  for (int i = 0; i < 2; i++) {
    pid_t r = waitpid(-a, &st, 0);
    if ((r == a || r == b) && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM) n++;
    else other++;
  }
  pid_t r = waitpid(-a, &st, WNOHANG);
  printf("kill -a: %d killed, %d other, then %s\n", n, other, r < 0 && errno == ECHILD ? "ECHILD" : "?");
  printf("c and d alive: %d %d\n", waitpid(c, &st, WNOHANG) == 0, waitpid(d, &st, WNOHANG) == 0);

  /* waitpid(0): only children in our group */
  kill(d, SIGKILL);
  struct timespec ts = { 0, 50 * 1000000L };
  nanosleep(&ts, NULL);
  r = waitpid(0, &st, WNOHANG);
  printf("waitpid(0) with d dead, c alive: %d\n", r);
  kill(c, SIGKILL);
  r = waitpid(0, &st, 0);
  printf("waitpid(0): c %d\n", r == c);
  r = waitpid(0, &st, WNOHANG);
  printf("waitpid(0) again: %s\n", r < 0 && errno == ECHILD ? "ECHILD" : "?");
  r = waitpid(-d, &st, 0);
  printf("waitpid(-d): d %d signal %d\n", r == d, WIFSIGNALED(st) ? WTERMSIG(st) : 0);

  /* setpgid: a child into a new group, then into ours; errors */
  pid_t e = spawn_in(0, 0);
  int r1 = setpgid(e, 0);
  int g1 = getpgid(e);
  int r2 = setpgid(e, mine);
  printf("setpgid child: %d %d, %d %d\n", r1, g1 == e, r2, getpgid(e) == mine);
  int r3 = setpgid(e, 99999);
  printf("setpgid to no group: %d %s\n", r3, err(r3));
  int r4 = setpgid(1234, 0);
  printf("setpgid non-child: %d %s\n", r4, err(r4));
  int r5 = getpgid(99999);
  printf("getpgid unknown: %d %s\n", r5, err(r5));
  int r6 = kill(-99999, SIGTERM);
  printf("kill empty group: %d %s\n", r6, err(r6));
  kill(e, SIGKILL);
  waitpid(e, &st, 0);

  /* setpgrp(): lead a group of our own (we already do: pid 1 starts as its group's leader) */
  setpgrp();
  printf("setpgrp: pgrp is pid %d\n", getpgrp() == me);
  return 0;
}
