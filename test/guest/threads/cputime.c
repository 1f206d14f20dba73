/*
 * Per-thread CPU time across direct resumes (sched_yield and futex hand-overs complete without a
 * reaction at the resume; the CPU time starts lazily, src/libos/process/thread.ts): a worker
 * computes in chunks of about 1 ms and yields or hands a futex turn to an idler between chunks;
 * the idler only yields or waits. The worker's CPU time must cover a good part of its measured computing and
 * the idler's must stay a small fraction of it. clock() is the process's CPU time: it covers the
 * worker's and does not count a sleep (the libc's counted the monotonic clock; sdk/libc/clock.c).
 * Prints which checks hold.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wasi/api_wasix.h>

#include "futex_wasix.h"

#define CHUNKS 60

static volatile int done;
static _Alignas(4) volatile uint32_t turn;
static volatile uint64_t sink;
static double busy_ms, worker_cpu_ms, idler_cpu_ms;

static double ms(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *worker(void *arg) {
  (void)arg;
  for (int c = 0; c < CHUNKS; c++) {
    double t0 = ms(CLOCK_MONOTONIC);
    uint64_t x = sink;
    while (ms(CLOCK_MONOTONIC) - t0 < 1.0)
      for (int i = 0; i < 2000; i++) x = x * 6364136223846793005ull + 1442695040888963407ull;
    sink = x;
    busy_ms += ms(CLOCK_MONOTONIC) - t0;
    if (c % 2 == 0) {
      sched_yield();
    } else { /* hand the turn to the idler and wait for it back */
      turn = 1;
      __wasi_bool_t w;
      __wasi_futex_wake((uint32_t *)&turn, &w);
      __wasi_option_timestamp_t t = after_ns(0);
      while (turn == 1) __wasi_futex_wait((uint32_t *)&turn, 1, &t, &w);
    }
  }
  worker_cpu_ms = ms(CLOCK_THREAD_CPUTIME_ID);
  done = 1;
  turn = 1;
  __wasi_bool_t w;
  __wasi_futex_wake((uint32_t *)&turn, &w);
  return NULL;
}

static void *idler(void *arg) {
  (void)arg;
  __wasi_option_timestamp_t t = after_ns(0);
  while (!done) {
    if (turn == 1) {
      turn = 0;
      __wasi_bool_t w;
      __wasi_futex_wake((uint32_t *)&turn, &w);
    }
    if (done) break;
    sched_yield();
    __wasi_bool_t w;
    if (turn == 0 && !done) __wasi_futex_wait((uint32_t *)&turn, 0, &t, &w);
  }
  idler_cpu_ms = ms(CLOCK_THREAD_CPUTIME_ID);
  return NULL;
}

int main(void) {
  pthread_t a, b;
  pthread_create(&a, NULL, worker, NULL);
  pthread_create(&b, NULL, idler, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  /* A quarter: CPU clocks count CPU, which a loaded host gives less of than the wall time. */
  int worker_ok = worker_cpu_ms >= 0.25 * busy_ms;
  int idler_ok = idler_cpu_ms < 0.2 * worker_cpu_ms;
  double c0 = (double)clock() * 1e3 / CLOCKS_PER_SEC;
  struct timespec nap = {0, 100000000};
  nanosleep(&nap, NULL);
  double c1 = (double)clock() * 1e3 / CLOCKS_PER_SEC;
  int clock_ok = c0 >= 0.8 * worker_cpu_ms && c1 - c0 < 20;
  printf("worker_ok=%d idler_ok=%d clock_ok=%d\n", worker_ok, idler_ok, clock_ok);
  if (!clock_ok) fprintf(stderr, "clock(): %.2f ms after the threads, +%.2f ms over a 100 ms sleep\n", c0, c1 - c0);
  if (!worker_ok || !idler_ok) fprintf(stderr, "busy %.2f ms, worker cpu %.2f ms, idler cpu %.2f ms\n", busy_ms, worker_cpu_ms, idler_cpu_ms);
  return 0;
}
