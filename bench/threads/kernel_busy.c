/*
 * Syscalls from a vCPU worker while a CPU-bound thread runs on the kernel thread. main spawns a
 * spinner (it starts next to main, on the kernel thread, and is seen CPU-bound after a slice),
 * waits, then spawns a caller (placed on a worker, since the kernel thread is busy) that makes
 * getpid() calls, each served by the kernel thread, for argv[1] ms. Prints calls and ns per call.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static _Alignas(64) atomic_int stop;
static volatile unsigned sink;
static long window_ms = 300;
static long calls;
static long long elapsed;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *spin(void *arg) {
  (void)arg;
  unsigned x = 2463534242u;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    for (int k = 0; k < 2000; k++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; }
  }
  sink += x;
  return NULL;
}

static void *caller(void *arg) {
  (void)arg;
  long long t0 = now_ns(), end = t0 + window_ms * 1000000LL, t;
  long n = 0;
  do {
    sink += (unsigned)getpid();
    n++;
  } while ((t = now_ns()) < end);
  calls = n;
  elapsed = t - t0;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1) window_ms = atol(argv[1]);
  pthread_t s, c;
  if (pthread_create(&s, NULL, spin, NULL) != 0) return 1;
  usleep(50000); /* the spinner runs a few slices: the kernel thread is busy */
  if (pthread_create(&c, NULL, caller, NULL) != 0) return 1;
  pthread_join(c, NULL);
  atomic_store(&stop, 1);
  pthread_join(s, NULL);
  printf("ns=%lld ops=%ld\n", elapsed, calls);
  return 0;
}
