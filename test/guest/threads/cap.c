/* Create threads that park until released, until pthread_create fails: it must be EAGAIN. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MAXT 64
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go = 0;

static void *parked(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  while (!go) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(void) {
  pthread_t th[MAXT];
  int n = 0, err = 0;
  while (n < MAXT) {
    err = pthread_create(&th[n], NULL, parked, NULL);
    if (err != 0) break;
    n++;
  }
  pthread_mutex_lock(&mu);
  go = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
  /* After the joins there is room again. */
  pthread_t again;
  int err2 = pthread_create(&again, NULL, parked, NULL);
  if (err2 == 0) pthread_join(again, NULL);
  printf("created=%d err=%s again=%d\n", n, err == EAGAIN ? "EAGAIN" : strerror(err), err2);
  return 0;
}
