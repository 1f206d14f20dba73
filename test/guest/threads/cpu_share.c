/*
 * CPU clocks when threads share a vCPU: argv[1] threads (at most 8) each compute for argv[2] ms
 * of monotonic time, all at once, then main joins them one by one. Prints which checks hold:
 *
 * - each_ok: no thread's CLOCK_THREAD_CPUTIME_ID exceeds its own wall span (start to end);
 * - got_ok: each got at least a 30th of its span (it really ran, and its clock counted it; CPU
 *   clocks count CPU, which a loaded host gives less of than the wall time);
 * - sum_ok: the threads' CPU times add up to at most argv[3] cores times the span of them all
 *   (argv[3] = the cores they can use: 1 when they all share one vCPU);
 * - process_ok: CLOCK_PROCESS_CPUTIME_ID after the joins covers every thread's (Linux keeps an
 *   ended thread's time in its process's clock);
 * - mono_ok: the process clock read before and after each join never went back.
 *
 * Details go to stderr when a check fails.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX 8

static volatile uint64_t sink;
static long spin_ms;
static double start_ms[MAX], end_ms[MAX], cpu_ms[MAX];

static double ms(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *spin(void *arg) {
  long i = (long)arg;
  uint64_t x = sink;
  start_ms[i] = ms(CLOCK_MONOTONIC);
  while (ms(CLOCK_MONOTONIC) - start_ms[i] < spin_ms)
    for (int k = 0; k < 2000; k++) x = x * 6364136223846793005ull + 1442695040888963407ull;
  sink = x;
  cpu_ms[i] = ms(CLOCK_THREAD_CPUTIME_ID);
  end_ms[i] = ms(CLOCK_MONOTONIC);
  return NULL;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3;
  spin_ms = argc > 2 ? atol(argv[2]) : 200;
  int cores = argc > 3 ? atoi(argv[3]) : 1;
  if (n < 1 || n > MAX) return 2;
  pthread_t t[MAX];
  for (long i = 0; i < n; i++) pthread_create(&t[i], NULL, spin, (void *)i);
  int mono_ok = 1;
  double last = ms(CLOCK_PROCESS_CPUTIME_ID);
  for (int i = 0; i < n; i++) {
    pthread_join(t[i], NULL);
    double now = ms(CLOCK_PROCESS_CPUTIME_ID);
    if (now < last) {
      mono_ok = 0;
      fprintf(stderr, "process clock went back at join %d: %.3f -> %.3f ms\n", i, last, now);
    }
    last = now;
  }
  double first = start_ms[0], lastEnd = end_ms[0], sum = 0;
  int each_ok = 1, got_ok = 1;
  for (int i = 0; i < n; i++) {
    double span = end_ms[i] - start_ms[i];
    if (start_ms[i] < first) first = start_ms[i];
    if (end_ms[i] > lastEnd) lastEnd = end_ms[i];
    sum += cpu_ms[i];
    if (cpu_ms[i] > span + 2) each_ok = 0;
    if (cpu_ms[i] < span / 30) got_ok = 0;
  }
  double window = lastEnd - first;
  int sum_ok = sum <= cores * window * 1.05 + 5;
  int process_ok = last >= sum;
  printf("each_ok=%d got_ok=%d sum_ok=%d process_ok=%d mono_ok=%d\n", each_ok, got_ok, sum_ok, process_ok, mono_ok);
  if (!(each_ok && got_ok && sum_ok && process_ok)) {
    fprintf(stderr, "window %.1f ms, process %.1f ms, threads:", window, last);
    for (int i = 0; i < n; i++) fprintf(stderr, " %.1f/%.1f", cpu_ms[i], end_ms[i] - start_ms[i]);
    fprintf(stderr, "\n");
  }
  return 0;
}
