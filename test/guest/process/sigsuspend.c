/* sigsuspend and pause: atomically install a mask and wait for a signal; the handler runs, the
 * call fails with EINTR and the old mask is back. A signal pending before the call ends it at
 * once; a signal the suspend mask blocks does not end it and is delivered after the old mask
 * returns; a signal ignored by default (SIGCHLD) does not end it. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static volatile sig_atomic_t got[65];
static char order[16];
static volatile sig_atomic_t norder;

static void on(int s) {
  got[s]++;
  if (norder < (int)sizeof order - 1) order[norder++] = s == SIGUSR1 ? 'U' : s == SIGUSR2 ? 'V' : s == SIGALRM ? 'A' : '?';
}

static void handle(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on;
  sigaction(sig, &sa, NULL);
}

static void sleep_ms(int ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

/* A child that sends signals to us: `sigsuspend send PID MS SIG...` */
static pid_t sender(int ms, int s1, int s2) {
  char p[16], m[16], a[16], b[16];
  snprintf(p, sizeof p, "%d", (int)getpid());
  snprintf(m, sizeof m, "%d", ms);
  snprintf(a, sizeof a, "%d", s1);
  snprintf(b, sizeof b, "%d", s2);
  char *argv[] = { "/bin/sigsuspend", "send", p, m, a, b, NULL };
  pid_t pid;
  if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) return -1;
  return pid;
}

static int blocked(int sig) {
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  return sigismember(&cur, sig);
}

int main(int argc, char **argv) {
  if (argc > 5 && !strcmp(argv[1], "send")) {
    sleep_ms(atoi(argv[3]));
    for (int i = 4; i < argc; i++) if (atoi(argv[i]) > 0) { kill(atoi(argv[2]), atoi(argv[i])); sleep_ms(20); }
    return 0;
  }
  handle(SIGUSR1);
  handle(SIGUSR2);
  handle(SIGALRM);
  sigset_t block, empty;
  sigemptyset(&empty);
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, NULL);

  /* the classic race-free wait: USR1 blocked, sigsuspend with an empty mask */
  pid_t c = sender(50, SIGUSR1, 0);
  int r = sigsuspend(&empty);
  int e = errno;
  printf("sigsuspend: %d %s handler %d, usr1 blocked again %d\n", r, e == EINTR ? "EINTR" : strerror(e), (int)got[SIGUSR1], blocked(SIGUSR1));
  waitpid(c, NULL, 0);

  /* already pending: returns at once */
  kill(getpid(), SIGUSR1);
  r = sigsuspend(&empty);
  printf("pending before: %d handler %d\n", r, (int)got[SIGUSR1]);

  /* USR2 is blocked by the suspend mask: it does not end the wait; USR1 does; USR2 runs after */
  sigset_t only2;
  sigemptyset(&only2);
  sigaddset(&only2, SIGUSR2);
  norder = 0;
  c = sender(50, SIGUSR2, SIGUSR1);
  r = sigsuspend(&only2);
  order[norder] = 0;
  printf("suspend mask: %d order %s\n", r, order);
  waitpid(c, NULL, 0);

  /* SIGCHLD (default: ignore) from a child's exit does not end it; the alarm does */
  sigprocmask(SIG_SETMASK, &empty, NULL);
  norder = 0;
  c = sender(10, 0, 0);
  struct itimerval it = { { 0, 0 }, { 0, 200000 } };
  setitimer(ITIMER_REAL, &it, NULL);
  r = pause();
  e = errno;
  order[norder] = 0;
  int st;
  printf("pause: %d %s order %s, child reaped %d\n", r, e == EINTR ? "EINTR" : strerror(e), order, waitpid(c, &st, WNOHANG) == c);
  return 0;
}
