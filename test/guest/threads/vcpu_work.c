/*
 * N vCPUs: CPU-bound threads (argv[2], default 2) count work units for a fixed wall time
 * (argv[1] ms, from the moment all are running). With the threads on two vCPUs the total is
 * about twice the total on one. window_ns is the time the units were counted in, from the
 * first thread's first unit to the last thread's last: main's sleep is only the stop signal, and
 * on one vCPU it overruns (main wakes when a computing thread's slice ends), so a rate over the
 * nominal time would flatter one vCPU. argv[3] = "barrier": the threads first wait for each
 * other at a barrier (as a thread pool's workers wait for work), so none is computing when the
 * next is spawned. Parallelism is also witnessed directly: a unit "overlaps" when
 * another thread finished a unit while this one ran it. On one vCPU that happens only across a
 * preemption (a few per time slice); on two, on most units. The runner compares runs, never times.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 8

/* Each shared word on its own cache line: sharing one would slow both threads down. */
static _Alignas(64) atomic_int started;
static _Alignas(64) atomic_int stop;
static int nthreads = 2;
static unsigned long counts[MAX_THREADS];
static unsigned long overlaps[MAX_THREADS];
static _Alignas(64) atomic_ulong done_units; /* units finished by all threads */
static volatile unsigned sink;
static int use_barrier;
static pthread_barrier_t go;
static long long begins[MAX_THREADS], ends[MAX_THREADS];

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *work(void *arg) {
  int i = (int)(long)arg;
  unsigned x = 2463534242u + (unsigned)i;
  unsigned long n = 0, overlap = 0;
  atomic_fetch_add(&started, 1);
  if (use_barrier) pthread_barrier_wait(&go);
  begins[i] = now_ns();
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    unsigned long before = atomic_load_explicit(&done_units, memory_order_relaxed);
    for (int k = 0; k < 2000; k++) { /* one work unit: 2000 xorshift steps (a few us) */
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
    }
    n++;
    /* Others finished units while this one ran: the threads ran at the same time. */
    if (atomic_fetch_add_explicit(&done_units, 1, memory_order_relaxed) != before) overlap++;
  }
  ends[i] = now_ns();
  counts[i] = n;
  overlaps[i] = overlap;
  sink += x;
  return NULL;
}

int main(int argc, char **argv) {
  int ms = argc > 1 ? atoi(argv[1]) : 300;
  if (argc > 2) nthreads = atoi(argv[2]);
  use_barrier = argc > 3 && strcmp(argv[3], "barrier") == 0;
  if (nthreads < 1 || nthreads > MAX_THREADS) return 2;
  pthread_t t[MAX_THREADS];
  pthread_barrier_init(&go, NULL, (unsigned)nthreads);
  for (long i = 0; i < nthreads; i++) {
    if (pthread_create(&t[i], NULL, work, (void *)i) != 0) {
      printf("pthread_create failed\n");
      return 1;
    }
  }
  while (atomic_load(&started) < nthreads) usleep(1000);
  usleep(ms * 1000);
  atomic_store(&stop, 1);
  unsigned long total = 0, overlap = 0;
  printf("units=");
  for (int i = 0; i < nthreads; i++) {
    pthread_join(t[i], NULL);
    total += counts[i];
    overlap += overlaps[i];
    printf("%s%lu", i ? "," : "", counts[i]);
  }
  long long first = begins[0], last = ends[0];
  for (int i = 1; i < nthreads; i++) {
    if (begins[i] < first) first = begins[i];
    if (ends[i] > last) last = ends[i];
  }
  printf(" total=%lu overlap=%lu window_ns=%lld\n", total, overlap, last - first);
  return 0;
}
