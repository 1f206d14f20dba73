/*
 * Differential conformance of threads, part 1 of 3: the synchronization objects. Mutex types and
 * their errors, robust mutexes, rwlocks, condition variables (CLOCK_MONOTONIC too), barriers and
 * pthread_once. Run before conform_threads_life.c and conform_threads_proc.c; the three outputs
 * in that order are the old single program's.
 */
#include "conform_threads.h"

static pthread_mutex_t m_err, m_rec, m_norm;

static void mutexes(void) {
  pthread_mutexattr_t a;
  int type = -1;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_gettype(&a, &type);
  printf("mutexattr default type is NORMAL/DEFAULT: %d\n", type == PTHREAD_MUTEX_NORMAL || type == PTHREAD_MUTEX_DEFAULT);
  P("mutexattr_settype 99", pthread_mutexattr_settype(&a, 99));
  P("mutexattr_settype ERRORCHECK", pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
  pthread_mutexattr_gettype(&a, &type);
  printf("mutexattr_gettype is ERRORCHECK: %d\n", type == PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&m_err, &a);
  P("errorcheck unlock unlocked", pthread_mutex_unlock(&m_err));
  P("errorcheck lock", pthread_mutex_lock(&m_err));
  P("errorcheck relock", pthread_mutex_lock(&m_err));
  P("errorcheck trylock held by self", pthread_mutex_trylock(&m_err));
  struct timespec t = in_ms(CLOCK_REALTIME, 20);
  P("errorcheck timedlock held by self", pthread_mutex_timedlock(&m_err, &t));
  P("errorcheck unlock by other thread", in_other(&m_err, 0));
  P("errorcheck trylock by other thread", in_other(&m_err, 1));
  P("errorcheck timedlock by other thread", in_other(&m_err, 2));
  P("errorcheck unlock", pthread_mutex_unlock(&m_err));
  P("errorcheck unlock again", pthread_mutex_unlock(&m_err));

  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&m_rec, &a);
  P("recursive lock 1", pthread_mutex_lock(&m_rec));
  P("recursive lock 2", pthread_mutex_lock(&m_rec));
  P("recursive trylock 3", pthread_mutex_trylock(&m_rec));
  t = in_ms(CLOCK_REALTIME, 20);
  P("recursive timedlock 4", pthread_mutex_timedlock(&m_rec, &t));
  P("recursive trylock by other thread", in_other(&m_rec, 1));
  P("recursive unlock by other thread", in_other(&m_rec, 0));
  for (int i = 1; i <= 4; i++) {
    char b[40];
    snprintf(b, sizeof b, "recursive unlock %d", i);
    P(b, pthread_mutex_unlock(&m_rec));
  }
  P("recursive unlock 5", pthread_mutex_unlock(&m_rec));
  P("recursive trylock by other thread after", in_other(&m_rec, 1));
  /* The other thread exited holding it: the lock stays held by a dead thread. */
  P("recursive trylock by self after", pthread_mutex_trylock(&m_rec));
  pthread_mutexattr_destroy(&a);

  pthread_mutex_init(&m_norm, 0);
  P("normal trylock", pthread_mutex_trylock(&m_norm));
  P("normal trylock held by self", pthread_mutex_trylock(&m_norm));
  P("normal trylock by other thread", in_other(&m_norm, 1));
  P("normal timedlock by other thread", in_other(&m_norm, 2));
  struct timespec bad = {0, 1000000000L};
  P("normal timedlock bad nsec (held)", pthread_mutex_timedlock(&m_norm, &bad));
  P("normal unlock", pthread_mutex_unlock(&m_norm));
  bad.tv_sec = time(0) + 10;
  P("normal timedlock bad nsec (free)", pthread_mutex_timedlock(&m_norm, &bad));
  pthread_mutex_unlock(&m_norm);
  struct timespec past = {1, 0};
  P("normal timedlock past (free)", pthread_mutex_timedlock(&m_norm, &past));
  P("normal timedlock past (held)", in_other(&m_norm, 2));
  pthread_mutex_unlock(&m_norm);
  pthread_mutex_t stat = PTHREAD_MUTEX_INITIALIZER;
  P("static initializer lock", pthread_mutex_lock(&stat));
  P("static initializer unlock", pthread_mutex_unlock(&stat));
  P("mutex destroy", pthread_mutex_destroy(&stat));
}

