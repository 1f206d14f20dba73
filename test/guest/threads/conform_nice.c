/*
 * Nice values weigh CPU: two threads computing on one CPU (the process pinned to CPU 0 before it
 * starts them, so they inherit it), one at nice 0 and one at nice 10, get their CPU time in
 * proportion to their weights (Linux: 1024 to 110, ~9x); at equal nice values about evenly; a
 * SCHED_IDLE thread weighs 3 (Linux: ~340x less than nice 0). Then
 * the same on the last CPU the process may use (here a vCPU worker when there are several), the
 * threads setting their nice values after they started there.
 * Prints facts that hold on any machine; test/libos/threads/conform-nice.test.ts compares them with
 * what the same program prints on Linux (gcc -O2 -pthread, glibc).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static atomic_int go, stop;

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct worker {
  int nice;
  int policy;
  double cpu;
};

static void *work(void *arg) {
  struct worker *w = arg;
  setpriority(PRIO_PROCESS, 0, w->nice);
  struct sched_param p = {0};
  if (w->policy != SCHED_OTHER) pthread_setschedparam(pthread_self(), w->policy, &p);
  while (!atomic_load(&go)) sched_yield();
  volatile unsigned long x = 0;
  while (!atomic_load(&stop))
    for (int i = 0; i < 10000; i++) x += i;
  w->cpu = cpu_s();
  return NULL;
}

/* Two workers at these nice values and policies for `ms` of wall time; returns the first's CPU over the second's. */
static double share_policy(int nice_a, int policy_a, int nice_b, int policy_b, long ms) {
  struct worker a = {nice_a, policy_a, 0}, b = {nice_b, policy_b, 0};
  atomic_store(&go, 0);
  atomic_store(&stop, 0);
  pthread_t ta, tb;
  pthread_create(&ta, NULL, work, &a);
  pthread_create(&tb, NULL, work, &b);
  struct timespec settle = {0, 20000000L};
  nanosleep(&settle, NULL);
  atomic_store(&go, 1);
  struct timespec run = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&run, NULL);
  atomic_store(&stop, 1);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  return a.cpu / (b.cpu > 0 ? b.cpu : 1e-9);
}

static double share(int nice_a, int nice_b, long ms) { return share_policy(nice_a, SCHED_OTHER, nice_b, SCHED_OTHER, ms); }

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  cpu_set_t all;
  CPU_ZERO(&all);
  sched_getaffinity(0, sizeof all, &all);
  int last = 0;
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET(i, &all)) last = i;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  printf("sched_setaffinity(CPU 0): %d\n", sched_setaffinity(0, sizeof one, &one));
  double even = share(0, 0, 400);
  printf("nice 0 and nice 0: shares within 2x of each other: %d\n", even > 0.5 && even < 2);
  double r = share(0, 10, 600);
  printf("nice 0 and nice 10: the nice-0 thread got at least 3x the CPU: %d\n", r >= 3);
  r = share_policy(0, SCHED_OTHER, 0, SCHED_IDLE, 600);
  printf("nice 0 and SCHED_IDLE: the nice-0 thread got at least 5x the CPU: %d\n", r >= 5);
  CPU_ZERO(&one);
  CPU_SET(last, &one);
  printf("sched_setaffinity(the last CPU): %d\n", sched_setaffinity(0, sizeof one, &one));
  r = share(0, 10, 600);
  printf("there, nice 0 and nice 10: the nice-0 thread got at least 3x the CPU: %d\n", r >= 3);
  r = share_policy(0, SCHED_OTHER, 0, SCHED_IDLE, 600);
  printf("there, nice 0 and SCHED_IDLE: the nice-0 thread got at least 5x the CPU: %d\n", r >= 5);
  return 0;
}
