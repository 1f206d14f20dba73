/*
 * Differential conformance of threads: one line per case (return value, errno name, values read
 * back), the same on Linux (gcc -O2 -pthread) and under occlum-ts. No addresses, tids or timings
 * are printed. argv[1] picks a process-ending mode (the last cases): exit() from a thread,
 * pthread_exit() from main, a return from main with threads running, a fatal signal to a thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>
#include <fcntl.h>
#include <threads.h>

static const char *en(int e) {
  switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case EDEADLK: return "EDEADLK";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EAGAIN: return "EAGAIN";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOSYS: return "ENOSYS";
    case ENOTSUP: return "ENOTSUP";
    case EOVERFLOW: return "EOVERFLOW";
    case ERANGE: return "ERANGE";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EACCES: return "EACCES";
    case ENOSPC: return "ENOSPC";
    default: {
      static char b[32];
      snprintf(b, sizeof b, "errno%d", e);
      return b;
    }
  }
}

/* A pthread_* result (an error number, not errno). */
static void P(const char *what, int r) { printf("%s: %s\n", what, en(r)); fflush(stdout); }
/* A -1/errno result. */
static void S(const char *what, int r) {
  if (r == -1) printf("%s: -1 %s\n", what, en(errno));
  else printf("%s: %d\n", what, r);
  fflush(stdout);
}

static struct timespec in_ms(clockid_t c, long ms) {
  struct timespec t;
  clock_gettime(c, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) { t.tv_sec++; t.tv_nsec -= 1000000000L; }
  return t;
}
static long elapsed_ms(const struct timespec *a, const struct timespec *b) {
  return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static pthread_mutex_t m_err, m_rec, m_norm;
static pthread_mutex_t *other_target;
static int other_op; /* 0 unlock, 1 trylock, 2 timedlock 50ms */

static void *other(void *arg) {
  (void)arg;
  int r;
  if (other_op == 0) r = pthread_mutex_unlock(other_target);
  else if (other_op == 1) r = pthread_mutex_trylock(other_target);
  else {
    struct timespec t = in_ms(CLOCK_REALTIME, 50);
    r = pthread_mutex_timedlock(other_target, &t);
  }
  return (void *)(intptr_t)r;
}
static int in_other(pthread_mutex_t *m, int op) {
  pthread_t t;
  void *r;
  other_target = m;
  other_op = op;
  pthread_create(&t, 0, other, 0);
  pthread_join(t, &r);
  return (int)(intptr_t)r;
}

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

static pthread_key_t k1, k2, k3;
static int d1_sum, d1_calls, d2_calls, d3_calls;
static pthread_mutex_t km = PTHREAD_MUTEX_INITIALIZER;
static void d1(void *v) {
  pthread_mutex_lock(&km);
  d1_sum += (int)(intptr_t)v;
  d1_calls++;
  pthread_mutex_unlock(&km);
}
static void d2(void *v) { (void)v; __atomic_add_fetch(&d2_calls, 1, __ATOMIC_SEQ_CST); }
/* Re-sets its value twice: called 3 times (PTHREAD_DESTRUCTOR_ITERATIONS is 4). */
static void d3(void *v) {
  int n = (int)(intptr_t)v;
  __atomic_add_fetch(&d3_calls, 1, __ATOMIC_SEQ_CST);
  if (n < 3) pthread_setspecific(k3, (void *)(intptr_t)(n + 1));
}
static void *key_thread(void *arg) {
  int i = (int)(intptr_t)arg;
  if (pthread_getspecific(k1) != 0) __atomic_add_fetch(&d1_sum, 1000000, __ATOMIC_SEQ_CST);
  pthread_setspecific(k1, (void *)(intptr_t)(i + 1));
  /* k2's value is left NULL: no destructor call. */
  if (i == 0) pthread_setspecific(k3, (void *)(intptr_t)1);
  if (i == 1) pthread_exit(0);
  return 0;
}
static void keys(void) {
  P("key_create k1", pthread_key_create(&k1, d1));
  P("key_create k2", pthread_key_create(&k2, d2));
  P("key_create k3", pthread_key_create(&k3, d3));
  pthread_setspecific(k1, (void *)(intptr_t)500);
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], 0, key_thread, (void *)(intptr_t)i);
  for (int i = 0; i < 4; i++) pthread_join(t[i], 0);
  printf("key destructors: d1 calls=%d sum=%d d2 calls=%d d3 calls=%d\n", d1_calls, d1_sum, d2_calls, d3_calls);
  printf("main value kept: %d\n", (int)(intptr_t)pthread_getspecific(k1));
  P("key_delete k2", pthread_key_delete(k2));
  P("setspecific k1", pthread_setspecific(k1, 0));
}

