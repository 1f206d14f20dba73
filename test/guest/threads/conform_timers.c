/*
 * POSIX timers: timer_create with SIGEV_SIGNAL, SIGEV_THREAD_ID, SIGEV_THREAD and SIGEV_NONE,
 * one-shot and periodic, relative and absolute, timer_gettime/timer_getoverrun/timer_delete, the
 * siginfo of a timer's signal, overruns while the signal is blocked, timers on the process's and a
 * thread's CPU-time clocks, Linux's errors. Prints facts
 * that hold on any machine (counts and ranges, not times); test/libos/threads/conform-timers.test.ts
 * compares them with what the same program prints on Linux (gcc -O2 -pthread, glibc).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#define CONFORM_ERRNO_NAMES_ONLY
#include "../conform_errno.h"

#ifndef sigev_notify_thread_id /* glibc before 2.37 names it only through its union */
#define sigev_notify_thread_id _sigev_un._tid
#endif

static atomic_int hits, thread_calls;
static atomic_int last_code, last_value, last_timerid, last_overrun;
static atomic_long last_tid, call_tid;

static void on_timer(int sig, siginfo_t *si, void *ctx) {
  (void)sig, (void)ctx;
  atomic_store(&last_code, si->si_code);
  atomic_store(&last_value, si->si_value.sival_int);
  atomic_store(&last_timerid, si->si_timerid);
  atomic_store(&last_overrun, si->si_overrun);
  atomic_store(&last_tid, (long)gettid());
  atomic_fetch_add(&hits, 1);
}

static void on_thread(union sigval v) {
  atomic_store(&call_tid, (long)gettid());
  if (v.sival_int == 7) atomic_fetch_add(&thread_calls, 1);
}

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void wait_hits(int n) {
  for (int i = 0; i < 2000 && atomic_load(&hits) < n; i++) nap_ms(1);
}

static struct itimerspec its(long value_ms, long interval_ms) {
  struct itimerspec s = {{interval_ms / 1000, (interval_ms % 1000) * 1000000L}, {value_ms / 1000, (value_ms % 1000) * 1000000L}};
  return s;
}

static void show(const char *what, int r) {
  printf("%s: %s\n", what, r == 0 ? "0" : ename(errno));
}

static double ms_of(struct timespec ts) { return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6; }

/* Compute for `ms` of wall time and of the thread's CPU time (a loaded machine only makes it take longer). */
static void compute_ms(long ms) {
  struct timespec t0, t1, c0, c1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
  volatile unsigned long x = 0;
  for (;;) {
    for (int i = 0; i < 100000; i++) x += i;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= ms &&
        (c1.tv_sec - c0.tv_sec) * 1000 + (c1.tv_nsec - c0.tv_nsec) / 1000000 >= ms) break;
  }
}

static atomic_int cpu_thread_create;
static atomic_long cpu_thread_tid;
static void *cpu_thread(void *arg) {
  (void)arg;
  atomic_store(&cpu_thread_tid, (long)gettid());
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGUSR2;
  sev.sigev_notify_thread_id = gettid();
  timer_t t;
  atomic_store(&cpu_thread_create, timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &t));
  struct itimerspec v = {{0, 0}, {0, 100000000L}};
  timer_settime(t, 0, &v, NULL);
  compute_ms(200);
  wait_hits(1);
  timer_delete(t);
  return NULL;
}

