/* 1000 threads in waves of WAVE: each adds its index; joined; exact sum. */
#include <pthread.h>
#include <stdio.h>

#ifndef TOTAL
#define TOTAL 1000
#endif
#define WAVE 100

static long sum = 0;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
  pthread_mutex_lock(&mu);
  sum += (long)arg;
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(void) {
  pthread_t th[WAVE];
  int created = 0;
  for (int base = 0; base < TOTAL; base += WAVE) {
    for (int i = 0; i < WAVE; i++) {
      if (pthread_create(&th[i], NULL, worker, (void *)(long)(base + i)) != 0) { printf("create failed at %d\n", base + i); return 1; }
      created++;
    }
    for (int i = 0; i < WAVE; i++) pthread_join(th[i], NULL);
  }
  printf("threads=%d sum=%ld\n", created, sum);
  return 0;
}