static volatile int release;
static void *blocker(void *arg) {
  while (!release) usleep(1000);
  return arg;
}
static void *exiter(void *arg) {
  pthread_exit((char *)arg + 1);
  return 0;
}
static void *returner(void *arg) { return arg; }
static pthread_t main_thread;
static int child_equal_main, child_equal_self;
static void *ident(void *arg) {
  (void)arg;
  child_equal_main = pthread_equal(pthread_self(), main_thread) != 0;
  child_equal_self = pthread_equal(pthread_self(), pthread_self()) != 0;
  return (void *)(intptr_t)gettid();
}
static void joins(void) {
  pthread_t t;
  void *r = 0;
  static char buf[4];
  pthread_create(&t, 0, exiter, buf);
  P("join pthread_exit value", pthread_join(t, &r));
  printf("  value is arg+1: %d\n", r == buf + 1);
  pthread_create(&t, 0, returner, (void *)(intptr_t)77);
  P("join return value", pthread_join(t, &r));
  printf("  value: %d\n", (int)(intptr_t)r);
  pthread_create(&t, 0, returner, 0);
  P("join NULL retval", pthread_join(t, 0));
  P("join self", pthread_join(pthread_self(), &r));

  main_thread = pthread_self();
  printf("equal(self, self): %d\n", pthread_equal(pthread_self(), pthread_self()) != 0);
  pthread_create(&t, 0, ident, 0);
  pthread_join(t, &r);
  printf("child equal main: %d, child equal self: %d, equal(main, child): %d\n", child_equal_main, child_equal_self, pthread_equal(main_thread, t) != 0);
  pid_t child_tid = (pid_t)(intptr_t)r;
  printf("gettid: main == getpid: %d, child distinct: %d, child > 0: %d\n", gettid() == getpid(), child_tid != gettid(), child_tid > 0);

  /* detach of a running thread, then join of it: EINVAL */
  release = 0;
  pthread_create(&t, 0, blocker, 0);
  P("detach running", pthread_detach(t));
  P("join detached (running)", pthread_join(t, &r));
  release = 1;
  usleep(50000);

  pthread_attr_t a;
  pthread_attr_init(&a);
  int ds = -1;
  pthread_attr_getdetachstate(&a, &ds);
  printf("attr default JOINABLE: %d\n", ds == PTHREAD_CREATE_JOINABLE);
  P("attr_setdetachstate 7", pthread_attr_setdetachstate(&a, 7));
  P("attr_setdetachstate DETACHED", pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
  release = 0;
  P("create detached", pthread_create(&t, &a, blocker, 0));
  P("join created-detached (running)", pthread_join(t, &r));
  release = 1;
  usleep(50000);
  pthread_attr_destroy(&a);

  /* tryjoin/timedjoin of a running thread */
  release = 0;
  pthread_create(&t, 0, blocker, (void *)(intptr_t)9);
  P("tryjoin_np running", pthread_tryjoin_np(t, &r));
  struct timespec ts = in_ms(CLOCK_REALTIME, 30);
  P("timedjoin_np running", pthread_timedjoin_np(t, &r, &ts));
  release = 1;
  ts = in_ms(CLOCK_REALTIME, 5000);
  P("timedjoin_np finishing", pthread_timedjoin_np(t, &r, &ts));
  printf("  value: %d\n", (int)(intptr_t)r);
}

static size_t seen_stack;
static int deep_ok;
static void *stack_thread(void *arg) {
  (void)arg;
  pthread_attr_t a;
  size_t s = 0;
  if (pthread_getattr_np(pthread_self(), &a) == 0) {
    pthread_attr_getstacksize(&a, &s);
    pthread_attr_destroy(&a);
  }
  seen_stack = s;
  volatile char big[768 * 1024];
  for (size_t i = 0; i < sizeof big; i += 4096) big[i] = (char)i;
  deep_ok = big[4096] == (char)4096;
  return 0;
}
static void stacks(void) {
  pthread_attr_t a;
  size_t s = 0;
  pthread_attr_init(&a);
  pthread_attr_getstacksize(&a, &s);
  printf("attr default stacksize >= 16K: %d\n", s >= 16384);
  P("attr_setstacksize 1 MiB", pthread_attr_setstacksize(&a, 1 << 20));
  pthread_attr_getstacksize(&a, &s);
  printf("attr_getstacksize: %zu\n", s);
  P("attr_setstacksize 100", pthread_attr_setstacksize(&a, 100));
  pthread_attr_getstacksize(&a, &s);
  printf("attr_getstacksize after EINVAL: %zu\n", s);
  pthread_t t;
  P("create with 1 MiB stack", pthread_create(&t, &a, stack_thread, 0));
  pthread_join(t, 0);
  printf("getattr_np stack >= 1 MiB: %d, 768K array ok: %d\n", seen_stack >= (1u << 20), deep_ok);
  size_t g = 0;
  pthread_attr_getguardsize(&a, &g);
  printf("attr default guardsize > 0: %d\n", g > 0);
  int sc = -1;
  pthread_attr_getscope(&a, &sc);
  printf("attr scope SYSTEM: %d\n", sc == PTHREAD_SCOPE_SYSTEM);
  P("attr_setscope PROCESS", pthread_attr_setscope(&a, PTHREAD_SCOPE_PROCESS));
  pthread_attr_destroy(&a);
  int pol = -1;
  struct sched_param sp = {.sched_priority = -1};
  P("getschedparam self", pthread_getschedparam(pthread_self(), &pol, &sp));
  printf("  policy OTHER: %d, priority: %d\n", pol == SCHED_OTHER, sp.sched_priority);
}

static sem_t sem;
static void *sem_poster(void *arg) {
  (void)arg;
  usleep(20000);
  sem_post(&sem);
  return 0;
}
static void sems(void) {
  int v = -1;
  S("sem_init 2", sem_init(&sem, 0, 2));
  sem_getvalue(&sem, &v);
  printf("sem_getvalue: %d\n", v);
  S("sem_trywait 1", sem_trywait(&sem));
  S("sem_wait 2", sem_wait(&sem));
  S("sem_trywait empty", sem_trywait(&sem));
  sem_getvalue(&sem, &v);
  printf("sem_getvalue empty: %d\n", v);
  struct timespec a, b, t = in_ms(CLOCK_REALTIME, 50);
  clock_gettime(CLOCK_MONOTONIC, &a);
  S("sem_timedwait 50ms", sem_timedwait(&sem, &t));
  clock_gettime(CLOCK_MONOTONIC, &b);
  long e = elapsed_ms(&a, &b);
  printf("sem_timedwait waited 50ms..10s: %d\n", e >= 49 && e < 10000);
  struct timespec bad = {time(0) + 5, 1000000000L};
  S("sem_timedwait bad nsec (empty)", sem_timedwait(&sem, &bad));
  struct timespec past = {1, 0};
  S("sem_timedwait past (empty)", sem_timedwait(&sem, &past));
  S("sem_post", sem_post(&sem));
  S("sem_timedwait past (available)", sem_timedwait(&sem, &past));
  pthread_t th;
  pthread_create(&th, 0, sem_poster, 0);
  S("sem_wait woken by post", sem_wait(&sem));
  pthread_join(th, 0);
  pthread_create(&th, 0, sem_poster, 0);
  t = in_ms(CLOCK_REALTIME, 5000);
  S("sem_timedwait woken by post", sem_timedwait(&sem, &t));
  pthread_join(th, 0);
  sem_getvalue(&sem, &v);
  printf("sem_getvalue end: %d\n", v);
  S("sem_init SEM_VALUE_MAX+1", sem_init(&sem, 0, (unsigned)SEM_VALUE_MAX + 1u));
  S("sem_init SEM_VALUE_MAX", sem_init(&sem, 0, SEM_VALUE_MAX));
  S("sem_post at SEM_VALUE_MAX", sem_post(&sem));
  S("sem_destroy", sem_destroy(&sem));
}

static void misc(void) {
  S("sched_yield", sched_yield());
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  printf("sysconf NPROCESSORS_ONLN > 0: %s\n", n > 0 ? "ok" : "bad");
  printf("sysconf NPROCESSORS_CONF >= ONLN: %s\n", sysconf(_SC_NPROCESSORS_CONF) >= n ? "ok" : "bad");
  cpu_set_t set;
  CPU_ZERO(&set);
  int r = sched_getaffinity(0, sizeof set, &set);
  printf("sched_getaffinity: %d count > 0: %s\n", r, CPU_COUNT(&set) > 0 ? "ok" : "bad");
  S("sched_setaffinity same set", sched_setaffinity(0, sizeof set, &set));
  cpu_set_t none;
  CPU_ZERO(&none);
  S("sched_setaffinity empty set", sched_setaffinity(0, sizeof none, &none));
  S("sched_get_priority_max OTHER", sched_get_priority_max(SCHED_OTHER));
  S("sched_get_priority_min OTHER", sched_get_priority_min(SCHED_OTHER));
  S("sched_get_priority_max FIFO", sched_get_priority_max(SCHED_FIFO));
  S("sched_get_priority_max 77", sched_get_priority_max(77));
  printf("sched_getscheduler OTHER: %d\n", sched_getscheduler(0) == SCHED_OTHER);
  struct sched_param spm = {.sched_priority = 5};
  S("sched_getparam", sched_getparam(0, &spm));
  printf("  priority: %d\n", spm.sched_priority);
  pthread_spinlock_t sl;
  P("spin_init", pthread_spin_init(&sl, PTHREAD_PROCESS_PRIVATE));
  P("spin_lock", pthread_spin_lock(&sl));
  P("spin_trylock held", pthread_spin_trylock(&sl));
  P("spin_unlock", pthread_spin_unlock(&sl));
  P("spin_trylock free", pthread_spin_trylock(&sl));
  pthread_spin_unlock(&sl);
  struct timespec c;
  S("clock_gettime THREAD_CPUTIME", clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c));
}