static atomic_int target_ready, target_go;
static atomic_long target_tid;
static void *target_main(void *arg) {
  (void)arg;
  atomic_store(&target_tid, (long)gettid());
  atomic_store(&target_ready, 1);
  while (!atomic_load(&target_go)) nap_ms(1);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_timer;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGALRM, &sa, NULL);

  /* One shot, SIGEV_SIGNAL. */
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = 42;
  timer_t t1;
  show("timer_create(CLOCK_MONOTONIC, SIGEV_SIGNAL SIGUSR1)", timer_create(CLOCK_MONOTONIC, &sev, &t1));
  struct itimerspec cur, old;
  struct itimerspec one = its(200, 0);
  show("timer_settime 200 ms once", timer_settime(t1, 0, &one, NULL));
  timer_gettime(t1, &cur);
  printf("  timer_gettime: left in (0, 200] ms: %d, interval 0: %d\n", ms_of(cur.it_value) > 0 && ms_of(cur.it_value) <= 200, ms_of(cur.it_interval) == 0);
  struct itimerspec shorter = its(50, 0);
  show("timer_settime 50 ms once, asking the old setting", timer_settime(t1, 0, &shorter, &old));
  printf("  old: left in (0, 200] ms: %d\n", ms_of(old.it_value) > 0 && ms_of(old.it_value) <= 200);
  wait_hits(1);
  nap_ms(100);
  printf("  signals: %d, SI_TIMER: %d, si_value 42: %d, si_timerid is the timer's: %d, si_overrun %d\n", atomic_load(&hits),
         atomic_load(&last_code) == SI_TIMER, atomic_load(&last_value) == 42, atomic_load(&last_timerid) == (int)(intptr_t)t1,
         atomic_load(&last_overrun));
  timer_gettime(t1, &cur);
  printf("  after it: disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

  /* Periodic, its signal blocked a while: one pending signal, the rest counted as overruns. */
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  atomic_store(&hits, 0);
  struct itimerspec every20 = its(20, 20);
  show("timer_settime every 20 ms, SIGUSR1 blocked", timer_settime(t1, 0, &every20, NULL));
  nap_ms(150);
  printf("  signals while blocked: %d\n", atomic_load(&hits));
  pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
  wait_hits(1);
  printf("  unblocked: one signal, si_overrun at least 3: %d, timer_getoverrun the same: %d\n", atomic_load(&last_overrun) >= 3,
         timer_getoverrun(t1) == atomic_load(&last_overrun));
  nap_ms(150);
  printf("  then it goes on: at least 3 more: %d\n", atomic_load(&hits) >= 4);
  show("timer_delete", timer_delete(t1));
  int before = atomic_load(&hits);
  nap_ms(100);
  printf("  deleted: no more signals: %d\n", atomic_load(&hits) - before <= 1); /* one may have been under way */

  /* NULL sigevent: SIGALRM (its si_value is the timer id for the kernel, glibc's own for glibc). TIMER_ABSTIME on CLOCK_REALTIME. */
  timer_t t2;
  atomic_store(&hits, 0);
  show("timer_create(CLOCK_REALTIME, NULL)", timer_create(CLOCK_REALTIME, NULL, &t2));
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct itimerspec at = {{0, 0}, now};
  at.it_value.tv_nsec += 50000000L;
  if (at.it_value.tv_nsec >= 1000000000L) at.it_value.tv_sec++, at.it_value.tv_nsec -= 1000000000L;
  show("timer_settime TIMER_ABSTIME realtime now + 50 ms", timer_settime(t2, TIMER_ABSTIME, &at, NULL));
  wait_hits(1);
  printf("  signals: %d, SIGALRM's SI_TIMER: %d\n", atomic_load(&hits), atomic_load(&last_code) == SI_TIMER);
  timer_delete(t2);

  /* SIGEV_THREAD_ID: the signal goes to that thread. */
  pthread_t target;
  pthread_create(&target, NULL, target_main, NULL);
  while (!atomic_load(&target_ready)) nap_ms(1);
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_notify_thread_id = (pid_t)atomic_load(&target_tid);
  timer_t t3;
  atomic_store(&hits, 0);
  show("timer_create(SIGEV_THREAD_ID)", timer_create(CLOCK_MONOTONIC, &sev, &t3));
  show("timer_settime 30 ms once", timer_settime(t3, 0, &(struct itimerspec){{0, 0}, {0, 30000000L}}, NULL));
  wait_hits(1);
  printf("  signals: %d, taken by that thread: %d\n", atomic_load(&hits), atomic_load(&last_tid) == atomic_load(&target_tid));
  timer_delete(t3);
  atomic_store(&target_go, 1);
  pthread_join(target, NULL);

  /* SIGEV_THREAD: the function runs in another thread, with the value. */
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD;
  sev.sigev_notify_function = on_thread;
  sev.sigev_value.sival_int = 7;
  timer_t t4;
  show("timer_create(SIGEV_THREAD)", timer_create(CLOCK_MONOTONIC, &sev, &t4));
  show("timer_settime every 20 ms", timer_settime(t4, 0, &every20, NULL));
  nap_ms(150);
  show("timer_delete", timer_delete(t4));
  int calls = atomic_load(&thread_calls);
  printf("  calls with the value: at least 3: %d, in another thread: %d\n", calls >= 3, atomic_load(&call_tid) != (long)gettid());
  nap_ms(100);
  printf("  deleted: no more calls: %d\n", atomic_load(&thread_calls) - calls <= 1);

  /* SIGEV_NONE: nothing happens, timer_gettime counts down. */
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_NONE;
  timer_t t5;
  show("timer_create(SIGEV_NONE)", timer_create(CLOCK_MONOTONIC, &sev, &t5));
  struct itimerspec half = its(500, 0);
  timer_settime(t5, 0, &half, NULL);
  nap_ms(100);
  timer_gettime(t5, &cur);
  /* At most 400: the nap may not end early (it did, by a fraction of a ms, before 80f6e41); no lower bound but 0, for a loaded host's oversleep. */
  printf("  after 100 ms: left in (0, 400] ms: %d\n", ms_of(cur.it_value) > 0 && ms_of(cur.it_value) <= 400);
  timer_delete(t5);

  /* CPU-time clocks: the process's counts computing, not sleeping; a thread's counts that thread's. */
  sigaction(SIGUSR2, &sa, NULL);
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR2;
  sev.sigev_value.sival_int = 99;
  timer_t t7;
  atomic_store(&hits, 0);
  show("timer_create(CLOCK_PROCESS_CPUTIME_ID)", timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &t7));
  struct itimerspec cpu100 = its(100, 0);
  show("timer_settime 100 ms of CPU time", timer_settime(t7, 0, &cpu100, NULL));
  nap_ms(200);
  printf("  after sleeping 200 ms: signals %d\n", atomic_load(&hits));
  compute_ms(250);
  wait_hits(1);
  printf("  after computing 250 ms: signals %d, si_value 99: %d\n", atomic_load(&hits), atomic_load(&last_value) == 99);
  timer_delete(t7);
  pthread_t cpu_th;
  atomic_store(&hits, 0);
  pthread_create(&cpu_th, NULL, cpu_thread, NULL);
  pthread_join(cpu_th, NULL);
  printf("a thread's CPU clock (CLOCK_THREAD_CPUTIME_ID, SIGEV_THREAD_ID to itself) while it computes 200 ms: create %d, signals %d, taken by it: %d\n",
         atomic_load(&cpu_thread_create), atomic_load(&hits), atomic_load(&last_tid) == atomic_load(&cpu_thread_tid));

  /* Errors. */
  timer_t bad;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  show("timer_create, clock 99", timer_create(99, &sev, &bad));
  sev.sigev_notify = 99;
  show("timer_create, sigev_notify 99", timer_create(CLOCK_MONOTONIC, &sev, &bad));
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = 0;
  show("timer_create, signal 0", timer_create(CLOCK_MONOTONIC, &sev, &bad));
  sev.sigev_signo = 65;
  show("timer_create, signal 65", timer_create(CLOCK_MONOTONIC, &sev, &bad));
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_notify_thread_id = 0x3ffffff0;
  show("timer_create, SIGEV_THREAD_ID of a tid nobody has", timer_create(CLOCK_MONOTONIC, &sev, &bad));
  sev.sigev_notify = SIGEV_SIGNAL;
  timer_t t6;
  timer_create(CLOCK_MONOTONIC, &sev, &t6);
  struct itimerspec badns = {{0, 0}, {0, 1000000000L}};
  show("timer_settime, tv_nsec 1e9", timer_settime(t6, 0, &badns, NULL));
  struct itimerspec negative = {{0, 0}, {-1, 0}};
  show("timer_settime, tv_sec -1", timer_settime(t6, 0, &negative, NULL));
  timer_delete(t6);
  show("timer_gettime of a deleted timer", timer_gettime(t6, &cur));
  show("timer_delete of a deleted timer", timer_delete(t6));
  errno = 0;
  int r = timer_getoverrun(t6);
  printf("timer_getoverrun of a deleted timer: %d %s\n", r, ename(errno));
  return 0;
}
