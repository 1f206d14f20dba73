/*
 * Mutex priority protocols and ceilings (sdk/libc/mutexprio.c): pthread_mutexattr_{get,set}protocol
 * and {get,set}prioceiling, pthread_mutex_{get,set}prioceiling, and what locking a mutex of each
 * protocol does for an ordinary (SCHED_OTHER) thread. One line per case, the same on Linux (gcc
 * -O2 -pthread, glibc) and under occlum-ts; test/libos/threads/conform-mutex-prio.test.ts holds
 * Linux's output.
 *
 * glibc raises a thread that locks a PRIO_PROTECT mutex to the ceiling, which Linux refuses to a
 * SCHED_OTHER thread (EINVAL), but it counts the raise before failing, so later locks by the same
 * thread at or below that ceiling succeed. Each lock of a protected mutex is therefore tried in a
 * thread of its own (in_new_thread), where glibc's answer is always the first one.
 */
#include "conform_threads.h"

enum op { LOCK, TRYLOCK, TIMEDLOCK_50MS };
struct attempt {
  pthread_mutex_t *m;
  enum op op;
};

static void *attempt_body(void *arg) {
  struct attempt *a = arg;
  int r;
  if (a->op == LOCK) r = pthread_mutex_lock(a->m);
  else if (a->op == TRYLOCK) r = pthread_mutex_trylock(a->m);
  else {
    struct timespec t = in_ms(CLOCK_REALTIME, 50);
    r = pthread_mutex_timedlock(a->m, &t);
  }
  if (r == 0) pthread_mutex_unlock(a->m); /* taken: given back, the mutex stays as it was */
  return (void *)(intptr_t)r;
}

/* `op` on `m` from a new thread: its result. */
static int in_new_thread(pthread_mutex_t *m, enum op op) {
  struct attempt a = {m, op};
  pthread_t t;
  void *r;
  pthread_create(&t, 0, attempt_body, &a);
  pthread_join(t, &r);
  return (int)(intptr_t)r;
}

static void attr_protocol(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  int v = -5;
  P("attr default getprotocol", pthread_mutexattr_getprotocol(&a, &v));
  printf("  protocol %d\n", v);
  v = -5;
  P("attr default getprioceiling", pthread_mutexattr_getprioceiling(&a, &v));
  printf("  ceiling %d\n", v);
  printf("SCHED_FIFO priorities %d..%d\n", sched_get_priority_min(SCHED_FIFO), sched_get_priority_max(SCHED_FIFO));
  const int protocols[] = {PTHREAD_PRIO_INHERIT, PTHREAD_PRIO_PROTECT, PTHREAD_PRIO_NONE, 3, -1, 100};
  for (unsigned i = 0; i < sizeof protocols / sizeof *protocols; i++) {
    char what[64];
    snprintf(what, sizeof what, "setprotocol(%d)", protocols[i]);
    P(what, pthread_mutexattr_setprotocol(&a, protocols[i]));
    v = -5;
    pthread_mutexattr_getprotocol(&a, &v);
    printf("  protocol %d\n", v);
  }
  const int ceilings[] = {1, 50, 99, 0, 100, -1, 255, 256, 1000};
  for (unsigned i = 0; i < sizeof ceilings / sizeof *ceilings; i++) {
    char what[64];
    snprintf(what, sizeof what, "setprioceiling(%d)", ceilings[i]);
    P(what, pthread_mutexattr_setprioceiling(&a, ceilings[i]));
    v = -5;
    pthread_mutexattr_getprioceiling(&a, &v);
    printf("  ceiling %d\n", v);
  }
  /* The other attributes and these leave each other alone. */
  pthread_mutexattr_setprioceiling(&a, 42);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  int type = -1, pshared = -1, robust = -1, protocol = -1, ceiling = -1;
  pthread_mutexattr_gettype(&a, &type);
  pthread_mutexattr_getpshared(&a, &pshared);
  pthread_mutexattr_getrobust(&a, &robust);
  pthread_mutexattr_getprotocol(&a, &protocol);
  pthread_mutexattr_getprioceiling(&a, &ceiling);
  printf("all set: type %d pshared %d robust %d protocol %d ceiling %d\n", type, pshared, robust, protocol, ceiling);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_NORMAL);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_PRIVATE);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_STALLED);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_NONE);
  pthread_mutexattr_getprioceiling(&a, &ceiling);
  pthread_mutexattr_gettype(&a, &type);
  printf("reset: type %d ceiling %d\n", type, ceiling);
  pthread_mutexattr_destroy(&a);
}

