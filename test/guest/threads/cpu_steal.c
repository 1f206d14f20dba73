/*
 * CPU clocks count CPU time, not wall time: computes for argv[1] ms of CLOCK_MONOTONIC, then prints
 * how much of that wall time its thread's clock (CLOCK_THREAD_CPUTIME_ID), its process's clock
 * (CLOCK_PROCESS_CPUTIME_ID) and clock() counted, in percent. On a core shared with another busy
 * process each is about half (test/libos/cli-run.test.ts runs it that way under taskset); on a
 * free core about all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double ms(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  long want = argc > 1 ? atol(argv[1]) : 400;
  double t0 = ms(CLOCK_MONOTONIC), th0 = ms(CLOCK_THREAD_CPUTIME_ID), p0 = ms(CLOCK_PROCESS_CPUTIME_ID);
  clock_t c0 = clock();
  volatile unsigned long x = 0;
  while (ms(CLOCK_MONOTONIC) - t0 < want)
    for (int i = 0; i < 20000; i++) x += i;
  double wall = ms(CLOCK_MONOTONIC) - t0;
  double th = ms(CLOCK_THREAD_CPUTIME_ID) - th0, p = ms(CLOCK_PROCESS_CPUTIME_ID) - p0;
  double c = (double)(clock() - c0) * 1e3 / CLOCKS_PER_SEC;
  printf("thread=%.0f process=%.0f clock=%.0f\n", 100 * th / wall, 100 * p / wall, 100 * c / wall);
  return 0;
}
