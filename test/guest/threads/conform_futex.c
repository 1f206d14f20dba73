/*
 * syscall(SYS_futex, ...) as Linux programs make it (lock-free code, hand-written locks): prints one
 * line per check; test/libos/threads/conform-futex.test.ts compares it with what the same program
 * prints on Linux (gcc -O2 -pthread, glibc). Waiters announce themselves before they wait; a
 * waker gives them 50 ms to park (nothing tells a Linux program that another thread sleeps in
 * the kernel) and waits for the count of returned waiters before the next step.
 */
#include "conform_futex.h"
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

/* ---- waiters ---- */

#define MAXW 8
static _Alignas(4) uint32_t A, B;
static atomic_int arrived, returned;
struct waiter {
  pthread_t th;
  uint32_t *addr;
  int op;
  const struct timespec *ts;
  uint32_t bits;
  long r;
  int err;
};
static struct waiter ws[MAXW];

static void *wait_main(void *arg) {
  struct waiter *w = arg;
  atomic_fetch_add(&arrived, 1);
  w->r = futex(w->addr, w->op, 0, w->ts, NULL, w->bits);
  w->err = w->r < 0 ? errno : 0;
  atomic_fetch_add(&returned, 1);
  return NULL;
}

/* Start waiters first..first+n-1 (first 0 resets the counts); return once they have had time to park. */
static void add_waiters(int first, int n, uint32_t *addr, int op, const struct timespec *ts) {
  if (first == 0) atomic_store(&returned, 0);
  atomic_store(&arrived, 0);
  for (int i = first; i < first + n; i++) {
    ws[i].addr = addr;
    ws[i].op = op;
    ws[i].ts = ts;
    if (!ws[i].bits) ws[i].bits = FUTEX_BITSET_MATCH_ANY;
    ws[i].r = 99;
    pthread_create(&ws[i].th, NULL, wait_main, &ws[i]);
  }
  while (atomic_load(&arrived) < n) nap(1);
  nap(50); /* time to park */
}

static void start_waiters(int n, uint32_t *addr, int op) {
  add_waiters(0, n, addr, op, NULL);
}

/* Wait (at most 2 s) until `n` waiters have returned; print how many did. */
static void expect_returned(const char *what, int n) {
  for (int i = 0; i < 2000 && atomic_load(&returned) < n; i++) nap(1);
  nap(20); /* one more would show */
  printf("%s: returned %d\n", what, atomic_load(&returned));
}

static void join_waiters(int n) {
  for (int i = 0; i < n; i++) {
    pthread_join(ws[i].th, NULL);
    ws[i].bits = 0;
    printf("  waiter %d: %ld %s\n", i, ws[i].r, ws[i].r < 0 ? ename(ws[i].err) : "");
  }
}

/* ---- signals ---- */

static atomic_int handled;
static void on_usr1(int sig) {
  (void)sig;
  atomic_fetch_add(&handled, 1);
}

