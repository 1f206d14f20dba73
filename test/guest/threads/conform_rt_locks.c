/*
 * Locks between real-time threads on one CPU (differential: conform-rt.test.ts compares this
 * output with the same program's on Linux, run as root). Every thread is pinned to CPU 0 (the
 * kernel thread here) and logs the order in which threads reach points of their code.
 *
 * 1. A mutex's waiters get it highest priority first, not in the order they came (Linux's futex
 *    waiters are ordered by priority): A (10), B (30) and C (20) block in that order on a mutex
 *    a SCHED_FIFO 90 main holds; its unlock goes to B, B's to C, C's to A.
 * 2. The same for a PI futex (FUTEX_LOCK_PI / FUTEX_UNLOCK_PI, as glibc's PTHREAD_PRIO_INHERIT
 *    mutexes use it): the unlock hands the lock to the highest priority waiter.
 * 3. Priority inheritance: L (10) holds a PI lock and computes until somebody waits for it; M
 *    (20) computes 40 ms; H (30) wants the lock. With inheritance L runs at H's priority once H
 *    waits, before M, gives the lock up and drops back below M: H goes on, then M, then L.
 *    Without it M ran first, holding H back behind a lower priority (priority inversion).
 * 4. The same through a chain: L (10) holds P1 and computes until somebody waits for it; K (15)
 *    holds P2 and waits for P1; H (30) waits for P2. L inherits H's priority through K, and runs
 *    before M (20).
 * 5. Case 3 with a PTHREAD_PRIO_INHERIT mutex (glibc's are PI futexes: sdk/libc/mutexprio.c).
 * 6. A condition variable over a PTHREAD_PRIO_INHERIT mutex: two threads hand a turn back and
 *    forth 1000 times (its waits unlock and relock the mutex through the PI path).
 * 7. Case 5 with a SCHED_OTHER owner: inheriting H's priority, it runs before M (20), then last.
 * 8. PTHREAD_PRIO_PROTECT: L (10) holding a mutex of ceiling 25 runs at 25, so M (20), made
 *    meanwhile, waits for L's unlock (L computes until M is made, then 10 ms more), where L drops back below M. A locker above the ceiling
 *    (main, 90) gets EINVAL; a recursive one counts its relocks at the ceiling it holds.
 * 9. Case 7 with an owner that was queued before any real-time thread was ready: L and X
 *    (SCHED_OTHER) take turns at sched_yield while main sleeps; L, holding the mutex, inherits
 *    H's priority from the ready queue, as Linux's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "order_log.h"


static void nap_ms(int ms) {
  struct timespec t = { 0, ms * 1000000L };
  nanosleep(&t, NULL);
}

static int spawn(pthread_t *t, int prio, void *(*fn)(void *), void *arg, const char *name) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
  pthread_attr_setschedpolicy(&a, prio > 0 ? SCHED_FIFO : SCHED_OTHER);
  struct sched_param sp = { .sched_priority = prio };
  pthread_attr_setschedparam(&a, &sp);
  int e = pthread_create(t, &a, fn, arg);
  pthread_attr_destroy(&a);
  if (e) printf("pthread_create %s: %s\n", name, strerror(e));
  return e;
}

static void set_self(int policy, int prio) {
  struct sched_param sp = { .sched_priority = prio };
  int e = pthread_setschedparam(pthread_self(), policy, &sp);
  if (e) printf("pthread_setschedparam(self, %d, %d): %s\n", policy, prio, strerror(e));
}

/* PI locks as glibc takes them: the word is 0 or the owner's tid (| FUTEX_WAITERS). */
static int gettid_(void) { return (int)syscall(SYS_gettid); }

static void pi_lock(atomic_uint *w) {
  unsigned zero = 0;
  if (atomic_compare_exchange_strong(w, &zero, (unsigned)gettid_())) return;
  if (syscall(SYS_futex, w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0) != 0) printf("FUTEX_LOCK_PI: %s\n", strerror(errno));
}

static void pi_unlock(atomic_uint *w) {
  unsigned me = (unsigned)gettid_();
  if (atomic_compare_exchange_strong(w, &me, 0)) return;
  if (syscall(SYS_futex, w, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0) != 0) printf("FUTEX_UNLOCK_PI: %s\n", strerror(errno));
}

static void wait_for_waiters(atomic_uint *w) {
  while (!(atomic_load(w) & FUTEX_WAITERS)) spin_ms(1);
}

/* Main (90) naps until a lower priority got somewhere: no timing assumed, host load or not. */
static atomic_int l_holds, m_made;
static void nap_until(atomic_int *flag) {
  while (!atomic_load(flag)) nap_ms(1);
  atomic_store(flag, 0);
}
static void nap_until_waited(atomic_uint *w) {
  while (!(atomic_load(w) & FUTEX_WAITERS)) nap_ms(1);
}

