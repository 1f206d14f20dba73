/* A thread that computes without syscalls must not stall another thread's I/O (preemption). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static volatile int stop = 0;
static volatile unsigned long spins = 0;

static void *busy(void *arg) {
  (void)arg;
  while (!stop) spins++;
  return NULL;
}

static void *io(void *arg) {
  (void)arg;
  for (int i = 0; i < 5; i++) {
    printf("io %d\n", i);
    fflush(stdout);
    usleep(2000);
  }
  stop = 1;
  return NULL;
}

int main(void) {
  pthread_t b, w;
  pthread_create(&b, NULL, busy, NULL);
  pthread_create(&w, NULL, io, NULL);
  pthread_join(w, NULL);
  pthread_join(b, NULL);
  printf("done spun=%d\n", spins > 0);
  return 0;
}