static volatile int handled_on_thread, handled_sig;
static pthread_t sig_thread;
static void on_usr1(int s) {
  handled_sig = s;
  handled_on_thread = pthread_equal(pthread_self(), sig_thread) ? 1 : 2;
}
static void *sig_self(void *arg) {
  (void)arg;
  sig_thread = pthread_self();
  int r = pthread_kill(pthread_self(), SIGUSR1);
  int before_return = handled_on_thread; /* the handler runs before pthread_kill returns */
  P("pthread_kill self SIGUSR1", r);
  printf("  handler ran on the thread before return: %d sig is SIGUSR1: %d\n", before_return, handled_sig == SIGUSR1);
  handled_on_thread = 0;
  r = raise(SIGUSR1);
  before_return = handled_on_thread;
  S("raise SIGUSR1 in a thread", r);
  printf("  handler ran on the thread before return: %d\n", before_return);
  sigset_t b, p;
  sigemptyset(&b);
  sigaddset(&b, SIGUSR1);
  handled_on_thread = 0;
  P("pthread_sigmask block USR1", pthread_sigmask(SIG_BLOCK, &b, 0));
  P("pthread_kill self blocked", pthread_kill(pthread_self(), SIGUSR1));
  sigemptyset(&p);
  sigpending(&p);
  printf("  pending USR1: %d handled: %d\n", sigismember(&p, SIGUSR1), handled_on_thread);
  r = pthread_sigmask(SIG_UNBLOCK, &b, 0);
  before_return = handled_on_thread;
  P("pthread_sigmask unblock USR1", r);
  printf("  handled before unblock returned: %d\n", before_return);
  return 0;
}
static volatile int main_handled;
static void on_usr2(int s) {
  (void)s;
  main_handled = pthread_equal(pthread_self(), main_thread) ? 1 : 2;
}
static void *kill_main(void *arg) {
  (void)arg;
  return (void *)(intptr_t)pthread_kill(main_thread, SIGUSR2);
}
static void signals(void) {
  signal(SIGUSR2, on_usr2);
  main_thread = pthread_self();
  pthread_t k;
  void *kr;
  pthread_create(&k, 0, kill_main, 0);
  pthread_join(k, &kr);
  for (int i = 0; i < 100 && !main_handled; i++) usleep(1000);
  P("pthread_kill(main, USR2) from a thread", (int)(intptr_t)kr);
  printf("  handler ran on main: %d\n", (int)main_handled);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, 0);
  pthread_t t;
  pthread_create(&t, 0, sig_self, 0);
  pthread_join(t, 0);
  /* the thread's mask was its own: main's is untouched */
  sigset_t cur;
  pthread_sigmask(SIG_BLOCK, 0, &cur);
  printf("main mask has USR1: %d\n", sigismember(&cur, SIGUSR1));
  main_handled = 0;
  int kr2 = kill(getpid(), SIGUSR2);
  int kb = main_handled;
  S("kill(getpid(), USR2) from main", kr2);
  printf("  handler ran before return: %d\n", kb);
  P("pthread_kill sig 0 to self", pthread_kill(pthread_self(), 0));
  P("pthread_kill sig 65", pthread_kill(pthread_self(), 65));
  P("pthread_kill sig 256", pthread_kill(pthread_self(), 256));
  P("pthread_kill sig 999", pthread_kill(pthread_self(), 999));
  P("pthread_sigmask bad how", pthread_sigmask(12345, &cur, 0));
}