/* Robust mutex: its owner exits holding it. */
static pthread_mutex_t m_rob;
static void *rob_owner(void *arg) {
  (void)arg;
  pthread_mutex_lock(&m_rob);
  return 0;
}
static void robust(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  int rb = -1;
  pthread_mutexattr_getrobust(&a, &rb);
  printf("robust default STALLED: %d\n", rb == PTHREAD_MUTEX_STALLED);
  P("mutexattr_setrobust ROBUST", pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
  pthread_mutex_init(&m_rob, &a);
  pthread_t t;
  pthread_create(&t, 0, rob_owner, 0);
  pthread_join(t, 0);
  P("robust lock after owner died", pthread_mutex_lock(&m_rob));
  P("robust consistent", pthread_mutex_consistent(&m_rob));
  P("robust unlock", pthread_mutex_unlock(&m_rob));
  P("robust lock again", pthread_mutex_lock(&m_rob));
  P("robust consistent when consistent", pthread_mutex_consistent(&m_rob));
  P("robust unlock again", pthread_mutex_unlock(&m_rob));
  pthread_create(&t, 0, rob_owner, 0);
  pthread_join(t, 0);
  P("robust lock (owner died again)", pthread_mutex_lock(&m_rob));
  P("robust unlock without consistent", pthread_mutex_unlock(&m_rob));
  P("robust lock now unrecoverable", pthread_mutex_lock(&m_rob));
  pthread_mutexattr_destroy(&a);
}

static pthread_rwlock_t rw;
static int rw_op;
static void *rw_other(void *arg) {
  (void)arg;
  struct timespec t = in_ms(CLOCK_REALTIME, 50);
  int r;
  switch (rw_op) {
    case 0: r = pthread_rwlock_trywrlock(&rw); break;
    case 1: r = pthread_rwlock_timedwrlock(&rw, &t); break;
    case 2: r = pthread_rwlock_tryrdlock(&rw); if (!r) pthread_rwlock_unlock(&rw); break;
    case 3: r = pthread_rwlock_timedrdlock(&rw, &t); if (!r) pthread_rwlock_unlock(&rw); break;
    default: r = -1;
  }
  return (void *)(intptr_t)r;
}
static int rw_in_other(int op) {
  pthread_t t;
  void *r;
  rw_op = op;
  pthread_create(&t, 0, rw_other, 0);
  pthread_join(t, &r);
  return (int)(intptr_t)r;
}
static void rwlocks(void) {
  pthread_rwlock_init(&rw, 0);
  P("rwlock rdlock 1", pthread_rwlock_rdlock(&rw));
  P("rwlock rdlock 2", pthread_rwlock_rdlock(&rw));
  P("rwlock tryrdlock 3", pthread_rwlock_tryrdlock(&rw));
  P("rwlock trywrlock while read-held", pthread_rwlock_trywrlock(&rw));
  struct timespec t = in_ms(CLOCK_REALTIME, 50);
  P("rwlock timedwrlock while read-held", pthread_rwlock_timedwrlock(&rw, &t));
  P("rwlock trywrlock by other while read-held", rw_in_other(0));
  P("rwlock timedwrlock by other while read-held", rw_in_other(1));
  P("rwlock tryrdlock by other while read-held", rw_in_other(2));
  for (int i = 1; i <= 3; i++) {
    char b[40];
    snprintf(b, sizeof b, "rwlock unlock %d", i);
    P(b, pthread_rwlock_unlock(&rw));
  }
  P("rwlock wrlock", pthread_rwlock_wrlock(&rw));
  P("rwlock tryrdlock by other while write-held", rw_in_other(2));
  P("rwlock timedrdlock by other while write-held", rw_in_other(3));
  P("rwlock trywrlock by other while write-held", rw_in_other(0));
  P("rwlock unlock", pthread_rwlock_unlock(&rw));
  P("rwlock trywrlock free", pthread_rwlock_trywrlock(&rw));
  P("rwlock unlock", pthread_rwlock_unlock(&rw));
  struct timespec bad = {time(0) + 5, 2000000000L};
  pthread_rwlock_wrlock(&rw);
  P("rwlock timedrdlock bad nsec (held)", pthread_rwlock_timedrdlock(&rw, &bad));
  pthread_rwlock_unlock(&rw);
  /* free: musl would take it, glibc refuses the deadline first (sdk/libc/threads.c follows glibc) */
  P("rwlock timedrdlock bad nsec (free)", pthread_rwlock_timedrdlock(&rw, &bad));
  P("rwlock timedwrlock bad nsec (free)", pthread_rwlock_timedwrlock(&rw, &bad));
  P("rwlock destroy", pthread_rwlock_destroy(&rw));
}

static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static int flag, woken;
static void *cond_signaller(void *arg) {
  (void)arg;
  usleep(20000);
  pthread_mutex_lock(&cm);
  flag = 1;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&cm);
  return 0;
}
static void *cond_waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&cm);
  while (!flag) pthread_cond_wait(&cv, &cm);
  woken++;
  pthread_mutex_unlock(&cm);
  return 0;
}
static void conds(void) {
  pthread_condattr_t ca;
  clockid_t c = -1;
  pthread_condattr_init(&ca);
  pthread_condattr_getclock(&ca, &c);
  printf("condattr default clock REALTIME: %d\n", c == CLOCK_REALTIME);
  P("condattr_setclock MONOTONIC", pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
  P("condattr_setclock PROCESS_CPUTIME", pthread_condattr_setclock(&ca, CLOCK_PROCESS_CPUTIME_ID));
  pthread_condattr_getclock(&ca, &c);
  printf("condattr_getclock MONOTONIC: %d\n", c == CLOCK_MONOTONIC);
  pthread_cond_init(&cv, &ca);
  P("cond_signal no waiters", pthread_cond_signal(&cv));
  P("cond_broadcast no waiters", pthread_cond_broadcast(&cv));
  pthread_mutex_lock(&cm);
  struct timespec a, b, t = in_ms(CLOCK_MONOTONIC, 60);
  clock_gettime(CLOCK_MONOTONIC, &a);
  int r = pthread_cond_timedwait(&cv, &cm, &t);
  clock_gettime(CLOCK_MONOTONIC, &b);
  P("cond_timedwait MONOTONIC 60ms", r);
  long e = elapsed_ms(&a, &b);
  printf("cond_timedwait waited 60ms..10s: %d\n", e >= 59 && e < 10000);
  P("cond_timedwait holds mutex after (trylock)", pthread_mutex_trylock(&cm));
  /* A MONOTONIC deadline far in the REALTIME past but in the MONOTONIC future would time out at
     once if the wait used CLOCK_REALTIME. */
  t = in_ms(CLOCK_MONOTONIC, 0);
  P("cond_timedwait MONOTONIC now", pthread_cond_timedwait(&cv, &cm, &t));
  struct timespec past = {0, 0};
  P("cond_timedwait past", pthread_cond_timedwait(&cv, &cm, &past));
  struct timespec bad = {t.tv_sec + 5, -1};
  P("cond_timedwait bad nsec", pthread_cond_timedwait(&cv, &cm, &bad));
  pthread_t th;
  flag = 0;
  pthread_create(&th, 0, cond_signaller, 0);
  t = in_ms(CLOCK_MONOTONIC, 5000);
  r = 0;
  while (!flag && r == 0) r = pthread_cond_timedwait(&cv, &cm, &t);
  P("cond_timedwait signalled", r);
  printf("cond_timedwait flag: %d\n", flag);
  pthread_mutex_unlock(&cm);
  pthread_join(th, 0);

  /* The realtime-clock condvar with a realtime deadline. */
  pthread_cond_t rc;
  pthread_cond_init(&rc, 0);
  pthread_mutex_lock(&cm);
  t = in_ms(CLOCK_REALTIME, 30);
  P("cond_timedwait REALTIME 30ms", pthread_cond_timedwait(&rc, &cm, &t));
  pthread_mutex_unlock(&cm);

  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_t em;
  pthread_mutex_init(&em, &ma);
  t = in_ms(CLOCK_REALTIME, 30);
  P("cond_timedwait errorcheck mutex not held", pthread_cond_timedwait(&rc, &em, &t));

  /* broadcast wakes every waiter */
  flag = 0;
  woken = 0;
  pthread_t w[5];
  for (int i = 0; i < 5; i++) pthread_create(&w[i], 0, cond_waiter, 0);
  usleep(30000);
  pthread_mutex_lock(&cm);
  flag = 1;
  P("cond_broadcast", pthread_cond_broadcast(&cv));
  pthread_mutex_unlock(&cm);
  for (int i = 0; i < 5; i++) pthread_join(w[i], 0);
  printf("cond_broadcast woke: %d\n", woken);
  P("cond destroy", pthread_cond_destroy(&cv));
}

static pthread_barrier_t bar;
static int serial_count, zero_count;
static pthread_mutex_t bm = PTHREAD_MUTEX_INITIALIZER;
static void *bar_thread(void *arg) {
  (void)arg;
  for (int round = 0; round < 3; round++) {
    int r = pthread_barrier_wait(&bar);
    pthread_mutex_lock(&bm);
    if (r == PTHREAD_BARRIER_SERIAL_THREAD) serial_count++;
    else if (r == 0) zero_count++;
    pthread_mutex_unlock(&bm);
  }
  return 0;
}
static void barriers(void) {
  P("barrier_init count 0", pthread_barrier_init(&bar, 0, 0));
  P("barrier_init count 4", pthread_barrier_init(&bar, 0, 4));
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], 0, bar_thread, 0);
  bar_thread(0);
  for (int i = 0; i < 3; i++) pthread_join(t[i], 0);
  printf("barrier 3 rounds x 4: serial=%d zero=%d\n", serial_count, zero_count);
  P("barrier destroy", pthread_barrier_destroy(&bar));
  pthread_barrier_t one;
  pthread_barrier_init(&one, 0, 1);
  printf("barrier of 1 is serial: %d\n", pthread_barrier_wait(&one) == PTHREAD_BARRIER_SERIAL_THREAD);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_calls;
static int once_seen_done;
static void once_init(void) {
  usleep(20000);
  once_calls++;
}
static void *once_thread(void *arg) {
  (void)arg;
  pthread_once(&once, once_init);
  __atomic_add_fetch(&once_seen_done, once_calls == 1, __ATOMIC_SEQ_CST);
  return 0;
}
static void onces(void) {
  pthread_t t[8];
  for (int i = 0; i < 8; i++) pthread_create(&t[i], 0, once_thread, 0);
  for (int i = 0; i < 8; i++) pthread_join(t[i], 0);
  printf("pthread_once 8 threads: calls=%d all_saw_done=%d\n", once_calls, once_seen_done);
  P("pthread_once again", pthread_once(&once, once_init));
  printf("pthread_once calls after: %d\n", once_calls);
}


int main(void) {
  mutexes();
  robust();
  rwlocks();
  conds();
  barriers();
  onces();
  return 0;
}
