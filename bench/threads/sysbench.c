/*
 * `sysbench threads`: N threads, each doing events of EV iterations of lock(m); sched_yield();
 * unlock(m), where an event's m is one of L locks, picked as sysbench picks it: a process-wide
 * event count mod L (sysbench's threads_next_event; EV is its --thread-yields, 100 in Occlum's CI
 * runs, `--thread-yields=100 --thread-locks=4`). argv: N YIELDS L [MS] [EV]. L = 0: no locks,
 * each iteration a bare sched_yield (profile.ts --locks=0: the switch alone, beside the contended
 * op). EV = 0: no events, a thread's k-th iteration takes lock (id + k) mod L, as this program
 * did until 2026-12-05 (bench/threads/README.md, fifteenth round).
 *
 * MS = 0 (or absent): every thread does YIELDS iterations. MS > 0: as `sysbench threads --time`,
 * the run lasts a fixed time and counts what got done: threads loop until main, MS ms after the
 * start, raises a stop flag (YIELDS is then unused). Each thread reads the flag after every
 * iteration, not only between events of --thread-yields iterations as sysbench does: with 1024
 * threads a native event of 100 iterations is ~1 ms, so finishing every started event would
 * stretch the window by ~0.5 s of a shrinking set of threads.
 *
 * The timed window is the same in both modes and for every runtime: from the start barrier every
 * thread has passed (thread creation excluded) to the end of the last thread's loop (t1 = the
 * latest loop end). Threads then wait on a second barrier before they return, so no thread exits
 * or is joined inside the window: sysbench measures events, not thread teardown.
 * Prints elapsed ns, ops (iterations done), t0/t1 (CLOCK_MONOTONIC) and the fewest and most ops
 * a thread did (sysbench's "threads fairness": a scheduler that wins by starving threads shows).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define LMAX 64
static pthread_mutex_t locks[LMAX];
static pthread_barrier_t start, finish;
static long yields = 100;
static int nlocks = 4;
static long event_len = 100;
static atomic_int stop;
static atomic_uint events;
static int timed;

/* One slot per thread, a cache line each (native threads write theirs while others run). */
struct slot {
  long long end_ns;
  long ops;
  char pad[48];
};
static struct slot *slots;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *worker(void *arg) {
  long id = (long)arg;
  long k = 0;
  pthread_mutex_t *m = NULL;
  pthread_barrier_wait(&start);
  for (;;) {
    if (nlocks > 0) {
      if (event_len == 0) m = &locks[(id + k) % nlocks];
      else if (k % event_len == 0) m = &locks[atomic_fetch_add_explicit(&events, 1, memory_order_relaxed) % nlocks];
      pthread_mutex_lock(m);
      sched_yield();
      pthread_mutex_unlock(m);
    } else {
      sched_yield();
    }
    k++;
    if (timed ? atomic_load_explicit(&stop, memory_order_relaxed) != 0 : k == yields) break;
  }
  slots[id].ops = k;
  slots[id].end_ns = now_ns();
  pthread_barrier_wait(&finish);
  return NULL;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 8;
  if (argc > 2) yields = atol(argv[2]);
  if (argc > 3) nlocks = atoi(argv[3]);
  long ms = argc > 4 ? atol(argv[4]) : 0;
  if (argc > 5) event_len = atol(argv[5]);
  if (nlocks < 0 || nlocks > LMAX) nlocks = 4;
  if (n < 1 || yields < 1 || event_len < 0) { printf("bad arguments\n"); return 1; }
  timed = ms > 0;
  for (int i = 0; i < nlocks; i++) pthread_mutex_init(&locks[i], NULL);
  pthread_barrier_init(&start, NULL, n + 1);
  pthread_barrier_init(&finish, NULL, n);
  slots = calloc(n, sizeof(struct slot));
  pthread_t *th = malloc(sizeof(pthread_t) * n);
  if (!slots || !th) { printf("out of memory\n"); return 1; }
  for (long i = 0; i < n; i++) {
    if (pthread_create(&th[i], NULL, worker, (void *)i) != 0) { printf("create failed at %ld\n", i); return 1; }
  }
  pthread_barrier_wait(&start);
  long long t0 = now_ns();
  if (timed) {
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&d, NULL);
    atomic_store_explicit(&stop, 1, memory_order_relaxed);
  }
  for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
  long long t1 = t0, joined = now_ns();
  long ops = 0, min_ops = slots[0].ops, max_ops = slots[0].ops;
  for (int i = 0; i < n; i++) {
    if (slots[i].end_ns > t1) t1 = slots[i].end_ns;
    ops += slots[i].ops;
    if (slots[i].ops < min_ops) min_ops = slots[i].ops;
    if (slots[i].ops > max_ops) max_ops = slots[i].ops;
  }
  /* t0/t1 (CLOCK_MONOTONIC): profile.ts places the host's GC pauses inside the timed window.
     join_ns: to the last join, thread exits included (the window before 2026-12-04 10:40 UTC). */
  printf("ns=%lld ops=%ld t0=%lld t1=%lld join_ns=%lld min_ops=%ld max_ops=%ld\n", t1 - t0, ops, t0, t1,
         joined - t0, min_ops, max_ops);
  return 0;
}