static __thread int tls_val = 42;
static int tls_child_initial, errno_child;
static void *tls_thread(void *arg) {
  (void)arg;
  tls_child_initial = tls_val;
  tls_val = 7;
  errno = EDOM;
  errno_child = errno;
  return 0;
}
static void tls(void) {
  tls_val = 5;
  errno = 0;
  pthread_t t;
  pthread_create(&t, 0, tls_thread, 0);
  pthread_join(t, 0);
  printf("tls child initial: %d, main after: %d\n", tls_child_initial, tls_val);
  printf("errno per thread: child %d, main %d\n", errno_child == EDOM, errno);
}


/* ---- cancellation ---- */
static sem_t never_sem;
static volatile int cleanup_ran;
static void cleanup(void *a) { cleanup_ran = (int)(intptr_t)a; }
static void *cancel_in_sem_wait(void *arg) {
  (void)arg;
  pthread_cleanup_push(cleanup, (void *)7);
  sem_wait(&never_sem);
  pthread_cleanup_pop(0);
  return (void *)1;
}
static void *cancel_in_sleep(void *arg) {
  (void)arg;
  for (;;) sleep(1);
  return 0;
}
static volatile int disabled_reached;
static sem_t dis_ready, dis_go;
static void *cancel_disabled(void *arg) {
  (void)arg;
  int old = -1;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  sem_post(&dis_ready);
  sem_wait(&dis_go); /* not a cancellation while disabled */
  disabled_reached = 1;
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
  pthread_testcancel();
  return (void *)2;
}
static pthread_mutex_t ccm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ccv = PTHREAD_COND_INITIALIZER;
static volatile int cond_cleanup_held;
static void unlock_ccm(void *a) {
  (void)a;
  /* The mutex is held again when a cancelled condition wait runs its cleanup. */
  cond_cleanup_held = pthread_mutex_trylock(&ccm) == EBUSY;
  pthread_mutex_unlock(&ccm);
}
static void *cancel_in_cond_wait(void *arg) {
  (void)arg;
  pthread_mutex_lock(&ccm);
  pthread_cleanup_push(unlock_ccm, 0);
  for (;;) pthread_cond_wait(&ccv, &ccm);
  pthread_cleanup_pop(1);
  return 0;
}
static void cancels(void) {
  sem_init(&never_sem, 0, 0);
  pthread_t t;
  void *r = 0;
  pthread_create(&t, 0, cancel_in_sem_wait, 0);
  usleep(20000);
  P("cancel thread in sem_wait", pthread_cancel(t));
  P("  join", pthread_join(t, &r));
  printf("  PTHREAD_CANCELED: %d cleanup ran: %d\n", r == PTHREAD_CANCELED, cleanup_ran);
  pthread_create(&t, 0, cancel_in_sleep, 0);
  usleep(20000);
  P("cancel thread in sleep", pthread_cancel(t));
  P("  join", pthread_join(t, &r));
  printf("  PTHREAD_CANCELED: %d\n", r == PTHREAD_CANCELED);
  sem_init(&dis_ready, 0, 0);
  sem_init(&dis_go, 0, 0);
  pthread_create(&t, 0, cancel_disabled, 0);
  sem_wait(&dis_ready);
  P("cancel thread with cancel disabled", pthread_cancel(t));
  sem_post(&dis_go);
  P("  join", pthread_join(t, &r));
  printf("  PTHREAD_CANCELED: %d reached: %d\n", r == PTHREAD_CANCELED, disabled_reached);
  pthread_create(&t, 0, cancel_in_cond_wait, 0);
  usleep(20000);
  P("cancel thread in cond_wait", pthread_cancel(t));
  P("  join", pthread_join(t, &r));
  printf("  PTHREAD_CANCELED: %d cleanup held the mutex: %d\n", r == PTHREAD_CANCELED, cond_cleanup_held);
  P("  mutex free after", pthread_mutex_trylock(&ccm));
  pthread_mutex_unlock(&ccm);
  int old = -1;
  P("setcancelstate 5", pthread_setcancelstate(5, &old));
  P("setcanceltype ASYNC", pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old));
  printf("  old type DEFERRED: %d\n", old == PTHREAD_CANCEL_DEFERRED);
  pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old);
}

