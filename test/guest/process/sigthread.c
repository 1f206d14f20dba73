/* Per-thread signal masks and thread-directed signals: a new thread starts with its creator's
 * mask; raise() is directed at the caller (pending while the caller blocks it, even though
 * another thread does not); pthread_kill reaches the named thread; a process-directed signal
 * goes to a thread that does not block it (the second thread, blocked in read: EINTR) and its
 * handler runs on that thread. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t hits;
static pthread_t handled_on[8];
static int p[2];
static volatile int ready;

static void on(int s) {
  (void)s;
  if (hits < 8) handled_on[hits] = pthread_self();
  hits++;
}

static void *worker(void *arg) {
  (void)arg;
  sigset_t cur, s;
  pthread_sigmask(SIG_BLOCK, NULL, &cur);
  int inherited = sigismember(&cur, SIGUSR1);
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
  ready = 1;
  char c;
  ssize_t n = read(p[0], &c, 1);
  int e = errno;
  printf("worker: inherited block %d, read %zd %s, handled here %d\n", inherited, n, n < 0 && e == EINTR ? "EINTR" : "?",
         hits == 2 && pthread_equal(handled_on[1], pthread_self()));
  /* pthread_kill from main while we sleep: interrupted, handled here */
  struct timespec ts = { 5, 0 };
  int r = nanosleep(&ts, NULL);
  printf("worker: pthread_kill %d %s, handled here %d\n", r, r < 0 && errno == EINTR ? "EINTR" : "?",
         hits == 3 && pthread_equal(handled_on[2], pthread_self()));
  return NULL;
}

static int pending(int sig) {
  sigset_t s;
  sigpending(&s);
  return sigismember(&s, sig);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on;
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  pipe(p);
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  struct timespec ts = { 0, 20 * 1000000L };
  while (!ready) nanosleep(&ts, NULL);
  nanosleep(&ts, NULL); /* the worker is in read now */

  raise(SIGUSR1); /* ours: stays pending while we block it; the worker does not take it */
  nanosleep(&ts, NULL);
  printf("raise while blocked: hits %d pending %d\n", (int)hits, pending(SIGUSR1));
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
  printf("unblocked: hits %d on main %d\n", (int)hits, hits == 1 && pthread_equal(handled_on[0], pthread_self()));
  pthread_sigmask(SIG_BLOCK, &s, NULL);

  kill(getpid(), SIGUSR1); /* the process's: only the worker does not block it */
  nanosleep(&ts, NULL);
  nanosleep(&ts, NULL);
  pthread_kill(t, SIGUSR1);
  pthread_join(t, NULL);
  printf("main: hits %d\n", (int)hits);
  return 0;
}