/* A mutex of `protocol` and `type` (ceiling 0: not set), or -1 and the init's error. */
static int make(pthread_mutex_t *m, int protocol, int type, int ceiling) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, type);
  if (ceiling) pthread_mutexattr_setprioceiling(&a, ceiling);
  pthread_mutexattr_setprotocol(&a, protocol);
  int r = pthread_mutex_init(m, &a);
  pthread_mutexattr_destroy(&a);
  return r;
}

static void ceiling_calls(const char *name, pthread_mutex_t *m) {
  char what[96];
  int v = -5;
  snprintf(what, sizeof what, "%s getprioceiling", name);
  P(what, pthread_mutex_getprioceiling(m, &v));
  printf("  ceiling %d\n", v);
  v = -5;
  snprintf(what, sizeof what, "%s setprioceiling(20)", name);
  P(what, pthread_mutex_setprioceiling(m, 20, &v));
  printf("  old %d\n", v);
}

static void other_protocols(void) {
  pthread_mutex_t m;
  P("NONE init", make(&m, PTHREAD_PRIO_NONE, PTHREAD_MUTEX_NORMAL, 42));
  ceiling_calls("NONE", &m);
  /* The ceiling bits of the attribute do not disturb an ordinary mutex. */
  P("NONE lock", pthread_mutex_lock(&m));
  P("NONE trylock by other thread", in_new_thread(&m, TRYLOCK));
  P("NONE unlock", pthread_mutex_unlock(&m));
  P("NONE destroy", pthread_mutex_destroy(&m));
  pthread_mutex_t s = PTHREAD_MUTEX_INITIALIZER;
  ceiling_calls("static", &s);

  P("INHERIT init", make(&m, PTHREAD_PRIO_INHERIT, PTHREAD_MUTEX_ERRORCHECK, 0));
  ceiling_calls("INHERIT", &m);
  P("INHERIT errorcheck lock", pthread_mutex_lock(&m));
  P("INHERIT errorcheck relock", pthread_mutex_lock(&m));
  P("INHERIT errorcheck trylock by other thread", in_new_thread(&m, TRYLOCK));
  P("INHERIT errorcheck unlock", pthread_mutex_unlock(&m));
  P("INHERIT errorcheck unlock again", pthread_mutex_unlock(&m));
  P("INHERIT destroy", pthread_mutex_destroy(&m));
  P("INHERIT recursive init", make(&m, PTHREAD_PRIO_INHERIT, PTHREAD_MUTEX_RECURSIVE, 0));
  P("INHERIT recursive lock", pthread_mutex_lock(&m));
  P("INHERIT recursive relock", pthread_mutex_lock(&m));
  P("INHERIT recursive unlock", pthread_mutex_unlock(&m));
  P("INHERIT recursive timedlock by other thread", in_new_thread(&m, TIMEDLOCK_50MS));
  P("INHERIT recursive unlock", pthread_mutex_unlock(&m));
  P("INHERIT recursive trylock by other thread", in_new_thread(&m, TRYLOCK));
  P("INHERIT destroy", pthread_mutex_destroy(&m));
}