/* ---- a handler interrupting a sleeping thread ---- */
static volatile int usr1_count;
static void count_usr1(int s) { (void)s; usr1_count++; }
static volatile int sleeper_ready, sleeper_done;
static void *sleeper(void *arg) {
  (void)arg;
  struct timespec ts = {5, 0}, rem = {0, 0};
  sleeper_ready = 1;
  int r = nanosleep(&ts, &rem);
  int e = errno;
  sleeper_done = 1;
  printf("nanosleep interrupted in a thread: %d %s rem in (0,5s]: %d\n", r, r ? en(e) : "0", rem.tv_sec < 5 && (rem.tv_sec > 0 || rem.tv_nsec > 0));
  return 0;
}
static void interrupts(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = count_usr1;
  sigaction(SIGUSR1, &sa, 0);
  pthread_t t;
  pthread_create(&t, 0, sleeper, 0);
  while (!sleeper_ready) usleep(1000);
  /* Again until it is out: one sent before it entered nanosleep would not interrupt it. */
  int kr = 0;
  while (!sleeper_done && kr == 0) {
    usleep(20000);
    if (!sleeper_done) kr = pthread_kill(t, SIGUSR1);
  }
  pthread_join(t, 0);
  P("pthread_kill sleeping thread", kr);
  printf("  handler ran: %d\n", usr1_count >= 1);
}

