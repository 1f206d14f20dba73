/*
 * FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI (a condition variable whose waiters are moved onto
 * a PI mutex, as PI-aware condvar libraries do), through syscall(SYS_futex, ...): prints one line
 * per check; test/libos/threads/conform-futex.test.ts compares it with what the same program
 * prints on Linux (gcc -O2 -pthread, glibc). C is the condition's word, M the PI mutex's (the
 * owner's tid). Waiters announce themselves and get 50 ms to park before the next step.
 */
#include "conform_futex.h"
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

static _Alignas(4) uint32_t C, M, M2;
static pid_t main_tid;
static atomic_int arrived, handled;

#define MAXW 3
struct waiter {
  pthread_t th;
  pid_t tid;
  const struct timespec *deadline; /* absolute, CLOCK_MONOTONIC */
  int own_m_first;                 /* lock M before waiting on C (to be its owner when requeued) */
  long r;
  int err;
  uint32_t m_at_return;
  long unlock;
};
static struct waiter ws[MAXW];

static const char *who(uint32_t v) {
  uint32_t t = v & FUTEX_TID_MASK;
  if (t == 0) return "nobody";
  if (t == (uint32_t)main_tid) return "main";
  for (int i = 0; i < MAXW; i++)
    if (t == (uint32_t)ws[i].tid) return i == 0 ? "w0" : i == 1 ? "w1" : "w2";
  return "another";
}

static void word_is(const char *name, uint32_t v) {
  printf("  %s: owner %s%s%s\n", name, who(v), v & FUTEX_WAITERS ? " +waiters" : "", v & FUTEX_OWNER_DIED ? " +owner-died" : "");
}

static void on_usr1(int sig) {
  (void)sig;
  atomic_fetch_add(&handled, 1);
}

