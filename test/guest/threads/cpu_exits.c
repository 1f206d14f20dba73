/*
 * CPU time across many thread exits: argv[1] threads start, meet main at a barrier, and end, all
 * at once; main joins them. On one vCPU (every thread on the kernel thread) the process's CPU
 * clock over that stretch never goes back and cannot exceed its wall time. Prints "ok=1" when
 * both hold, and the numbers on stderr when one does not (or when argv[2] is given). Before
 * 2026-12-05 threads waiting to start counted as running since their creation, and ending ones
 * until their runner's end ran: 1000 exits read 2.4 s of CPU in 30 ms, 256 read -444 ms.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_barrier_t meet;

static double ms(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *member(void *arg) {
  (void)arg;
  pthread_barrier_wait(&meet);
  return NULL;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 256;
  pthread_t *th = malloc(sizeof(pthread_t) * n);
  pthread_barrier_init(&meet, NULL, n + 1);
  for (int i = 0; i < n; i++)
    if (pthread_create(&th[i], NULL, member, NULL) != 0) { printf("create failed at %d\n", i); return 1; }
  double w0 = ms(CLOCK_MONOTONIC), c0 = ms(CLOCK_PROCESS_CPUTIME_ID);
  pthread_barrier_wait(&meet);
  for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
  double w1 = ms(CLOCK_MONOTONIC), c1 = ms(CLOCK_PROCESS_CPUTIME_ID);
  int ok = c1 >= c0 && c1 - c0 <= 1.2 * (w1 - w0) + 1;
  if (!ok || argc > 2) fprintf(stderr, "%d exits: %.2f ms of process CPU in %.2f ms\n", n, c1 - c0, w1 - w0);
  printf("ok=%d\n", ok);
  return 0;
}