static void protect(void) {
  pthread_mutex_t m;
  P("PROTECT init, no ceiling set", make(&m, PTHREAD_PRIO_PROTECT, PTHREAD_MUTEX_NORMAL, 0));
  int v = -5;
  P("PROTECT getprioceiling", pthread_mutex_getprioceiling(&m, &v));
  printf("  ceiling %d\n", v);
  P("PROTECT destroy", pthread_mutex_destroy(&m));

  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT);
  pthread_mutexattr_setprioceiling(&a, 10);
  P("PROTECT init, ceiling 10", pthread_mutex_init(&m, &a));
  pthread_mutexattr_setprioceiling(&a, 50); /* the mutex keeps its own */
  v = -5;
  P("PROTECT getprioceiling", pthread_mutex_getprioceiling(&m, &v));
  printf("  ceiling %d\n", v);
  v = -5;
  P("PROTECT setprioceiling(20)", pthread_mutex_setprioceiling(&m, 20, &v));
  printf("  old %d\n", v);
  P("PROTECT setprioceiling(30)", pthread_mutex_setprioceiling(&m, 30, &v));
  const int bad[] = {0, 100, -1};
  for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++) {
    char what[64];
    snprintf(what, sizeof what, "PROTECT setprioceiling(%d)", bad[i]);
    v = -5;
    P(what, pthread_mutex_setprioceiling(&m, bad[i], &v));
    printf("  old %d\n", v);
  }
  v = -5;
  P("PROTECT getprioceiling", pthread_mutex_getprioceiling(&m, &v));
  printf("  ceiling %d\n", v);
  P("PROTECT setprioceiling(99)", pthread_mutex_setprioceiling(&m, 99, &v));
  pthread_mutex_getprioceiling(&m, &v);
  printf("  ceiling %d\n", v);
  P("PROTECT setprioceiling(1)", pthread_mutex_setprioceiling(&m, 1, &v));
  pthread_mutex_getprioceiling(&m, &v);
  printf("  ceiling %d\n", v);
  P("PROTECT lock in a new thread", in_new_thread(&m, LOCK));
  P("PROTECT trylock in a new thread", in_new_thread(&m, TRYLOCK));
  P("PROTECT timedlock in a new thread", in_new_thread(&m, TIMEDLOCK_50MS));
  P("PROTECT destroy", pthread_mutex_destroy(&m));

  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  P("PROTECT errorcheck init", pthread_mutex_init(&m, &a));
  P("PROTECT errorcheck lock in a new thread", in_new_thread(&m, LOCK));
  P("PROTECT errorcheck unlock, not held", pthread_mutex_unlock(&m));
  v = -5;
  P("PROTECT errorcheck setprioceiling(7)", pthread_mutex_setprioceiling(&m, 7, &v));
  printf("  old %d\n", v);
  P("PROTECT errorcheck destroy", pthread_mutex_destroy(&m));

  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  P("PROTECT recursive shared init", pthread_mutex_init(&m, &a));
  pthread_mutex_getprioceiling(&m, &v);
  printf("  ceiling %d\n", v);
  P("PROTECT recursive shared lock in a new thread", in_new_thread(&m, LOCK));
  P("PROTECT recursive shared destroy", pthread_mutex_destroy(&m));

  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  P("PROTECT robust init", pthread_mutex_init(&m, &a));
  pthread_mutexattr_destroy(&a);
}

/* A process-shared mutex of every type is destroyed with 0. */
static void shared_destroy(void) {
  const int types[] = {PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_RECURSIVE, PTHREAD_MUTEX_ERRORCHECK};
  for (unsigned i = 0; i < 3; i++) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, types[i]);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_t m;
    pthread_mutex_init(&m, &a);
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    char what[64];
    snprintf(what, sizeof what, "shared type %d destroy", types[i]);
    P(what, pthread_mutex_destroy(&m));
    pthread_mutexattr_destroy(&a);
  }
}

/* Two threads count under an INHERIT mutex: it excludes as any other. */
static pthread_mutex_t counted;
static long count;
static void *counter(void *arg) {
  (void)arg;
  for (int i = 0; i < 20000; i++) {
    pthread_mutex_lock(&counted);
    long c = count;
    if ((i & 1023) == 0) sched_yield();
    count = c + 1;
    pthread_mutex_unlock(&counted);
  }
  return 0;
}
static void inherit_excludes(void) {
  make(&counted, PTHREAD_PRIO_INHERIT, PTHREAD_MUTEX_NORMAL, 0);
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], 0, counter, 0);
  for (int i = 0; i < 2; i++) pthread_join(t[i], 0);
  printf("INHERIT mutex, two threads counting: %ld\n", count);
  pthread_mutex_destroy(&counted);
}

int main(void) {
  attr_protocol();
  other_protocols();
  protect();
  shared_destroy();
  inherit_excludes();
  return 0;
}
