/*
 * sigwait, sigwaitinfo and sigtimedwait as Linux has them (differential:
 * test/libos/threads/conform-threads.test.ts compares the output with Linux's): a blocked pending
 * signal is taken without its handler running; a timeout is EAGAIN; a bad timeout EINVAL; a
 * signal outside the set that has a handler ends the wait with EINTR; a dedicated signal thread
 * takes process-directed signals and ones sent to it; a signal sent to another thread is not
 * taken; siginfo says who sent a signal and how (kill: SI_USER and the sender's pid; an interval
 * timer: SI_KERNEL; SIGPIPE: SI_USER from the writer; SIGCHLD: CLD_EXITED/CLD_KILLED, the child's
 * pid and status).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e) {
  return e == EAGAIN ? "EAGAIN" : e == EINTR ? "EINTR" : e == EINVAL ? "EINVAL" : e == ESRCH ? "ESRCH" : e == 0 ? "0" : "other";
}

static long ms_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void sleep_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, 0);
}

static volatile sig_atomic_t usr1_handled, usr2_handled;
static void on_usr1(int s) { (void)s; usr1_handled++; }
static void on_usr2(int s) { (void)s; usr2_handled++; }

static sigset_t usr1;
static pthread_t main_thread;

static void *send_usr2_to_main(void *arg) {
  (void)arg;
  sleep_ms(30);
  pthread_kill(main_thread, SIGUSR2);
  return 0;
}

static int thread_got;
static void *signal_thread(void *arg) {
  (void)arg;
  int sig = 0;
  int r = sigwait(&usr1, &sig);
  thread_got = r == 0 ? sig : -r;
  return 0;
}

/* A thread that blocks USR1 and ends without taking one sent to it. */
static void *leave_pending(void *arg) {
  (void)arg;
  sleep_ms(30); /* main sends it USR1 meanwhile (blocked: inherited mask) */
  return 0;
}
/* One that waits up to 2 s for a USR1 sent to it. */
static int waited_got;
static void *wait_own(void *arg) {
  (void)arg;
  struct timespec ts = {2, 0};
  siginfo_t i;
  int r = sigtimedwait(&usr1, &i, &ts);
  waited_got = r;
  return 0;
}

/* Take `sig` (blocked) with sigwaitinfo and print what its siginfo says. */
static void info_of(const char *what, int sig, pid_t from) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  siginfo_t i;
  memset(&i, 0xff, sizeof i);
  int r = sigwaitinfo(&s, &i);
  printf("siginfo of %s: %d si_signo %d si_code %d si_pid matches %d si_uid %d", what, r, i.si_signo, i.si_code, i.si_pid == from,
         (int)i.si_uid);
  if (sig == SIGCHLD) printf(" si_status %d", i.si_status);
  printf("\n");
}

static void siginfo_cases(const char *self) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, 0);
  kill(getpid(), SIGUSR1);
  info_of("kill(getpid())", SIGUSR1, getpid());
  int p[2];
  if (pipe(p) == 0) {
    close(p[0]);
    printf("write to a pipe with no reader: %d\n", (int)write(p[1], "x", 1));
    close(p[1]);
    info_of("SIGPIPE", SIGPIPE, getpid());
  }
  struct itimerval it = {{0, 0}, {0, 10000}};
  setitimer(ITIMER_REAL, &it, 0);
  info_of("setitimer", SIGALRM, 0);
  extern char **environ;
  pid_t c;
  char *exit7[] = {(char *)self, "exit7", 0};
  if (posix_spawn(&c, self, 0, 0, exit7, environ) == 0) {
    info_of("a child's exit(7)", SIGCHLD, c);
    waitpid(c, 0, 0);
  }
  char *killed[] = {(char *)self, "killself", 0};
  if (posix_spawn(&c, self, 0, 0, killed, environ) == 0) {
    info_of("a child's SIGTERM", SIGCHLD, c);
    waitpid(c, 0, 0);
  }
  pthread_sigmask(SIG_UNBLOCK, &all, 0);
}

/* sigqueue and real-time signals: every instance queues, with its value, in order; a standard
   signal is pending once (the first sender's siginfo). */
