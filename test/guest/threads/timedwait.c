/* pthread_cond_timedwait: times out with ETIMEDOUT; a signalled one returns 0 before its deadline. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int flag = 0;

static void *signaller(void *arg) {
  (void)arg;
  usleep(20000);
  pthread_mutex_lock(&mu);
  flag = 1;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
  return NULL;
}

static long ms_since(struct timespec *a) {
  struct timespec b;
  clock_gettime(CLOCK_MONOTONIC, &b);
  return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

int main(void) {
  struct timespec start, ts;
  clock_gettime(CLOCK_MONOTONIC, &start);
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 50 * 1000000;
  if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
  pthread_mutex_lock(&mu);
  int r1 = pthread_cond_timedwait(&cv, &mu, &ts);
  pthread_mutex_unlock(&mu);
  long waited = ms_since(&start);

  pthread_t th;
  pthread_create(&th, NULL, signaller, NULL);
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += 30;
  clock_gettime(CLOCK_MONOTONIC, &start);
  pthread_mutex_lock(&mu);
  int r2 = 0;
  while (!flag && r2 == 0) r2 = pthread_cond_timedwait(&cv, &mu, &ts);
  pthread_mutex_unlock(&mu);
  long waited2 = ms_since(&start);
  pthread_join(th, NULL);
  printf("first=%s waited_ge_50=%d second=%d flag=%d early=%d\n", r1 == ETIMEDOUT ? "ETIMEDOUT" : "other", waited >= 49, r2, flag, waited2 < 30000);
  return 0;
}
