/*
 * 2-thread mutex + condvar ping-pong: ROUNDS hand-overs each way. Prints elapsed ns and switches.
 * Timed from a barrier both threads have passed, so thread creation and start-up (a worker's
 * boot in the thread-per-thread runner, an instance in occlum-ts) are not counted.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn = 0;
static long rounds = 10000;
static pthread_barrier_t start;

static void *pong(void *arg) {
  (void)arg;
  pthread_barrier_wait(&start);
  pthread_mutex_lock(&mu);
  for (long i = 0; i < rounds; i++) {
    while (turn != 1) pthread_cond_wait(&cv, &mu);
    turn = 0;
    pthread_cond_signal(&cv);
  }
  pthread_mutex_unlock(&mu);
  return NULL;
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc > 1) rounds = atol(argv[1]);
  pthread_t th;
  pthread_barrier_init(&start, NULL, 2);
  pthread_create(&th, NULL, pong, NULL);
  pthread_barrier_wait(&start);
  long long t0 = now_ns();
  pthread_mutex_lock(&mu);
  for (long i = 0; i < rounds; i++) {
    turn = 1;
    pthread_cond_signal(&cv);
    while (turn != 0) pthread_cond_wait(&cv, &mu);
  }
  pthread_mutex_unlock(&mu);
  long long t1 = now_ns();
  pthread_join(th, NULL);
  printf("ns=%lld ops=%ld\n", t1 - t0, 2 * rounds);
  return 0;
}
