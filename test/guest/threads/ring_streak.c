/*
 * A worker's syscalls while other threads keep switching (vcpu.test.ts): two threads yield to
 * each other without pause, a streak of coroutine switches that never lets their agent's event
 * loop turn until its slice ends, and a thread on CPU 1 (a worker) calls getppid(), which the
 * kernel serves. `ring_streak MS kernel`: the yielders on CPU 0 (the kernel thread), whose loop
 * must serve the request; `ring_streak MS worker`: on CPU 1 with the caller, whose worker must
 * take the completion. Prints where each thread ran, and the yields and calls made in the same
 * window: counts, not times.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_int go, stop;
static atomic_long yields, calls;
static atomic_int cpus[3];

static void *yielder(void *arg) {
  atomic_store(&cpus[(long)arg], sched_getcpu());
  while (!atomic_load(&go)) sched_yield();
  long k = 0;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    sched_yield();
    k++;
  }
  atomic_fetch_add(&yields, k);
  return NULL;
}

static void *caller(void *arg) {
  atomic_store(&cpus[(long)arg], sched_getcpu());
  while (!atomic_load(&go)) sched_yield();
  long k = 0;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    if (getppid() < 0) abort();
    k++;
  }
  atomic_store(&calls, k);
  return NULL;
}

static int start(pthread_t *t, void *(*fn)(void *), long i, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  // Set by the creator before the thread first runs: it starts on that vCPU.
  if (pthread_create(t, NULL, fn, (void *)i) != 0) return -1;
  return pthread_setaffinity_np(*t, sizeof set, &set);
}

int main(int argc, char **argv) {
  long ms = argc > 1 ? atol(argv[1]) : 300;
  int ycpu = argc > 2 && argv[2][0] == 'w' ? 1 : 0;
  pthread_t t[3];
  if (start(&t[0], yielder, 0, ycpu) || start(&t[1], yielder, 1, ycpu) || start(&t[2], caller, 2, 1)) {
    printf("create failed\n");
    return 1;
  }
  atomic_store(&go, 1);
  struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&d, NULL);
  atomic_store(&stop, 1);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  printf("cpus=%d,%d,%d yields=%ld calls=%ld\n", cpus[0], cpus[1], cpus[2], atomic_load(&yields), atomic_load(&calls));
  return 0;
}
