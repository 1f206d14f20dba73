/* A trap in one thread kills its process (the other thread is parked in a futex wait). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *crasher(void *arg) {
  (void)arg;
  usleep(5000);
  __builtin_trap();
  return NULL;
}

int main(void) {
  pthread_t th;
  printf("start\n");
  fflush(stdout);
  pthread_create(&th, NULL, crasher, NULL);
  pthread_mutex_lock(&mu);
  pthread_cond_wait(&cv, &mu); /* never signalled */
  printf("not reached\n");
  return 0;
}