/* Waits on C to be requeued onto M; owning M on success, it holds it 20 ms and unlocks it. */
static void *waiter_main(void *arg) {
  struct waiter *w = arg;
  w->tid = gettid();
  if (w->own_m_first) futex(&M, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  atomic_fetch_add(&arrived, 1);
  w->r = futex(&C, FUTEX_WAIT_REQUEUE_PI, 0, w->deadline, &M, 0);
  w->err = w->r < 0 ? errno : 0;
  w->m_at_return = M;
  if (w->r == 0 || w->own_m_first) {
    nap(20);
    w->unlock = futex(&M, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
  }
  return NULL;
}

static void start(int i, const struct timespec *deadline, int own_m_first) {
  memset(&ws[i], 0, sizeof ws[i]);
  ws[i].deadline = deadline;
  ws[i].own_m_first = own_m_first;
  ws[i].r = 99;
  atomic_store(&arrived, 0);
  pthread_create(&ws[i].th, NULL, waiter_main, &ws[i]);
  while (atomic_load(&arrived) < 1) nap(1);
  nap(50); /* time to park */
}

static void finish(int i) {
  pthread_join(ws[i].th, NULL);
  printf("  w%d: %ld %s, M then named %s%s, its unlock %ld\n", i, ws[i].r, ws[i].r < 0 ? ename(ws[i].err) : "", who(ws[i].m_at_return),
         ws[i].m_at_return & FUTEX_WAITERS ? " +waiters" : "", ws[i].unlock);
}

static void *plain_wait(void *arg) {
  atomic_fetch_add(&arrived, 1);
  *(long *)arg = futex(&C, FUTEX_WAIT, 0, NULL, NULL, 0);
  return NULL;
}

static long cmp_requeue_pi(int nwake, int nmove, uint32_t *to, uint32_t cmp) {
  return requeue(&C, FUTEX_CMP_REQUEUE_PI, nwake, nmove, to, cmp);
}

static struct timespec mono_in(long ms, clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  t.tv_nsec += ms * 1000000L;
  while (t.tv_nsec >= 1000000000L) t.tv_sec++, t.tv_nsec -= 1000000000L;
  return t;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  main_tid = gettid();

  /* Errors, nobody waiting. */
  show("wait_requeue_pi, the same word twice", futex(&C, FUTEX_WAIT_REQUEUE_PI, 0, NULL, &C, 0));
  show("wait_requeue_pi, word differs", futex(&C, FUTEX_WAIT_REQUEUE_PI, 1, NULL, &M, 0));
  show("wait_requeue_pi, unaligned target", futex(&C, FUTEX_WAIT_REQUEUE_PI, 0, NULL, (uint32_t *)((char *)&M + 1), 0));
  struct timespec bad = {0, 1000000000L};
  show("wait_requeue_pi, bad timeout", futex(&C, FUTEX_WAIT_REQUEUE_PI, 0, &bad, &M, 0));
  struct timespec t = mono_in(30, CLOCK_MONOTONIC);
  double t0 = now_ms();
  show("wait_requeue_pi until monotonic now + 30 ms", futex(&C, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, &t, &M, 0));
  printf("  waited at least 25 ms: %d\n", now_ms() - t0 >= 25);
  t = mono_in(30, CLOCK_REALTIME);
  t0 = now_ms();
  show("wait_requeue_pi until realtime now + 30 ms", futex(&C, FUTEX_WAIT_REQUEUE_PI | FUTEX_CLOCK_REALTIME, 0, &t, &M, 0));
  printf("  waited at least 25 ms: %d\n", now_ms() - t0 >= 25);
  show("cmp_requeue_pi, nwake 2", cmp_requeue_pi(2, 0, &M, 0));
  show("cmp_requeue_pi, nwake 0", cmp_requeue_pi(0, 1, &M, 0));
  show("cmp_requeue_pi, nmove -1", cmp_requeue_pi(1, -1, &M, 0));
  show("cmp_requeue_pi, onto the same word", cmp_requeue_pi(1, 1, &C, 0));
  show("cmp_requeue_pi, word differs", cmp_requeue_pi(1, 1, &M, 5));
  show("cmp_requeue_pi, nobody waits", cmp_requeue_pi(1, 1, &M, 0));
  word_is("M", M);
  show("FUTEX_CLOCK_REALTIME with cmp_requeue_pi", requeue(&C, FUTEX_CMP_REQUEUE_PI | FUTEX_CLOCK_REALTIME, 1, 1, &M, 0));

  /* M free: the requeue takes it for the waiter and wakes it. */
  start(0, NULL, 0);
  show("cmp_requeue_pi, M free, 1 waiter", cmp_requeue_pi(1, 0, &M, 0));
  finish(0);
  word_is("M after", M);

  /* M held: the first waiter and one more are moved onto M, the third stays on C. */
  futex(&M, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  for (int i = 0; i < 3; i++) start(i, NULL, 0);
  show("cmp_requeue_pi, M held, 3 waiters, move 1", cmp_requeue_pi(1, 1, &M, 0));
  word_is("M", M);
  show("wake on C (a requeue-PI waiter there)", futex(&C, FUTEX_WAKE, 1, NULL, NULL, 0));
  show("wake_bitset on C", futex(&C, FUTEX_WAKE_BITSET, 1, NULL, NULL, FUTEX_BITSET_MATCH_ANY));
  show("cmp_requeue of C onto M2", requeue(&C, FUTEX_CMP_REQUEUE, 0, 1, &M2, 0));
  show("requeue of C onto M2", requeue(&C, FUTEX_REQUEUE, 1, 0, &M2, 0));
  show("wake_op, C first", requeue(&C, FUTEX_WAKE_OP, 1, 1, &M2, FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, 0)));
  show("wake_op, C second", requeue(&M2, FUTEX_WAKE_OP, 1, 1, &C, FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, 0)));
  show("wake_op, C second, comparison false", requeue(&M2, FUTEX_WAKE_OP, 1, 1, &C, FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_NE, 0)));
  show("cmp_requeue_pi, another target than the waiter's", cmp_requeue_pi(1, 1, &M2, 0));
  show("unlock_pi by main", futex(&M, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
  finish(0);
  finish(1);
  word_is("M after w0 and w1", M);
  show("cmp_requeue_pi, the last waiter", cmp_requeue_pi(1, INT_MAX, &M, 0));
  finish(2);
  word_is("M at the end", M);

  /* A plain FUTEX_WAIT waiter on C cannot be requeued to a PI futex. */
  pthread_t plain;
  long plain_r = 99;
  atomic_store(&arrived, 0);
  pthread_create(&plain, NULL, plain_wait, &plain_r);
  while (atomic_load(&arrived) < 1) nap(1);
  nap(50);
  show("cmp_requeue_pi of a FUTEX_WAIT waiter", cmp_requeue_pi(1, 1, &M, 0));
  show("wake it", futex(&C, FUTEX_WAKE, 1, NULL, NULL, 0));
  pthread_join(plain, NULL);
  printf("  its wait: %ld\n", plain_r);

  /* Requeued, then its deadline passes while M stays held. */
  futex(&M, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  struct timespec in200 = mono_in(200, CLOCK_MONOTONIC);
  start(0, &in200, 0);
  show("cmp_requeue_pi, M held, a waiter with a 200 ms deadline", cmp_requeue_pi(1, 0, &M, 0));
  finish(0);
  word_is("M after its timeout", M);
  show("unlock_pi by main", futex(&M, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
  word_is("M", M);

  /* Signals: before the requeue the wait is restarted after the handler (SA_RESTART or not);
     after it, the wait ends with EAGAIN (Linux: EWOULDBLOCK). */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  atomic_store(&handled, 0);
  start(0, NULL, 0);
  pthread_kill(ws[0].th, SIGUSR1);
  for (int i = 0; i < 2000 && atomic_load(&handled) == 0; i++) nap(1);
  nap(50);
  printf("signal before the requeue: handled %d\n", atomic_load(&handled));
  show("cmp_requeue_pi, M free", cmp_requeue_pi(1, 0, &M, 0));
  finish(0);
  futex(&M, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  atomic_store(&handled, 0);
  start(0, NULL, 0);
  show("cmp_requeue_pi, M held", cmp_requeue_pi(1, 0, &M, 0));
  pthread_kill(ws[0].th, SIGUSR1);
  for (int i = 0; i < 2000 && atomic_load(&handled) == 0; i++) nap(1);
  nap(50);
  printf("signal after the requeue: handled %d\n", atomic_load(&handled));
  finish(0);
  word_is("M", M);
  show("unlock_pi by main", futex(&M, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));

  /* M names no thread: ESRCH, the waiter stays on C. */
  M = 0x3ffffff0;
  start(0, NULL, 0);
  show("cmp_requeue_pi, M naming no thread", cmp_requeue_pi(1, 1, &M, 0));
  M = 0;
  show("cmp_requeue_pi, M free again", cmp_requeue_pi(1, 1, &M, 0));
  finish(0);

  /* The waiter owns M itself: EDEADLK; it times out on C. */
  struct timespec in150 = mono_in(150, CLOCK_MONOTONIC);
  start(0, &in150, 1);
  word_is("M", M);
  show("cmp_requeue_pi, the waiter owns M", cmp_requeue_pi(1, 0, &M, 0));
  finish(0);
  word_is("M at the end", M);
  return 0;
}