/* ---- more attributes ---- */
static void *name_thread(void *arg) {
  (void)arg;
  usleep(30000);
  return 0;
}
static void attrs(void) {
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  P("mutexattr_setpshared SHARED", pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED));
  P("mutexattr_setpshared 9", pthread_mutexattr_setpshared(&ma, 9));
  P("mutexattr_setprotocol INHERIT", pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT));
  pthread_mutex_t pim;
  P("PI mutex init", pthread_mutex_init(&pim, &ma));
  P("PI mutex lock", pthread_mutex_lock(&pim));
  P("PI mutex trylock by other thread", in_other(&pim, 1));
  P("PI mutex unlock", pthread_mutex_unlock(&pim));
  P("PI mutex trylock", pthread_mutex_trylock(&pim));
  P("PI mutex unlock", pthread_mutex_unlock(&pim));
  pthread_mutexattr_destroy(&ma);
  pthread_barrierattr_t ba;
  pthread_barrierattr_init(&ba);
  P("barrierattr_setpshared SHARED", pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED));
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  P("condattr_setpshared SHARED", pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED));
  pthread_rwlockattr_t ra;
  pthread_rwlockattr_init(&ra);
  P("rwlockattr_setpshared SHARED", pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED));

  pthread_t t;
  pthread_create(&t, 0, name_thread, 0);
  P("setname_np short", pthread_setname_np(t, "worker-1"));
  char name[32] = "?";
  P("getname_np", pthread_getname_np(t, name, sizeof name));
  printf("  name: %s\n", name);
  P("setname_np 16 chars", pthread_setname_np(t, "0123456789abcdef"));
  P("getname_np short buffer", pthread_getname_np(t, name, 4));
  P("getname_np after ERANGE", pthread_getname_np(t, name, sizeof name));
  printf("  name: %s\n", name);
  P("setname_np self", pthread_setname_np(pthread_self(), "main-x"));
  pthread_getname_np(pthread_self(), name, sizeof name);
  printf("  self name: %s\n", name);
  pthread_join(t, 0);

  pthread_attr_t a;
  pthread_attr_init(&a);
  size_t sz = 256 * 1024;
  void *stk = aligned_alloc(65536, sz);
  P("attr_setstack", pthread_attr_setstack(&a, stk, sz));
  void *got = 0;
  size_t gsz = 0;
  pthread_attr_getstack(&a, &got, &gsz);
  printf("  getstack same: %d %d\n", got == stk, gsz == sz);
  P("create on own stack", pthread_create(&t, &a, returner, (void *)5));
  void *r = 0;
  pthread_join(t, &r);
  printf("  value: %d\n", (int)(intptr_t)r);
  pthread_attr_destroy(&a);
  pthread_attr_t ma2;
  P("getattr_np main", pthread_getattr_np(pthread_self(), &ma2));
  int ds = -1;
  pthread_attr_getdetachstate(&ma2, &ds);
  printf("  main joinable: %d\n", ds == PTHREAD_CREATE_JOINABLE);
  void *mlo = 0;
  size_t msz = 0;
  pthread_attr_getstack(&ma2, &mlo, &msz);
  char here;
  printf("  main stack >= 64K: %d, holds a local: %d\n", msz >= 65536, &here >= (char *)mlo && &here < (char *)mlo + msz);
  pthread_attr_destroy(&ma2);
  printf("getpid in thread == main: ");
  fflush(stdout);
  pthread_create(&t, 0, returner, (void *)(intptr_t)getpid());
  pthread_join(t, &r);
  printf("%d\n", (int)(intptr_t)r == getpid());
}

