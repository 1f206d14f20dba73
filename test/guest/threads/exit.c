/*
 * pthread_exit ends one thread (its value reaches pthread_join); exit() in a non-main thread
 * ends the whole process with that code while main is parked and another thread computes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile unsigned long spins;

static void finish(void) { pthread_exit((void *)42); }
static void *early(void *arg) {
  (void)arg;
  finish();
  return (void *)1;
}
static void *spinner(void *arg) {
  (void)arg;
  for (;;) spins++;
  return NULL;
}
static void *exiter(void *arg) {
  (void)arg;
  usleep(5000);
  printf("exiting\n");
  fflush(stdout);
  exit(3);
}

int main(void) {
  pthread_t a, s, e;
  void *v;
  pthread_create(&a, NULL, early, NULL);
  pthread_join(a, &v);
  printf("joined %ld self_differs=%d\n", (long)v, !pthread_equal(a, pthread_self()));
  fflush(stdout);
  pthread_create(&s, NULL, spinner, NULL);
  pthread_create(&e, NULL, exiter, NULL);
  pthread_mutex_lock(&mu);
  pthread_cond_wait(&cv, &mu); /* never signalled: exit(3) in another thread ends us */
  printf("not reached\n");
  return 0;
}