/* Case 1 and 2 */
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint pi1, pi2;
static int use_pi;

static void *taker(void *arg) {
  if (use_pi) pi_lock(&pi1);
  else pthread_mutex_lock(&mutex);
  note(arg);
  if (use_pi) pi_unlock(&pi1);
  else pthread_mutex_unlock(&mutex);
  return NULL;
}

static void wake_order(int pi, const char *label) {
  pthread_t t[3];
  use_pi = pi;
  if (pi) pi_lock(&pi1);
  else pthread_mutex_lock(&mutex);
  /* Each blocks on the lock before the next is made. */
  spawn(&t[0], 10, taker, "A", "A");
  nap_ms(5);
  spawn(&t[1], 30, taker, "B", "B");
  nap_ms(5);
  spawn(&t[2], 20, taker, "C", "C");
  nap_ms(5);
  note("unlock");
  if (pi) pi_unlock(&pi1);
  else pthread_mutex_unlock(&mutex);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  flush(label);
}

/* Case 3 and 4: L holds P1 until somebody waits for the word `arg` */
static void *low(void *arg) {
  pi_lock(&pi1);
  atomic_store(&l_holds, 1);
  note("L+");
  wait_for_waiters(arg);
  note("L-unlock");
  pi_unlock(&pi1);
  note("L-");
  return NULL;
}

static void *middle(void *arg) {
  (void)arg;
  note("M+");
  spin_ms(40);
  note("M-");
  return NULL;
}

/* H wants the lock `arg` */
static void *high(void *arg) {
  note("H+");
  pi_lock(arg);
  note("H-got");
  pi_unlock(arg);
  return NULL;
}

/* Case 4: K holds P2 and waits for P1 */
static void *chain_k(void *arg) {
  (void)arg;
  pi_lock(&pi2);
  note("K+");
  pi_lock(&pi1);
  note("K-got");
  pi_unlock(&pi1);
  pi_unlock(&pi2);
  return NULL;
}

/* Case 5 */
static pthread_mutex_t inherit;
static atomic_int h_wants;

static void *low_mutex(void *arg) {
  (void)arg;
  pthread_mutex_lock(&inherit);
  atomic_store(&l_holds, 1);
  note("L+");
  while (!atomic_load(&h_wants)) spin_ms(1);
  note("L-unlock");
  pthread_mutex_unlock(&inherit);
  note("L-");
  return NULL;
}

static void *high_mutex(void *arg) {
  (void)arg;
  note("H+");
  atomic_store(&h_wants, 1);
  pthread_mutex_lock(&inherit);
  note("H-got");
  pthread_mutex_unlock(&inherit);
  return NULL;
}

/* Case 6 */
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static int turn, rounds;

static void *pinger(void *arg) {
  int me = (int)(intptr_t)arg;
  for (int i = 0; i < 500; i++) {
    pthread_mutex_lock(&inherit);
    while (turn != me) pthread_cond_wait(&turn_changed, &inherit);
    rounds++;
    turn = !me;
    pthread_cond_signal(&turn_changed);
    pthread_mutex_unlock(&inherit);
  }
  return NULL;
}

/* Case 9 */
static atomic_int x_stop;

static void *low_yielding(void *arg) {
  (void)arg;
  pthread_mutex_lock(&inherit);
  atomic_store(&l_holds, 1);
  note("L+");
  while (!atomic_load(&h_wants)) sched_yield();
  note("L-unlock");
  pthread_mutex_unlock(&inherit);
  note("L-");
  return NULL;
}

static void *yielder(void *arg) {
  (void)arg;
  while (!atomic_load(&x_stop)) sched_yield();
  return NULL;
}

/* Case 8 */
static pthread_mutex_t ceiling25;

static void *low_protected(void *arg) {
  (void)arg;
  int e = pthread_mutex_lock(&ceiling25);
  atomic_store(&l_holds, 1);
  note(e == 0 ? "L+" : "L-lock-failed");
  while (!atomic_load(&m_made)) spin_ms(1);
  atomic_store(&m_made, 0);
  spin_ms(10); /* M is ready: it waits for the unlock, below the ceiling */
  note("L-unlock");
  pthread_mutex_unlock(&ceiling25);
  note("L-");
  return NULL;
}