/* ---- C11 threads ---- */
static mtx_t c11m;
static cnd_t c11c;
static tss_t c11k;
static int c11_dtor_calls;
static void c11_dtor(void *v) { (void)v; __atomic_add_fetch(&c11_dtor_calls, 1, __ATOMIC_SEQ_CST); }
static once_flag c11once = ONCE_FLAG_INIT;
static int c11once_calls;
static void c11_once(void) { c11once_calls++; }
static int c11_thread(void *arg) {
  tss_set(c11k, arg);
  call_once(&c11once, c11_once);
  return mtx_trylock(&c11m) == thrd_busy ? 33 : 44;
}
static void c11(void) {
  printf("mtx_init timed: %d\n", mtx_init(&c11m, mtx_timed) == thrd_success);
  printf("cnd_init: %d\n", cnd_init(&c11c) == thrd_success);
  printf("tss_create: %d\n", tss_create(&c11k, c11_dtor) == thrd_success);
  mtx_lock(&c11m);
  thrd_t t;
  printf("thrd_create: %d\n", thrd_create(&t, c11_thread, (void *)1) == thrd_success);
  int res = 0;
  int jr = thrd_join(t, &res);
  printf("thrd_join: %d res=%d\n", jr == thrd_success, res);
  printf("tss dtor calls: %d, call_once calls: %d\n", c11_dtor_calls, c11once_calls);
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  ts.tv_nsec += 30000000;
  if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
  printf("cnd_timedwait timedout: %d\n", cnd_timedwait(&c11c, &c11m, &ts) == thrd_timedout);
  mtx_unlock(&c11m);
  printf("thrd_equal self: %d\n", thrd_equal(thrd_current(), thrd_current()) != 0);
  struct timespec d = {0, 1000000};
  printf("thrd_sleep: %d\n", thrd_sleep(&d, 0));
  thrd_yield();
  mtx_destroy(&c11m);
  cnd_destroy(&c11c);
}

/* ---- named semaphores ---- */
static void named_sems(void) {
  sem_unlink("/k3sem");
  sem_t *s = sem_open("/k3sem", O_CREAT | O_EXCL, 0600, 1);
  printf("sem_open create: %s\n", s == SEM_FAILED ? en(errno) : "ok");
  if (s == SEM_FAILED) return;
  sem_t *s2 = sem_open("/k3sem", O_CREAT | O_EXCL, 0600, 1);
  printf("sem_open O_EXCL again: %s\n", s2 == SEM_FAILED ? en(errno) : "ok");
  S("sem_wait named", sem_wait(s));
  S("sem_trywait named", sem_trywait(s));
  S("sem_post named", sem_post(s));
  S("sem_close", sem_close(s));
  S("sem_unlink", sem_unlink("/k3sem"));
  S("sem_unlink again", sem_unlink("/k3sem"));
  s = sem_open("/k3sem", 0);
  printf("sem_open missing: %s\n", s == SEM_FAILED ? en(errno) : "ok");
}


