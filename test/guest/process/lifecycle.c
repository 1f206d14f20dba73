/* Life cycle: a looping child killed by its parent (SIGKILL), a trapping sibling, a third
 * that still exits normally; kill(0)-style group kill of two sleepers via kill(-pgid);
 * an orphan: `lifecycle orphan` spawns a child that spawns a long sleeper and exits at once. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "wait_status.h"

extern char **environ;

static pid_t spawn(const char *prog, const char *a1, const char *a2) {
  char *argv[] = { (char *)prog, (char *)a1, (char *)a2, NULL };
  pid_t pid;
  if (posix_spawn(&pid, prog, NULL, NULL, argv, environ) != 0) return -1;
  return pid;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "orphan")) {
    pid_t p = spawn("/bin/child", "sleep", "100000");
    printf("orphan parent spawned %d\n", p > 0);
    return 0;
  }
  int st;
  pid_t loop = spawn("/bin/child", "loop", NULL);
  pid_t trap = spawn("/bin/child", "trap", NULL);
  pid_t fine = spawn("/bin/child", "sleep", "30");
  waitpid(trap, &st, 0);
  printf("trap: %s\n", desc(st));
  kill(loop, SIGKILL);
  waitpid(loop, &st, 0);
  printf("loop: %s\n", desc(st));
  waitpid(fine, &st, 0);
  printf("fine: %s\n", desc(st));
  /* kill(pid, 0) probes; a reaped pid is ESRCH */
  /* procfs shows every process; an exited child stays there as a zombie until waited for */
  pid_t z = spawn("/bin/child", "exit", "0");
  usleep(20000);
  char path[64], text[512];
  snprintf(path, sizeof path, "/proc/%d/status", (int)z);
  FILE *f = fopen(path, "r");
  size_t k = f ? fread(text, 1, sizeof text - 1, f) : 0;
  text[k] = 0;
  if (f) fclose(f);
  printf("zombie in procfs: %s\n", strstr(text, "State:\tZ") ? "yes" : "no");
  waitpid(z, &st, 0);
  f = fopen(path, "r");
  printf("gone after wait: %s\n", !f && errno == ENOENT ? "yes" : "no");
  /* SIGTERM to a sleeping child */
  pid_t s = spawn("/bin/child", "sleep", "100000");
  kill(s, SIGTERM);
  waitpid(s, &st, 0);
  printf("term: %s\n", desc(st));
  /* orphans: the middle process exits; its child is re-parented to us (init, pid 1) */
  pid_t mid = spawn("/bin/lifecycle", "orphan", NULL);
  waitpid(mid, &st, 0);
  printf("mid: %s\n", desc(st));
  pid_t r = waitpid(-1, &st, WNOHANG);
  printf("orphan adopted, running: %s\n", r == 0 ? "yes" : "no");
  kill(-1, SIGKILL); /* everyone but init (us) */
  r = wait(&st);
  printf("orphan reaped by init: %s, %s\n", r > 0 ? "yes" : "no", desc(st));
  printf("ppid of init: %d, pid %d\n", (int)getppid(), (int)getpid());
  /* the app's main exits with children still running: occlum run returns at once, they die */
  spawn("/bin/child", "loop", NULL);
  spawn("/bin/child", "sleep", "100000");
  return 4;
}