int main(void) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  printf("sched_setaffinity {0}: %d\n", sched_setaffinity(0, sizeof one, &one));
  /* Real-time threads compute ~0.3 s here: a second without any makes sure no throttling (950
   * ms of each second, used by whatever ran before) cuts into a case. */
  nap_ms(1000);
  set_self(SCHED_FIFO, 90);

  wake_order(0, "1 mutex waiters by priority");
  wake_order(1, "2 PI waiters by priority");

  pthread_t t[4];
  spawn(&t[0], 10, low, &pi1, "L");
  nap_until(&l_holds); /* L holds the lock and computes */
  spawn(&t[1], 20, middle, NULL, "M");
  spawn(&t[2], 30, high, &pi1, "H");
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  flush("3 inheritance");

  spawn(&t[0], 10, low, &pi2, "L");
  nap_until(&l_holds); /* L holds P1 and computes */
  spawn(&t[1], 15, chain_k, NULL, "K");
  nap_until_waited(&pi1); /* K holds P2, waits for P1: L runs at 15 */
  spawn(&t[2], 20, middle, NULL, "M");
  spawn(&t[3], 30, high, &pi2, "H");
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  flush("4 inheritance through a chain");
  printf("words after: %u %u\n", atomic_load(&pi1), atomic_load(&pi2));

  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
  printf("PRIO_INHERIT mutex init: %d\n", pthread_mutex_init(&inherit, &a));
  pthread_mutexattr_destroy(&a);
  spawn(&t[0], 10, low_mutex, NULL, "L");
  nap_until(&l_holds); /* L holds the mutex and computes */
  spawn(&t[1], 20, middle, NULL, "M");
  spawn(&t[2], 30, high_mutex, NULL, "H");
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  flush("5 inheritance through a PRIO_INHERIT mutex");

  spawn(&t[0], 10, pinger, (void *)0, "P0");
  spawn(&t[1], 10, pinger, (void *)1, "P1");
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  printf("6 condition variable over a PRIO_INHERIT mutex: %d turns\n", rounds);

  atomic_store(&h_wants, 0);
  spawn(&t[0], 0, low_mutex, NULL, "L");
  nap_until(&l_holds); /* L holds the mutex and computes */
  spawn(&t[1], 20, middle, NULL, "M");
  spawn(&t[2], 30, high_mutex, NULL, "H");
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  flush("7 a SCHED_OTHER owner inherits");


  pthread_mutexattr_init(&a);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT);
  pthread_mutexattr_setprioceiling(&a, 25);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  printf("PRIO_PROTECT mutex init: %d\n", pthread_mutex_init(&ceiling25, &a));
  pthread_mutexattr_destroy(&a);
  printf("8 lock above the ceiling: %s\n", pthread_mutex_lock(&ceiling25) == EINVAL ? "EINVAL" : "?");
  spawn(&t[0], 10, low_protected, NULL, "L");
  nap_until(&l_holds); /* L holds the mutex and computes */
  spawn(&t[1], 20, middle, NULL, "M");
  atomic_store(&m_made, 1);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  flush("8 a PRIO_PROTECT mutex raises its owner");
  set_self(SCHED_FIFO, 20);
  int e1 = pthread_mutex_lock(&ceiling25), e2 = pthread_mutex_lock(&ceiling25);
  struct sched_param sp;
  int policy;
  struct sched_param own;
  sched_getparam(0, &sp);
  pthread_getschedparam(pthread_self(), &policy, &own);
  printf("8 recursive relock at the ceiling: %d %d, priority %d (its own %d)\n", e1, e2, sp.sched_priority, own.sched_priority);
  pthread_mutex_unlock(&ceiling25);
  sched_getparam(0, &sp);
  printf("8 after one unlock: priority %d\n", sp.sched_priority);
  pthread_mutex_unlock(&ceiling25);
  sched_getparam(0, &sp);
  pthread_getschedparam(pthread_self(), &policy, &own);
  printf("8 after the last: priority %d (its own %d)\n", sp.sched_priority, own.sched_priority);
  pthread_mutex_destroy(&ceiling25);
  set_self(SCHED_FIFO, 90);
  atomic_store(&h_wants, 0);
  pthread_t x;
  spawn(&x, 0, yielder, NULL, "X");
  spawn(&t[0], 0, low_yielding, NULL, "L");
  nap_until(&l_holds); /* L holds the mutex; L and X take turns at sched_yield */
  nap_ms(5);
  spawn(&t[1], 20, middle, NULL, "M");
  spawn(&t[2], 30, high_mutex, NULL, "H");
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  atomic_store(&x_stop, 1);
  pthread_join(x, NULL);
  flush("9 an owner queued before the real-time threads inherits");
  pthread_mutex_destroy(&inherit);
  set_self(SCHED_OTHER, 0);
  return 0;
}
