/*
 * setitimer/getitimer(ITIMER_REAL) and alarm: the first expiry after it_value, then every
 * it_interval; getitimer and the old value give the time left; alarm returns the seconds left of
 * the previous one, rounded up; SIGALRM's si_code is SI_KERNEL; ITIMER_VIRTUAL and ITIMER_PROF
 * count CPU time (not sleeping). Prints facts that hold on any
 * machine; test/libos/process/conform-itimer.test.ts compares them with what the same program
 * prints on Linux (gcc -O2, glibc).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static atomic_int alarms, code;

static void on_alarm(int sig, siginfo_t *si, void *ctx) {
  (void)sig, (void)ctx;
  atomic_store(&code, si->si_code);
  atomic_fetch_add(&alarms, 1);
}

static atomic_int vtalrms, profs;
static void on_cpu_timer(int sig) {
  if (sig == SIGVTALRM) atomic_fetch_add(&vtalrms, 1);
  else atomic_fetch_add(&profs, 1);
}

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

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static double ms_of(struct timeval tv) { return tv.tv_sec * 1e3 + tv.tv_usec / 1e3; }

static struct itimerval iv(long value_ms, long interval_ms) {
  struct itimerval v = {{interval_ms / 1000, (interval_ms % 1000) * 1000}, {value_ms / 1000, (value_ms % 1000) * 1000}};
  return v;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_alarm;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGALRM, &sa, NULL);

  struct itimerval cur, old;
  getitimer(ITIMER_REAL, &cur);
  printf("getitimer before any: disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
  struct itimerval once = iv(300, 0);
  printf("setitimer 300 ms once: %d\n", setitimer(ITIMER_REAL, &once, NULL));
  nap_ms(100);
  getitimer(ITIMER_REAL, &cur);
  printf("  after 100 ms getitimer: left in [150, 200] ms: %d, interval 0: %d\n", ms_of(cur.it_value) >= 150 && ms_of(cur.it_value) <= 200,
         ms_of(cur.it_interval) == 0);
  struct itimerval soon = iv(50, 0);
  printf("setitimer 50 ms, asking the old: %d\n", setitimer(ITIMER_REAL, &soon, &old));
  printf("  old: left in [150, 200] ms: %d\n", ms_of(old.it_value) >= 150 && ms_of(old.it_value) <= 200);
  for (int i = 0; i < 2000 && atomic_load(&alarms) < 1; i++) nap_ms(1);
  nap_ms(100);
  printf("  alarms: %d, SI_KERNEL: %d\n", atomic_load(&alarms), atomic_load(&code) == SI_KERNEL);

  /* it_value 30 ms, then every 50 ms: by 150 ms, 3 alarms (30, 80, 130). */
  atomic_store(&alarms, 0);
  struct itimerval periodic = iv(30, 50);
  printf("setitimer 30 ms then every 50 ms: %d\n", setitimer(ITIMER_REAL, &periodic, NULL));
  nap_ms(155);
  int n = atomic_load(&alarms);
  printf("  alarms by 155 ms: from 2 to 4: %d\n", n >= 2 && n <= 4);
  getitimer(ITIMER_REAL, &cur);
  printf("  getitimer: interval 50 ms: %d, left at most 50 ms: %d\n", ms_of(cur.it_interval) == 50, ms_of(cur.it_value) <= 50);
  struct itimerval off = iv(0, 0);
  printf("setitimer 0 (disarm), asking the old: %d\n", setitimer(ITIMER_REAL, &off, &old));
  printf("  old interval 50 ms: %d\n", ms_of(old.it_interval) == 50);
  getitimer(ITIMER_REAL, &cur);
  printf("  disarmed: %d, interval 0: %d\n", ms_of(cur.it_value) == 0, ms_of(cur.it_interval) == 0);

  /* alarm: the seconds left of the previous one, rounded up. */
  printf("alarm(5): %u\n", alarm(5));
  nap_ms(100);
  printf("alarm(0) after 0.1 s: %u\n", alarm(0));
  printf("alarm(0) again: %u\n", alarm(0));
  atomic_store(&alarms, 0);
  alarm(1);
  for (int i = 0; i < 3000 && atomic_load(&alarms) < 1; i++) nap_ms(1);
  printf("alarm(1) fired: %d\n", atomic_load(&alarms));

  /* The CPU-time ones: ITIMER_VIRTUAL does not count sleeping, ITIMER_PROF counts computing. */
  struct sigaction sp;
  memset(&sp, 0, sizeof sp);
  sp.sa_handler = on_cpu_timer;
  sigaction(SIGVTALRM, &sp, NULL);
  sigaction(SIGPROF, &sp, NULL);
  struct itimerval v100 = iv(100, 0);
  printf("setitimer(ITIMER_VIRTUAL, 100 ms): %d\n", setitimer(ITIMER_VIRTUAL, &v100, NULL));
  nap_ms(200);
  getitimer(ITIMER_VIRTUAL, &cur);
  printf("  after sleeping 200 ms: SIGVTALRM %d, left in (50, 110] ms (Linux rounds it up to its tick): %d\n", atomic_load(&vtalrms), ms_of(cur.it_value) > 50 && ms_of(cur.it_value) <= 110);
  compute_ms(200);
  printf("  after computing 200 ms: SIGVTALRM %d\n", atomic_load(&vtalrms));
  struct itimerval p50 = iv(50, 50);
  printf("setitimer(ITIMER_PROF, every 50 ms): %d\n", setitimer(ITIMER_PROF, &p50, NULL));
  compute_ms(300);
  off = iv(0, 0);
  setitimer(ITIMER_PROF, &off, NULL);
  int prof = atomic_load(&profs);
  printf("  SIGPROF while computing 300 ms: from 3 to 7: %d\n", prof >= 3 && prof <= 7);

  struct itimerval bad = {{0, 0}, {0, 1000000}};
  errno = 0;
  int r = setitimer(ITIMER_REAL, &bad, NULL);
  printf("setitimer, tv_usec 1e6: %d %s\n", r, errno == EINVAL ? "EINVAL" : "?");
  errno = 0;
  r = setitimer(99, &once, NULL);
  printf("setitimer(99): %d %s\n", r, errno == EINVAL ? "EINVAL" : "?");
  errno = 0;
  r = getitimer(99, &cur);
  printf("getitimer(99): %d %s\n", r, errno == EINVAL ? "EINVAL" : "?");
  return 0;
}
