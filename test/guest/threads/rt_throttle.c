/*
 * Real-time throttling (threads.test.ts): main, pinned to CPU 0 with a SCHED_OTHER thread that
 * counts 1 ms naps, turns SCHED_FIFO and computes for 2.1 s. On Linux (sched_rt_runtime_us
 * 950000 of each 1000000) the other thread still gets the rest of each period, so its count
 * goes on during the spin; without throttling it stops. The spin holds a whole period
 * whatever the periods' phase (1.2 s could fall 600 ms into each of two and use neither's
 * budget up). Prints whether it went on.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static atomic_int ticks, stop;

static void *counter(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    usleep(1000);
    atomic_fetch_add(&ticks, 1);
  }
  return NULL;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(void) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  sched_setaffinity(0, sizeof one, &one);
  pthread_t t;
  pthread_create(&t, NULL, counter, NULL);
  usleep(20000);
  struct sched_param sp = { .sched_priority = 10 };
  if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) != 0) {
    printf("no SCHED_FIFO\n");
    return 1;
  }
  int before = atomic_load(&ticks);
  long long end = now_ms() + 2100;
  volatile unsigned long x = 0;
  while (now_ms() < end) x++;
  int during = atomic_load(&ticks) - before;
  sp.sched_priority = 0;
  pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  printf("the other thread ran during the spin: %s\n", during > 0 ? "yes" : "no");
  return 0;
}
