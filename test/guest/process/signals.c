/* Signals: handlers (sigaction) for kill to self and from another process, a blocked read
 * interrupted (EINTR), SIG_IGN, SIGCHLD on child exit, SIGPIPE (default kills the writer;
 * ignored: EPIPE), kill of a process group, default actions as waitpid sees them. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "wait_status.h"

extern char **environ;
static volatile sig_atomic_t got[65];

static void on(int sig) { got[sig]++; }

static pid_t spawn(const char *prog, const char *a1, const char *a2) {
  char *argv[] = { (char *)prog, (char *)a1, (char *)a2, NULL };
  pid_t pid;
  if (posix_spawn(&pid, prog, NULL, NULL, argv, environ) != 0) return -1;
  return pid;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "writer")) {
    /* write into a pipe whose reader is gone */
    if (argc > 2) signal(SIGPIPE, SIG_IGN);
    int p[2];
    pipe(p);
    close(p[0]);
    ssize_t w = write(p[1], "x", 1);
    printf("writer: %zd %s\n", w, w < 0 && errno == EPIPE ? "EPIPE" : "?");
    return 0;
  }
  if (argc > 1 && !strcmp(argv[1], "reader")) {
    /* block in read until a signal: the handler runs and read fails with EINTR */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on;
    sigaction(SIGUSR1, &sa, NULL);
    int p[2];
    pipe(p);
    char c;
    ssize_t r = read(p[0], &c, 1);
    printf("reader: %zd %s handler %d\n", r, r < 0 && errno == EINTR ? "EINTR" : "?", got[SIGUSR1]);
    return 0;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGCHLD, &sa, NULL);
  kill(getpid(), SIGUSR1);
  printf("kill self: %d\n", got[SIGUSR1]);
  signal(SIGTERM, SIG_IGN);
  kill(getpid(), SIGTERM);
  printf("ignored term: alive\n");
  int st;
  pid_t c = spawn("/bin/child", "exit", "0");
  waitpid(c, &st, 0);
  printf("sigchld: %d\n", got[SIGCHLD] > 0);
  /* a child blocked in read gets SIGUSR1: handler + EINTR */
  pid_t r = spawn("/bin/signals", "reader", NULL);
  usleep(50000);
  kill(r, SIGUSR1);
  waitpid(r, &st, 0);
  printf("reader status: %s\n", desc(st));
  fflush(stdout);
  /* SIGPIPE: default action kills the writer; ignored, write fails with EPIPE */
  pid_t w = spawn("/bin/signals", "writer", NULL);
  waitpid(w, &st, 0);
  printf("writer default: %s\n", desc(st));
  fflush(stdout);
  w = spawn("/bin/signals", "writer", "ign");
  waitpid(w, &st, 0);
  printf("writer ignoring: %s\n", desc(st));
  /* default actions as waitpid sees them */
  pid_t s = spawn("/bin/child", "sleep", "100000");
  kill(s, SIGUSR2);
  waitpid(s, &st, 0);
  printf("usr2 default: %s\n", desc(st));
  s = spawn("/bin/child", "sleep", "100000");
  kill(s, SIGINT);
  waitpid(s, &st, 0);
  printf("int default: %s\n", desc(st));
  /* SIG_IGN is inherited by a spawned child; a handler is reset to the default action */
  s = spawn("/bin/child", "sleep", "100000");
  kill(s, SIGTERM);
  usleep(20000);
  pid_t alive = waitpid(s, &st, WNOHANG);
  kill(s, SIGKILL);
  waitpid(s, &st, 0);
  printf("inherited ignore: alive %d, then %s\n", alive == 0, desc(st));
  /* kill the process group: children share ours; our handler runs, they die of the default */
  int before = got[SIGUSR1];
  pid_t g1 = spawn("/bin/child", "sleep", "100000"), g2 = spawn("/bin/child", "loop", NULL);
  kill(0, SIGUSR1);
  int n = 0;
  while ((c = wait(&st)) > 0) if (WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1 && (c == g1 || c == g2)) n++;
  printf("group kill: %d, own handler %d\n", n, got[SIGUSR1] - before);
  fflush(stdout);
  return 0;
}
