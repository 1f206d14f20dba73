/* The instance's first process stops itself, with nobody in the LibOS to continue it:
 * raise(SIGSTOP) (no argument), raise(SIGTSTP) ("tstp"), kill(getpid(), SIGSTOP) ("kill"); with
 * "child", a child it spawned continues it once /proc says it is stopped (role "cont"). */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char state_of(pid_t pid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return '?';
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *rp = strrchr(buf, ')');
  return rp && rp[1] == ' ' ? rp[2] : '?';
}

int main(int argc, char **argv) {
  const char *how = argc > 1 ? argv[1] : "";
  if (!strcmp(how, "cont")) {
    pid_t parent = getppid();
    for (int i = 0; i < 1000 && state_of(parent) != 'T'; i++) {
      struct timespec ts = {0, 10 * 1000000L};
      nanosleep(&ts, NULL);
    }
    return kill(parent, SIGCONT) == 0 ? 0 : 1;
  }
  pid_t kid = -1;
  if (!strcmp(how, "child")) {
    char *args[] = {argv[0], "cont", NULL};
    if (posix_spawn(&kid, argv[0], NULL, NULL, args, environ) != 0) return 2;
  }
  printf("before\n");
  fflush(stdout);
  if (!strcmp(how, "tstp")) raise(SIGTSTP);
  else if (!strcmp(how, "kill")) kill(getpid(), SIGSTOP);
  else raise(SIGSTOP);
  if (kid > 0) {
    int st = 0;
    waitpid(kid, &st, 0);
    printf("child: %s %d\n", WIFEXITED(st) ? "exited" : "status", WIFEXITED(st) ? WEXITSTATUS(st) : st);
  }
  printf("after\n");
  return 0;
}
