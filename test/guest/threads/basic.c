/* pthread create/join/detach, mutex, condvar: exact results. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define N 8
#define ITERS 10000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter = 0;
static int detached_done = 0;

static void *worker(void *arg) {
  long id = (long)arg;
  for (int i = 0; i < ITERS; i++) {
    pthread_mutex_lock(&mu);
    counter++;
    pthread_mutex_unlock(&mu);
    if (i % 1000 == 0) sched_yield();
  }
  return (void *)(id * 10);
}

static void *detached(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  detached_done = 1;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(void) {
  pthread_t th[N];
  for (long i = 0; i < N; i++) {
    if (pthread_create(&th[i], NULL, worker, (void *)i) != 0) { printf("create failed\n"); return 1; }
  }
  long sum = 0;
  for (int i = 0; i < N; i++) {
    void *r;
    pthread_join(th[i], &r);
    sum += (long)r;
  }
  pthread_t d;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_create(&d, &attr, detached, NULL);
  pthread_mutex_lock(&mu);
  while (!detached_done) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  printf("counter=%ld sum=%ld detached=%d\n", counter, sum, detached_done);
  return 0;
}
