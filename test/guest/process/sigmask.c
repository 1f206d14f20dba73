/* Signal masks enforced by the kernel: a blocked signal stays pending (no handler, no default
 * action) and sigpending reports it until it is unblocked, then it is delivered before
 * sigprocmask returns; SIGKILL/SIGSTOP cannot be blocked; pthread_sigmask is the same mask; while
 * a handler runs its signal and sa_mask are blocked (unless SA_NODEFER); the mask is inherited
 * across posix_spawn, or set by POSIX_SPAWN_SETSIGMASK. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "wait_status.h"

extern char **environ;
static volatile sig_atomic_t got[65], depth, max_depth;
static char order[32];
static volatile sig_atomic_t norder;

static void on(int s) {
  got[s]++;
  if (norder < (int)sizeof order - 1) order[norder++] = s == SIGUSR1 ? 'U' : s == SIGUSR2 ? 'V' : '?';
}

/* Re-sends its own signal (and SIGUSR2) from inside the handler: blocked or nested? */
static void nest(int s) {
  depth++;
  if (depth > max_depth) max_depth = depth;
  if (got[s]++ == 0) {
    kill(getpid(), s);
    kill(getpid(), SIGUSR2);
    if (norder < (int)sizeof order - 1) order[norder++] = 'n';
  }
  depth--;
}

static void handle(int sig, void (*fn)(int), int flags, int also) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  if (also) sigaddset(&sa.sa_mask, also);
  sigaction(sig, &sa, NULL);
}

static int pending(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigpending(&s);
  return sigismember(&s, sig);
}

static void sleep_ms(int ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

static pid_t spawn_with(const char *mode, const posix_spawnattr_t *attr) {
  char *argv[] = { "/bin/sigmask", (char *)mode, NULL };
  pid_t pid;
  if (posix_spawn(&pid, argv[0], NULL, attr, argv, environ) != 0) return -1;
  return pid;
}

int main(int argc, char **argv) {
  sigset_t s, old;
  if (argc > 1 && !strcmp(argv[1], "term")) {
    /* a blocked SIGTERM (default action: terminate) waits until it is unblocked */
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    sigprocmask(SIG_BLOCK, &s, NULL);
    kill(getpid(), SIGTERM);
    printf("term blocked: alive, pending %d\n", pending(SIGTERM));
    fflush(stdout);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    printf("not reached\n");
    return 0;
  }
  if (argc > 1 && !strcmp(argv[1], "all")) {
    /* block everything: SIGKILL and SIGSTOP are not in the mask, SIGKILL still kills */
    sigfillset(&s);
    sigprocmask(SIG_SETMASK, &s, NULL);
    sigprocmask(SIG_BLOCK, NULL, &old);
    printf("all: usr1 %d kill %d stop %d\n", sigismember(&old, SIGUSR1), sigismember(&old, SIGKILL), sigismember(&old, SIGSTOP));
    fflush(stdout);
    for (;;) sleep_ms(1000);
  }
  if (argc > 1 && !strcmp(argv[1], "inherit")) {
    /* what the spawn gave us; SIGUSR2 sent by the parent stays pending if blocked */
    sigprocmask(SIG_BLOCK, NULL, &old);
    int blocked = sigismember(&old, SIGUSR2);
    sleep_ms(100);
    printf("child: usr2 blocked %d pending %d\n", blocked, pending(SIGUSR2));
    return 0;
  }

  /* blocked: no handler, pending; unblocked: the handler runs before sigprocmask returns */
  handle(SIGUSR1, on, 0, 0);
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigprocmask(SIG_BLOCK, &s, NULL);
  kill(getpid(), SIGUSR1);
  kill(getpid(), SIGUSR1); /* standard signals do not queue */
  printf("blocked: handler %d pending %d\n", got[SIGUSR1], pending(SIGUSR1));
  sigprocmask(SIG_UNBLOCK, &s, &old);
  printf("unblocked: handler %d pending %d, old had usr1 %d\n", got[SIGUSR1], pending(SIGUSR1), sigismember(&old, SIGUSR1));

  /* SIGKILL's action cannot be changed */
  struct sigaction ka;
  memset(&ka, 0, sizeof ka);
  ka.sa_handler = on;
  int kr = sigaction(SIGKILL, &ka, NULL);
  printf("sigaction(SIGKILL): %d %s\n", kr, kr < 0 && errno == EINVAL ? "EINVAL" : "?");

  /* raise() numbers signals as Linux does: SIGWINCH and SIGCHLD are ignored by default */
  raise(SIGWINCH);
  raise(SIGCHLD);
  printf("raise winch, chld: alive\n");

  /* pthread_sigmask is the calling thread's mask, seen by sigprocmask */
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  int e = pthread_sigmask(SIG_BLOCK, &s, NULL);
  sigprocmask(SIG_BLOCK, NULL, &old);
  printf("pthread_sigmask: %d, usr2 in mask %d, bad how %d\n", e, sigismember(&old, SIGUSR2), pthread_sigmask(99, &s, NULL) == EINVAL);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);

  /* during a handler: its own signal and sa_mask are blocked; SA_NODEFER nests */
  handle(SIGUSR2, on, 0, 0);
  memset((void *)got, 0, sizeof got);
  norder = 0;
  handle(SIGUSR1, nest, 0, SIGUSR2);
  kill(getpid(), SIGUSR1);
  order[norder] = 0;
  printf("handler mask: usr1 %d usr2 %d depth %d order %s\n", got[SIGUSR1], got[SIGUSR2], max_depth, order);
  memset((void *)got, 0, sizeof got);
  norder = 0;
  max_depth = 0;
  handle(SIGUSR1, nest, SA_NODEFER, 0);
  kill(getpid(), SIGUSR1);
  order[norder] = 0;
  printf("SA_NODEFER: usr1 %d usr2 %d depth %d order %s\n", got[SIGUSR1], got[SIGUSR2], max_depth, order);
  fflush(stdout);

  int st;
  pid_t c = spawn_with("term", NULL);
  waitpid(c, &st, 0);
  printf("term child: %s\n", desc(st));
  fflush(stdout);

  c = spawn_with("all", NULL);
  sleep_ms(50);
  kill(c, SIGUSR1); /* blocked: nothing */
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
  printf("all child: %s\n", desc(st));
  fflush(stdout);

  /* the mask crosses posix_spawn; SIGUSR2's default action would kill the child */
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  sigprocmask(SIG_BLOCK, &s, NULL);
  c = spawn_with("inherit", NULL);
  kill(c, SIGUSR2);
  waitpid(c, &st, 0);
  printf("inherited: %s\n", desc(st));
  fflush(stdout);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigemptyset(&s);
  posix_spawnattr_setsigmask(&attr, &s);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  c = spawn_with("inherit", &attr);
  sleep_ms(30);
  kill(c, SIGUSR2);
  waitpid(c, &st, 0);
  printf("SETSIGMASK empty: %s\n", desc(st));
  return 0;
}
