/*
 * sysbench-threads style: N threads, each YIELDS times: lock(m[i mod L]); sched_yield(); unlock.
 * argv: N YIELDS L. Threads start together on a barrier; prints elapsed ns and lock/yield ops.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define LMAX 64
static pthread_mutex_t locks[LMAX];
static pthread_barrier_t start;
static long yields = 100;
static int nlocks = 4;

static void *worker(void *arg) {
  long id = (long)arg;
  pthread_barrier_wait(&start);
  for (long i = 0; i < yields; i++) {
    pthread_mutex_t *m = &locks[(id + i) % nlocks];
    pthread_mutex_lock(m);
    sched_yield();
    pthread_mutex_unlock(m);
  }
  return NULL;
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 8;
  if (argc > 2) yields = atol(argv[2]);
  if (argc > 3) nlocks = atoi(argv[3]);
  if (nlocks < 1 || nlocks > LMAX) nlocks = 4;
  for (int i = 0; i < nlocks; i++) pthread_mutex_init(&locks[i], NULL);
  pthread_barrier_init(&start, NULL, n + 1);
  pthread_t *th = malloc(sizeof(pthread_t) * n);
  for (long i = 0; i < n; i++) {
    if (pthread_create(&th[i], NULL, worker, (void *)i) != 0) { printf("create failed at %ld\n", i); return 1; }
  }
  pthread_barrier_wait(&start);
  long long t0 = now_ns();
  for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
  long long t1 = now_ns();
  /* t0/t1 (CLOCK_MONOTONIC): profile.ts places the host's GC pauses inside the timed window. */
  printf("ns=%lld ops=%ld t0=%lld t1=%lld\n", t1 - t0, (long)n * yields, t0, t1);
  return 0;
}
