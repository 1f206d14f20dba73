/* A signal to a process that never blocks: one computing in a loop, one making only
 * non-blocking syscalls (getpid, clock_gettime). The handler must run promptly (at the next
 * preemption check or syscall return), not when the process next blocks; it never does here.
 * The parent gives each child 10 s before it calls it stuck and kills it. */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static volatile sig_atomic_t got;
static void on(int s) { (void)s; got = 1; }

static void sleep_ms(int ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

static const char *run(const char *mode) {
  char *argv[] = { "/bin/sigbusy", (char *)mode, NULL };
  pid_t pid;
  if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) return "spawn failed";
  sleep_ms(50); /* the child is in its loop by now: it only runs when we wait */
  kill(pid, SIGUSR1);
  int st;
  for (int i = 0; i < 1000; i++) {
    if (waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "handled" : "bad status";
    sleep_ms(10);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
  return "stuck";
}

int main(int argc, char **argv) {
  if (argc > 1) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on;
    sigaction(SIGUSR1, &sa, NULL);
    if (!strcmp(argv[1], "compute")) {
      volatile unsigned long x = 0;
      while (!got) x++;
    } else {
      struct timespec ts;
      while (!got) { getpid(); clock_gettime(CLOCK_MONOTONIC, &ts); }
    }
    return 0;
  }
  printf("compute: %s\n", run("compute"));
  printf("syscalls: %s\n", run("syscalls"));
  return 0;
}