/* ---- process-directed signals and inherited masks ---- */
static volatile int taker; /* 1 main, 2 the child */
static pthread_t taker_child;
static void on_usr1_taker(int s) {
  (void)s;
  taker = pthread_equal(pthread_self(), taker_child) ? 2 : pthread_equal(pthread_self(), main_thread) ? 1 : 3;
}
static sem_t tk_ready, tk_go;
static int child_mask_has_usr1;
static void *taker_thread(void *arg) {
  (void)arg;
  sigset_t cur;
  pthread_sigmask(SIG_BLOCK, 0, &cur);
  child_mask_has_usr1 = sigismember(&cur, SIGUSR1);
  sigset_t un;
  sigemptyset(&un);
  sigaddset(&un, SIGUSR1);
  pthread_sigmask(SIG_UNBLOCK, &un, 0);
  sem_post(&tk_ready);
  while (sem_wait(&tk_go) != 0) {} /* EINTR from the handler: wait again */
  return 0;
}
static void directed(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1_taker;
  sigaction(SIGUSR1, &sa, 0);
  main_thread = pthread_self();
  sigset_t b, old;
  sigemptyset(&b);
  sigaddset(&b, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &b, &old);
  sem_init(&tk_ready, 0, 0);
  sem_init(&tk_go, 0, 0);
  pthread_create(&taker_child, 0, taker_thread, 0);
  sem_wait(&tk_ready);
  printf("new thread inherits the blocked mask: %d\n", child_mask_has_usr1);
  S("kill(getpid(), USR1) with main blocking it", kill(getpid(), SIGUSR1));
  for (int i = 0; i < 2000 && !taker; i++) usleep(1000);
  printf("  taken by: %s\n", taker == 2 ? "the thread that does not block it" : taker == 1 ? "main" : "none");
  sem_post(&tk_go);
  pthread_join(taker_child, 0);
  pthread_sigmask(SIG_SETMASK, &old, 0);
}

/* ---- process-ending modes ---- */
static pthread_mutex_t never = PTHREAD_MUTEX_INITIALIZER;
static void *blocked_forever(void *arg) {
  (void)arg;
  pthread_mutex_lock(&never);
  return 0;
}
static int exit_pipe[2];
static void *blocked_in_read(void *arg) {
  (void)arg;
  char c;
  read(exit_pipe[0], &c, 1);
  return 0;
}
static void *exit_from_thread(void *arg) {
  (void)arg;
  usleep(20000);
  printf("thread calls exit(5)\n");
  exit(5);
}
static int late_done;
static void *late(void *arg) {
  usleep(50000);
  late_done = 1;
  printf("late thread done (%d)\n", (int)(intptr_t)arg);
  fflush(stdout);
  return 0;
}
static void *sig_to_me(void *arg) {
  (void)arg;
  usleep(20000);
  pthread_kill(pthread_self(), SIGTERM);
  printf("not reached\n");
  return 0;
}
static void *aborter(void *arg) {
  (void)arg;
  usleep(20000);
  abort();
}
static void atexit_handler(void) { printf("atexit ran\n"); }

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "cases";
  if (!strcmp(mode, "exit-thread")) {
    atexit(atexit_handler);
    pthread_mutex_lock(&never);
    pthread_t t1, t2, t3;
    pipe(exit_pipe);
    pthread_create(&t1, 0, blocked_forever, 0);
    pthread_create(&t3, 0, blocked_in_read, 0);
    pthread_create(&t2, 0, exit_from_thread, 0);
    pthread_join(t1, 0);
    printf("main not reached\n");
    return 0;
  }
  if (!strcmp(mode, "main-pthread-exit")) {
    atexit(atexit_handler);
    pthread_t t;
    pthread_create(&t, 0, late, (void *)1);
    printf("main calls pthread_exit\n");
    fflush(stdout);
    pthread_exit(0);
  }
  if (!strcmp(mode, "main-return")) {
    atexit(atexit_handler);
    pthread_mutex_lock(&never);
    pthread_t t;
    pthread_create(&t, 0, blocked_forever, 0);
    printf("main returns 4\n");
    return 4;
  }
  if (!strcmp(mode, "thread-abort")) {
    atexit(atexit_handler);
    pthread_mutex_lock(&never);
    pthread_t t1, t2;
    pthread_create(&t1, 0, blocked_forever, 0);
    pthread_create(&t2, 0, aborter, 0);
    pthread_join(t1, 0);
    return 0;
  }
  if (!strcmp(mode, "thread-sigterm")) {
    atexit(atexit_handler);
    pthread_mutex_lock(&never);
    pthread_t t1, t2;
    pthread_create(&t1, 0, blocked_forever, 0);
    pthread_create(&t2, 0, sig_to_me, 0);
    pthread_join(t1, 0);
    return 0;
  }
  mutexes();
  robust();
  rwlocks();
  conds();
  barriers();
  onces();
  keys();
  joins();
  stacks();
  sems();
  misc();
  signals();
  tls();
  cancels();
  interrupts();
  attrs();
  c11();
  named_sems();
  directed();
  printf("done\n");
  return 0;
}
