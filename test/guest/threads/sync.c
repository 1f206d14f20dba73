/* rwlock, barrier, once, TLS, recursive mutex under contention: exact results. */
#include <pthread.h>
#include <stdio.h>

#define N 6
#define ROUNDS 200

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t bar;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t rmu;
static int once_runs = 0;
static long shared_a = 0, shared_b = 0; /* invariant under rw: a == b */
static int bad_reads = 0;
static long phase_sum[ROUNDS];
static __thread long tls_counter = 0;
static long tls_totals[N];
static long recursive_total = 0;

static void init_once(void) { once_runs++; }

static void rec(int depth) {
  pthread_mutex_lock(&rmu);
  recursive_total++;
  if (depth > 0) rec(depth - 1);
  pthread_mutex_unlock(&rmu);
}

static void *worker(void *arg) {
  long id = (long)arg;
  pthread_once(&once, init_once);
  for (int r = 0; r < ROUNDS; r++) {
    if ((r + id) % 3 == 0) {
      pthread_rwlock_wrlock(&rw);
      shared_a++;
      sched_yield(); /* let readers try while the invariant is broken */
      shared_b++;
      pthread_rwlock_unlock(&rw);
    } else {
      pthread_rwlock_rdlock(&rw);
      if (shared_a != shared_b) bad_reads++;
      pthread_rwlock_unlock(&rw);
    }
    tls_counter += id + 1;
    __atomic_fetch_add(&phase_sum[r], id, __ATOMIC_SEQ_CST);
    pthread_barrier_wait(&bar);
    /* after the barrier every thread has added to phase_sum[r] */
    if (phase_sum[r] != N * (N - 1) / 2) bad_reads += 1000;
  }
  rec(3);
  tls_totals[id] = tls_counter;
  return NULL;
}

int main(void) {
  pthread_t th[N];
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&rmu, &ma);
  pthread_barrier_init(&bar, NULL, N);
  for (long i = 0; i < N; i++) pthread_create(&th[i], NULL, worker, (void *)i);
  for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
  long tls_ok = 1;
  for (int i = 0; i < N; i++) if (tls_totals[i] != (long)(i + 1) * ROUNDS) tls_ok = 0;
  printf("once=%d a=%ld b=%ld bad=%d tls_ok=%ld main_tls=%ld rec=%ld\n", once_runs, shared_a, shared_b, bad_reads, tls_ok, tls_counter, recursive_total);
  return 0;
}