static void queue_cases(void) {
  int rt = SIGRTMIN + 1;
  sigset_t rts, one;
  sigemptyset(&rts);
  sigaddset(&rts, rt);
  sigaddset(&rts, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &rts, 0);
  for (int v = 1; v <= 3; v++) {
    union sigval sv = {.sival_int = v * 10};
    int r = sigqueue(getpid(), rt, sv);
    if (r) printf("sigqueue failed: %s\n", en(errno));
  }
  kill(getpid(), rt);
  sigemptyset(&one);
  sigaddset(&one, rt);
  for (int k = 0; k < 4; k++) {
    siginfo_t i;
    memset(&i, 0, sizeof i);
    int r = sigwaitinfo(&one, &i);
    printf("real-time %d: SIGRTMIN+%d si_code %s value %d pid matches %d\n", k, r - SIGRTMIN,
           i.si_code == SI_QUEUE ? "SI_QUEUE" : i.si_code == SI_USER ? "SI_USER" : "other", i.si_code == SI_QUEUE ? i.si_value.sival_int : -1,
           i.si_pid == getpid());
  }
  struct timespec zero = {0, 0};
  siginfo_t i;
  int r = sigtimedwait(&one, &i, &zero);
  printf("then none: %d %s\n", r, en(r < 0 ? errno : 0));
  union sigval a = {.sival_int = 7}, b = {.sival_int = 8};
  sigqueue(getpid(), SIGUSR2, a);
  sigqueue(getpid(), SIGUSR2, b);
  sigemptyset(&one);
  sigaddset(&one, SIGUSR2);
  memset(&i, 0, sizeof i);
  r = sigwaitinfo(&one, &i);
  int again = sigtimedwait(&one, &i, &zero);
  printf("a standard signal queued twice: %d value %d, then %d\n", r, i.si_value.sival_int, again);
  union sigval z = {0};
  r = sigqueue(0x3ffffff0, SIGUSR2, z);
  printf("sigqueue to no process: %d %s\n", r, en(r < 0 ? errno : 0));
  r = sigqueue(getpid(), 65, z);
  printf("sigqueue of signal 65: %d %s\n", r, en(r < 0 ? errno : 0));
  r = sigqueue(getpid(), 0, z);
  printf("sigqueue of signal 0: %d\n", r);
  pthread_sigmask(SIG_UNBLOCK, &rts, 0);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "exit7")) return 7;
  if (argc > 1 && !strcmp(argv[1], "killself")) {
    sigset_t all; /* the spawner's mask, all blocked, is inherited */
    sigfillset(&all);
    signal(SIGTERM, SIG_DFL);
    pthread_sigmask(SIG_UNBLOCK, &all, 0);
    kill(getpid(), SIGTERM);
    return 1;
  }
  setvbuf(stdout, 0, _IOLBF, 0);
  main_thread = pthread_self();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, 0);
  sa.sa_handler = on_usr2;
  sigaction(SIGUSR2, &sa, 0);
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, 0);

  raise(SIGUSR1);
  int sig = 0;
  int r = sigwait(&usr1, &sig);
  printf("sigwait of a raised blocked signal: %d sig %d, its handler ran %d\n", r, sig, (int)usr1_handled);
  sigset_t pending;
  sigpending(&pending);
  printf("still pending after: %d\n", sigismember(&pending, SIGUSR1));

  struct timespec t0, ts = {0, 60000000};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  siginfo_t info;
  r = sigtimedwait(&usr1, &info, &ts);
  long waited = ms_since(&t0);
  printf("sigtimedwait with nothing pending: %d %s, waited 50..2000 ms %d\n", r, en(r < 0 ? errno : 0), waited >= 50 && waited < 2000);
  ts.tv_nsec = 1000000000;
  r = sigtimedwait(&usr1, &info, &ts);
  printf("sigtimedwait bad nsec: %d %s\n", r, en(r < 0 ? errno : 0));
  ts.tv_sec = 0;
  ts.tv_nsec = 0;
  r = sigtimedwait(&usr1, &info, &ts);
  printf("sigtimedwait zero timeout: %d %s\n", r, en(r < 0 ? errno : 0));

  kill(getpid(), SIGUSR1);
  memset(&info, 0, sizeof info);
  r = sigwaitinfo(&usr1, &info);
  printf("sigwaitinfo of kill(getpid()): %d si_signo %d\n", r, info.si_signo);

  sigset_t both;
  sigemptyset(&both);
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &both, 0);
  raise(SIGUSR2);
  raise(SIGUSR1);
  r = sigwaitinfo(&both, &info);
  int second = sigwaitinfo(&both, &info);
  printf("two pending, lowest first: %d then %d\n", r, second);
  pthread_sigmask(SIG_UNBLOCK, &both, 0);
  pthread_sigmask(SIG_BLOCK, &usr1, 0);

  /* a signal outside the set, with a handler: EINTR */
  pthread_t t;
  usr2_handled = 0;
  pthread_create(&t, 0, send_usr2_to_main, 0);
  ts.tv_sec = 2;
  ts.tv_nsec = 0;
  r = sigtimedwait(&usr1, &info, &ts);
  int e = errno;
  pthread_join(t, 0);
  printf("sigtimedwait ended by another signal: %d %s, its handler ran %d\n", r, en(r < 0 ? e : 0), (int)usr2_handled);

  /* a dedicated signal thread (it inherits the blocked mask) */
  pthread_create(&t, 0, signal_thread, 0);
  sleep_ms(30);
  kill(getpid(), SIGUSR1);
  pthread_join(t, 0);
  printf("signal thread took a process-directed signal: %d\n", thread_got);
  pthread_create(&t, 0, signal_thread, 0);
  sleep_ms(30);
  pthread_kill(t, SIGUSR1);
  pthread_join(t, 0);
  printf("signal thread took one sent to it: %d\n", thread_got);

  /* sent to another thread: not taken here */
  pthread_create(&t, 0, signal_thread, 0);
  sleep_ms(30);
  ts.tv_sec = 0;
  ts.tv_nsec = 0;
  pthread_kill(t, SIGUSR1);
  r = sigtimedwait(&usr1, &info, &ts);
  e = errno;
  pthread_join(t, 0);
  printf("one sent to the other thread: here %d %s, there %d\n", r, en(r < 0 ? e : 0), thread_got);
  printf("handler of USR1 never ran: %d\n", usr1_handled == 0);

  /* A signal pending for a thread that ended goes with it: the next one, sent to another thread,
     reaches that thread. */
  pthread_create(&t, 0, leave_pending, 0);
  pthread_kill(t, SIGUSR1);
  pthread_join(t, 0);
  pthread_create(&t, 0, wait_own, 0);
  sleep_ms(30);
  pthread_kill(t, SIGUSR1);
  pthread_join(t, 0);
  printf("a thread took the one sent to it after another ended with one pending: %d\n", waited_got);

  /* The same signal sent to two threads (as a stop-the-world GC signals each thread): each has
     its own, and one sent to the process is a third. */
  pthread_t a, b;
  pthread_create(&a, 0, leave_pending, 0);
  pthread_create(&b, 0, wait_own, 0);
  pthread_kill(a, SIGUSR1); /* a blocks it and does not take it */
  sleep_ms(10);
  pthread_kill(b, SIGUSR1);
  pthread_join(a, 0);
  pthread_join(b, 0);
  printf("the second thread sent the same signal took its own: %d\n", waited_got);
  kill(getpid(), SIGUSR1);
  pthread_create(&t, 0, leave_pending, 0);
  pthread_kill(t, SIGUSR1);
  sigset_t pend;
  sigpending(&pend);
  pthread_join(t, 0);
  struct timespec zero = {0, 0};
  r = sigtimedwait(&usr1, &info, &zero);
  int again = sigtimedwait(&usr1, &info, &zero);
  printf("the process's one stays with a thread's beside it: pending here %d, taken %d then %d\n", sigismember(&pend, SIGUSR1), r,
         again);
  siginfo_cases(argv[0]);
  queue_cases();
  printf("done\n");
  return 0;
}