static void interrupt_case(int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGUSR1, &sa, NULL);
  atomic_store(&handled, 0);
  A = 0;
  start_waiters(1, &A, FUTEX_WAIT_PRIVATE);
  pthread_kill(ws[0].th, SIGUSR1);
  for (int i = 0; i < 2000 && atomic_load(&handled) == 0; i++) nap(1);
  nap(50);
  printf("%s: handled %d, returned %d\n", restart ? "SA_RESTART" : "no SA_RESTART", atomic_load(&handled), atomic_load(&returned));
  if (atomic_load(&returned) == 0) show("  wake after the handler", futex(&A, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  join_waiters(1);
}

/* ---- PI futexes: the word holds the owner's tid ---- */

static _Alignas(4) uint32_t P;
static pid_t main_tid, pi_tid[2];
static long pi_got[2], pi_unlock[2];
static atomic_int pi_lockers; /* lockers about to call lock_pi */
static uint32_t pi_word[2];

static const char *owner_of(uint32_t v) {
  uint32_t t = v & FUTEX_TID_MASK;
  return t == 0 ? "nobody" : t == (uint32_t)main_tid ? "main" : t == (uint32_t)pi_tid[0] ? "t0" : t == (uint32_t)pi_tid[1] ? "t1" : "another";
}

static void pi_word_is(const char *when) {
  uint32_t v = P;
  printf("  %s: owner %s%s\n", when, owner_of(v), v & FUTEX_WAITERS ? " +waiters" : "");
}

static struct timespec in_30ms(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  t.tv_nsec += 30000000L;
  if (t.tv_nsec >= 1000000000L) t.tv_sec++, t.tv_nsec -= 1000000000L;
  return t;
}

/* Another thread while main owns P. */
static void *pi_other(void *arg) {
  (void)arg;
  show("  trylock_pi by another thread", futex(&P, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0));
  show("  unlock_pi by a non-owner", futex(&P, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
  struct timespec rt = in_30ms(CLOCK_REALTIME), mono = in_30ms(CLOCK_MONOTONIC);
  show("  lock_pi until realtime now + 30 ms", futex(&P, FUTEX_LOCK_PI, 0, &rt, NULL, 0));
  pi_word_is("after it");
  show("  lock_pi2 until monotonic now + 30 ms", futex(&P, FUTEX_LOCK_PI2_PRIVATE, 0, &mono, NULL, 0));
  return NULL;
}

/* A locker that waits in the kernel, is handed the lock, holds it 20 ms and gives it back. */
static void *pi_locker(void *arg) {
  long i = (long)arg;
  pi_tid[i] = gettid();
  atomic_fetch_add(&arrived, 1);
  atomic_fetch_add(&pi_lockers, 1);
  pi_got[i] = futex(&P, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  pi_word[i] = P;
  nap(20);
  pi_unlock[i] = futex(&P, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
  return NULL;
}

/* Takes P and ends holding it, once a locker is about to wait for it. */
static void *pi_dying_owner(void *arg) {
  *(pid_t *)arg = gettid();
  futex(&P, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  atomic_fetch_add(&arrived, 1);
  while (atomic_load(&pi_lockers) < 1) nap(1);
  nap(50); /* the locker is parked in the kernel by now */
  return NULL;
}

static void pi(void) {
  main_tid = gettid();
  P = 0;
  show("lock_pi of a free word", futex(&P, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
  pi_word_is("then");
  show("lock_pi again", futex(&P, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
  show("trylock_pi by the owner", futex(&P, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0));
  pthread_t t;
  pthread_create(&t, NULL, pi_other, NULL);
  pthread_join(t, NULL);
  pi_word_is("after the other thread's timeouts");
  show("unlock_pi", futex(&P, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
  pi_word_is("then");
  show("unlock_pi of a free word", futex(&P, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
  show("trylock_pi of a free word", futex(&P, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
  /* two lockers wait; the unlock hands the lock to the first, whose unlock hands it on */
  pthread_t th[2];
  for (long i = 0; i < 2; i++) {
    atomic_store(&arrived, 0);
    pthread_create(&th[i], NULL, pi_locker, (void *)i);
    while (atomic_load(&arrived) < 1) nap(1);
    nap(50);
    pi_word_is(i == 0 ? "t0 waits" : "t1 waits too");
  }
  show("unlock_pi with two waiters", futex(&P, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 2; i++)
    printf("  t%d: lock_pi %ld, the word then named %s, its unlock_pi %ld\n", i, pi_got[i], owner_of(pi_word[i] & FUTEX_TID_MASK), pi_unlock[i]);
  pi_word_is("at the end");
  /* a handler without SA_RESTART interrupts a waiting lock_pi: Linux restarts it, never EINTR */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  atomic_store(&handled, 0);
  futex(&P, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  atomic_store(&arrived, 0);
  pthread_create(&th[0], NULL, pi_locker, (void *)0);
  while (atomic_load(&arrived) < 1) nap(1);
  nap(50);
  pthread_kill(th[0], SIGUSR1);
  for (int i = 0; i < 2000 && atomic_load(&handled) == 0; i++) nap(1);
  nap(20);
  show("unlock_pi after the waiter's handler ran", futex(&P, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
  pthread_join(th[0], NULL);
  printf("  t0: handled %d, lock_pi %ld, the word then named %s\n", atomic_load(&handled), pi_got[0], owner_of(pi_word[0]));
  /* the owner ends holding the lock: its oldest waiter gets it, the word saying the owner died */
  static pid_t dead_tid;
  P = 0;
  atomic_store(&pi_lockers, 0);
  atomic_store(&arrived, 0);
  pthread_create(&th[1], NULL, pi_dying_owner, &dead_tid);
  while (atomic_load(&arrived) < 1) nap(1);
  atomic_store(&arrived, 0);
  pthread_create(&th[0], NULL, pi_locker, (void *)0);
  while (atomic_load(&arrived) < 1) nap(1);
  pthread_join(th[1], NULL);
  pthread_join(th[0], NULL);
  printf("  after its owner ended, t0: lock_pi %ld, the word named %s%s%s\n", pi_got[0], owner_of(pi_word[0]),
         pi_word[0] & FUTEX_OWNER_DIED ? " +owner-died" : "", pi_word[0] & FUTEX_WAITERS ? " +waiters" : "");
  P = (uint32_t)dead_tid; /* an ended thread's tid, nobody waiting */
  show("lock_pi of a word naming an ended thread", futex(&P, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
  P = 0x3ffffff0; /* a tid no thread has */
  show("lock_pi of a word naming no thread", futex(&P, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
  show("trylock_pi of a word naming no thread", futex(&P, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0));
  struct timespec bad = {0, 2000000000L};
  show("lock_pi with a bad timeout", futex(&P, FUTEX_LOCK_PI, 0, &bad, NULL, 0));
  show("lock_pi with FUTEX_CLOCK_REALTIME", futex(&P, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0));
  P = 0;
  show("lock_pi, unaligned", futex((uint32_t *)((char *)&P + 1), FUTEX_LOCK_PI, 0, NULL, NULL, 0));
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  A = 0;
  B = 0;

  /* Errors and the simple cases, no waiter. */
  show("wait, word differs", futex(&A, FUTEX_WAIT, 1, NULL, NULL, 0));
  show("wait private, word differs", futex(&A, FUTEX_WAIT_PRIVATE, 7, NULL, NULL, 0));
  struct timespec t30 = {0, 30000000L};
  double t0 = now_ms();
  show("wait 30 ms", futex(&A, FUTEX_WAIT, 0, &t30, NULL, 0));
  printf("  waited at least 30 ms: %d\n", now_ms() - t0 >= 29.5);
  struct timespec t0ts = {0, 0};
  show("wait 0 ns", futex(&A, FUTEX_WAIT_PRIVATE, 0, &t0ts, NULL, 0));
  struct timespec bad = {0, 1000000000L};
  show("wait, tv_nsec 1e9", futex(&A, FUTEX_WAIT, 0, &bad, NULL, 0));
  struct timespec neg = {-1, 0};
  show("wait, tv_sec -1", futex(&A, FUTEX_WAIT, 0, &neg, NULL, 0));
  show("wake, nobody waits", futex(&A, FUTEX_WAKE, INT_MAX, NULL, NULL, 0));
  show("wake private, nobody waits", futex(&A, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  uint32_t *odd = (uint32_t *)((char *)&A + 1);
  show("wake, unaligned", futex(odd, FUTEX_WAKE, 1, NULL, NULL, 0));
  show("wait, unaligned", futex(odd, FUTEX_WAIT, 0, NULL, NULL, 0));
  show("cmp_requeue, unaligned target", requeue(&A, FUTEX_CMP_REQUEUE, 1, 1, odd, 0));
  uint32_t *far = (uint32_t *)(uintptr_t)0xfffffff0u; /* unmapped here as on x86-64 Linux */
  show("wait, unmapped word", futex(far, FUTEX_WAIT, 0, NULL, NULL, 0));
  show("wake, unmapped word", futex(far, FUTEX_WAKE, 1, NULL, NULL, 0));
  show("cmp_requeue, unmapped target", requeue(&A, FUTEX_CMP_REQUEUE, 1, 1, far, 0));
  show("wake private, unmapped word", futex(far, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  show("cmp_requeue private, unmapped target", requeue(&A, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, far, 0));
  show("cmp_requeue private, unmapped word", requeue(far, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &B, 0));
  show("wake_op private, unmapped word", requeue(far, FUTEX_WAKE_OP_PRIVATE, 1, 1, &B, 0));
  show("wake_op private, unmapped target", requeue(&A, FUTEX_WAKE_OP_PRIVATE, 1, 1, far, 0));
  show("cmp_requeue, nwake -1", requeue(&A, FUTEX_CMP_REQUEUE, -1, 1, &B, 0));
  show("cmp_requeue, nmove -1", requeue(&A, FUTEX_CMP_REQUEUE, 1, -1, &B, 0));
  show("requeue, nmove -1", requeue(&A, FUTEX_REQUEUE, 1, -1, &B, 0));
  show("cmp_requeue, word differs", requeue(&A, FUTEX_CMP_REQUEUE, 1, 1, &B, 3));
  show("cmp_requeue, nobody waits", requeue(&A, FUTEX_CMP_REQUEUE, 1, 1, &B, 0));
  show("operation 99", futex(&A, 99, 0, NULL, NULL, 0));
  show("FUTEX_CLOCK_REALTIME with FUTEX_WAKE", futex(&A, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0));
  show("syscall(SYS_gettid) is gettid()", syscall(SYS_gettid) == gettid());
  errno = 0;
  long r = syscall(99999);
  printf("syscall(99999): %ld %s\n", r, ename(errno));

  /* Four waiters on A: wake one, requeue two onto B, wake the rest. */
  start_waiters(4, &A, FUTEX_WAIT);
  show("wake 1 of 4", futex(&A, FUTEX_WAKE, 1, NULL, NULL, 0));
  expect_returned("after wake 1", 1);
  show("cmp_requeue, word differs", requeue(&A, FUTEX_CMP_REQUEUE, 0, 2, &B, 1));
  show("cmp_requeue 0 woken, 2 moved to B", requeue(&A, FUTEX_CMP_REQUEUE, 0, 2, &B, 0));
  expect_returned("after the requeue", 1);
  show("wake all of A", futex(&A, FUTEX_WAKE, INT_MAX, NULL, NULL, 0));
  expect_returned("after wake all of A", 2);
  show("wake 1 of B", futex(&B, FUTEX_WAKE, 1, NULL, NULL, 0));
  expect_returned("after wake 1 of B", 3);
  show("wake 0 of B", futex(&B, FUTEX_WAKE, 0, NULL, NULL, 0));
  expect_returned("after wake 0 of B", 4);
  show("wake B, empty now", futex(&B, FUTEX_WAKE, INT_MAX, NULL, NULL, 0));
  join_waiters(4);

  /* FUTEX_REQUEUE (no compare), private: three waiters, one woken, one moved, one left. */
  start_waiters(3, &A, FUTEX_WAIT_PRIVATE);
  show("requeue 1 woken, 1 moved", requeue(&A, FUTEX_REQUEUE_PRIVATE, 1, 1, &B, 0));
  expect_returned("after the requeue", 1);
  show("wake all of B", futex(&B, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
  expect_returned("after wake all of B", 2);
  show("wake all of A", futex(&A, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
  expect_returned("after wake all of A", 3);
  join_waiters(3);

  /* Requeue onto the same word: the ones it would move stay, and count. */
  start_waiters(3, &A, FUTEX_WAIT);
  show("cmp_requeue onto itself, 1 woken, 5 moved", requeue(&A, FUTEX_CMP_REQUEUE, 1, 5, &A, 0));
  expect_returned("after it", 1);
  show("wake all of A", futex(&A, FUTEX_WAKE, INT_MAX, NULL, NULL, 0));
  expect_returned("after wake all", 3);
  join_waiters(3);

  /* Timed waits: a wake ends one early (0); a requeued one still times out on its own deadline. */
  struct timespec t5s = {5, 0}, t200 = {0, 200000000L};
  add_waiters(0, 1, &A, FUTEX_WAIT, &t5s);
  show("wake a 5 s wait", futex(&A, FUTEX_WAKE, 1, NULL, NULL, 0));
  expect_returned("after the wake", 1);
  join_waiters(1);
  add_waiters(0, 1, &A, FUTEX_WAIT, &t200);
  show("requeue a 200 ms wait onto B", requeue(&A, FUTEX_CMP_REQUEUE, 0, 1, &B, 0));
  expect_returned("after its timeout", 1);
  join_waiters(1);

  /* Bitsets: WAIT_BITSET's deadline is absolute (CLOCK_MONOTONIC, or CLOCK_REALTIME with the flag). */
  show("wait_bitset, mask 0", futex(&A, FUTEX_WAIT_BITSET, 0, NULL, NULL, 0));
  show("wake_bitset, mask 0", futex(&A, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0));
  show("wait_bitset, word differs", futex(&A, FUTEX_WAIT_BITSET, 1, NULL, NULL, FUTEX_BITSET_MATCH_ANY));
  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_nsec += 30000000L;
  if (abs.tv_nsec >= 1000000000L) abs.tv_sec++, abs.tv_nsec -= 1000000000L;
  t0 = now_ms();
  show("wait_bitset until monotonic now + 30 ms", futex(&A, FUTEX_WAIT_BITSET_PRIVATE, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY));
  printf("  waited at least 25 ms: %d\n", now_ms() - t0 >= 25);
  show("wait_bitset until a monotonic time past", futex(&A, FUTEX_WAIT_BITSET, 0, &abs, NULL, 1));
  clock_gettime(CLOCK_REALTIME, &abs);
  abs.tv_nsec += 30000000L;
  if (abs.tv_nsec >= 1000000000L) abs.tv_sec++, abs.tv_nsec -= 1000000000L;
  t0 = now_ms();
  show("wait_bitset until realtime now + 30 ms", futex(&A, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY));
  printf("  waited at least 25 ms: %d\n", now_ms() - t0 >= 25);
  show("wake_bitset, nobody waits", futex(&A, FUTEX_WAKE_BITSET, INT_MAX, NULL, NULL, 3));
  /* Masks 1, 2, 3 and a plain wait, which has every bit: mask 4 wakes only the plain one. */
  ws[0].bits = 1, ws[1].bits = 2, ws[2].bits = 3;
  start_waiters(3, &A, FUTEX_WAIT_BITSET);
  add_waiters(3, 1, &A, FUTEX_WAIT, NULL);
  show("wake_bitset mask 4", futex(&A, FUTEX_WAKE_BITSET, INT_MAX, NULL, NULL, 4));
  show("wake_bitset mask 2, count 1", futex(&A, FUTEX_WAKE_BITSET, 1, NULL, NULL, 2));
  expect_returned("after it", 1);
  show("wake_bitset mask 2", futex(&A, FUTEX_WAKE_BITSET, INT_MAX, NULL, NULL, 2));
  expect_returned("after it", 3);
  show("wake (every bit)", futex(&A, FUTEX_WAKE, INT_MAX, NULL, NULL, 0));
  expect_returned("after it", 4);
  join_waiters(4);

  /* FUTEX_WAKE_OP: update *B, wake on A, and on B if B's old value passes the comparison. */
  B = 5;
  show("wake_op B+=3, B>4?, nobody waits", requeue(&A, FUTEX_WAKE_OP, 1, 1, &B, FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_GT, 4)));
  printf("  B=%u\n", B);
  show("wake_op, unknown operation", requeue(&A, FUTEX_WAKE_OP, 1, 1, &B, FUTEX_OP(7, 1, FUTEX_OP_CMP_EQ, 0)));
  printf("  B=%u\n", B);
  show("wake_op, unknown comparison", requeue(&A, FUTEX_WAKE_OP, 1, 1, &B, FUTEX_OP(FUTEX_OP_SET, 9, 9, 0)));
  printf("  B=%u\n", B);
  show("wake_op B|=1<<4, B<-1? (signed)", requeue(&A, FUTEX_WAKE_OP_PRIVATE, 1, 1, &B, FUTEX_OP((FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT), 4, FUTEX_OP_CMP_LT, 0xfff)));
  printf("  B=%u\n", B);
  show("wake_op, unaligned B", requeue(&A, FUTEX_WAKE_OP, 1, 1, odd, 0));
  B = 0;
  start_waiters(2, &A, FUTEX_WAIT);
  add_waiters(2, 2, &B, FUTEX_WAIT, NULL);
  show("wake_op B=8, B==0?, 1 on A, 1 on B", requeue(&A, FUTEX_WAKE_OP, 1, 1, &B, FUTEX_OP(FUTEX_OP_SET, 8, FUTEX_OP_CMP_EQ, 0)));
  expect_returned("after it", 2);
  printf("  B=%u\n", B);
  show("wake_op B^=8, B!=8?, 0 on A (one), 5 on B", requeue(&A, FUTEX_WAKE_OP, 0, 5, &B, FUTEX_OP(FUTEX_OP_XOR, 8, FUTEX_OP_CMP_NE, 8)));
  expect_returned("after it", 3);
  printf("  B=%u\n", B);
  show("wake_op B&=~0, B>=0?, 0 on B", requeue(&A, FUTEX_WAKE_OP, 1, 0, &B, FUTEX_OP(FUTEX_OP_ANDN, 0, FUTEX_OP_CMP_GE, 0)));
  expect_returned("after it", 4);
  join_waiters(4);

  /* Signals: EINTR without SA_RESTART; with it the wait goes on until a wake. */
  interrupt_case(0);
  interrupt_case(1);
  pi();
  return 0;
}
