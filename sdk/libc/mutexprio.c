/*
 * Mutex priority protocols for Debian's wasix-libc, as glibc gives them to an ordinary
 * (SCHED_OTHER) Linux thread. Found against Linux by test/guest/threads/conform_mutex_prio.c:
 * - pthread_mutexattr_getprioceiling/setprioceiling were missing (programs did not link). The
 *   ceiling is kept in the attribute and reported; setting one outside
 *   sched_get_priority_min/max(SCHED_FIFO), 1..99, is EINVAL; an attribute never given one
 *   reports the minimum, as glibc's.
 * - pthread_mutexattr_setprotocol did nothing and returned 0 for any value, and getprotocol read
 *   a bit nothing set (always PTHREAD_PRIO_NONE). Here NONE, INHERIT and PROTECT are kept and
 *   reported, anything else is EINVAL.
 * - pthread_mutex_getprioceiling/setprioceiling always returned EINVAL. On a PTHREAD_PRIO_PROTECT
 *   mutex they now read and replace its ceiling (setprioceiling validates it as above and returns
 *   the old one); on any other mutex EINVAL, as glibc.
 * - Locking a PRIO_PROTECT mutex (lock, trylock, timedlock: wrapped) raises the locker to the
 *   ceiling while it holds it, as glibc's (pp_lock): EINVAL for a SCHED_OTHER thread, as Linux
 *   refuses any priority but 0 to one (glibc counts that raise before it fails, so a thread's
 *   later locks at or below that ceiling succeed; that leak is not copied), and for a thread above
 *   the ceiling. The lock itself is a PI word, as below. PROTECT with a robust attribute is
 *   ENOTSUP at init, as glibc.
 * - PRIO_INHERIT mutexes locked as the others, inheriting nothing: this libc lacks musl's PI
 *   path. They are now glibc's PI mutexes: the word holds the owner's kernel tid (| FUTEX_WAITERS),
 *   taken and given back in user space when free and uncontended, through FUTEX_LOCK_PI and
 *   FUTEX_UNLOCK_PI otherwise, so the kernel hands the lock to its highest-priority waiter and
 *   the owner inherits the waiters' priority (syscall/occlum/futex-pi.ts). Recursion counts in
 *   _m_count; a relock of a NORMAL one by its owner waits for ever and an unlock by another
 *   thread is EPERM, as glibc's PI kinds. They carry musl's PI flag (bit 3) too, which is what
 *   the libc's condition variables test: they then neither count the mutex's waiters nor requeue
 *   onto it, and relock and unlock it through the wrapped calls. A robust INHERIT mutex stays an
 *   ordinary robust one (no inheritance).
 * - pthread_mutex_destroy returned EINVAL for a process-shared mutex of any type but NORMAL (it
 *   compares the whole type word with 128); Linux returns 0. It has nothing to release: here it
 *   returns 0 for every mutex, which also keeps it blind to the protocol bits below.
 *
 * Where it is kept. musl's attribute word (pthread_mutexattr_t.__attr, copied whole into the
 * mutex's type word by pthread_mutex_init) uses bits 0-1 (type), 2 (robust), 3 (musl's PI flag,
 * which this libc never sets and whose locking path it lacks) and 7 (process-shared); its lock,
 * unlock and condvar code reads it through masks no wider than 15, and 128. The protocol goes in
 * bits 4-5 of both words. The ceiling goes in bits 8-15 of the attribute only: bits 4-6 are the
 * last free ones below the pshared bit, too few for 1..99, and the libc's code was not written
 * for a type word above 255 (its destroy compared the whole word with 128). So the init wrapper
 * strips them and puts a PROTECT mutex's ceiling in its waiter count (_m_waiters), which nothing
 * uses on a mutex with musl's PI flag (the libc's condition variables skip it; its own lock code
 * never sees one). No side table: a mutex may be copied, freed without pthread_mutex_destroy, or
 * shared with another process.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The mutex's words as musl names them: _m_type is __i[0], _m_count __i[5] (pthread_impl.h). */
#define M_TYPE(m) ((m)->__u.__vi[0])
#define M_COUNT(m) ((m)->__u.__vi[5])
#define M_LOCK(m) ((m)->__u.__vi[1])
#define M_WAITERS(m) ((m)->__u.__vi[2])
/* musl's robust-list link, unused on a mutex with its PI flag: the ceiling a PROTECT one's holder took. */
#define M_TAKEN(m) ((m)->__u.__vi[3])
_Static_assert(sizeof(pthread_mutex_t) == 6 * sizeof(int) && sizeof(pthread_mutexattr_t) == sizeof(unsigned), "not musl's wasm32 mutex layout");

#define PROTOCOL_SHIFT 4
#define PROTOCOL_BITS (3u << PROTOCOL_SHIFT)
#define PROTECT_BITS ((unsigned)PTHREAD_PRIO_PROTECT << PROTOCOL_SHIFT)
#define CEILING_SHIFT 8
#define CEILING_BITS (0xffu << CEILING_SHIFT)
#define ROBUST_BIT 4u
/* The bits pthread_mutex_init may copy into the mutex: musl's and the protocol. */
#define MUTEX_BITS 0xffu
#define INHERIT_BITS ((unsigned)PTHREAD_PRIO_INHERIT << PROTOCOL_SHIFT)
#define MUSL_PI_BIT 8u
#define PSHARED_BIT 128u
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_TID_MASK 0x3fffffffu

static int protocol_of(unsigned w) { return (int)((w & PROTOCOL_BITS) >> PROTOCOL_SHIFT); }

/* The ceiling an attribute gives (0: never set, the minimum). */
static int ceiling_of(unsigned w) {
  int c = (int)((w & CEILING_BITS) >> CEILING_SHIFT);
  return c ? c : sched_get_priority_min(SCHED_FIFO);
}

static int ceiling_ok(int c) { return c >= sched_get_priority_min(SCHED_FIFO) && c <= sched_get_priority_max(SCHED_FIFO); }

static int is_protected(const pthread_mutex_t *m) { return ((unsigned)M_TYPE(m) & PROTOCOL_BITS) == PROTECT_BITS; }

static int is_pi(const pthread_mutex_t *m) { return ((unsigned)M_TYPE(m) & MUSL_PI_BIT) != 0; }

/* The kernel's tid of the calling thread: what a PI word holds (cached per thread). */
static _Thread_local int pi_self;
static int pi_tid(void) {
  if (!pi_self) pi_self = (int)syscall(SYS_gettid);
  return pi_self;
}

static int pi_owned(pthread_mutex_t *m, int self) {
  return ((unsigned)__atomic_load_n(&M_LOCK(m), __ATOMIC_RELAXED) & FUTEX_TID_MASK) == (unsigned)self;
}

/* A PI futex call on the mutex word: 0 or the error (errno as it was). */
static int pi_futex(pthread_mutex_t *m, int op, const struct timespec *at) {
  int saved = errno;
  if ((M_TYPE(m) & PSHARED_BIT) == 0) op |= FUTEX_PRIVATE_FLAG;
  long r = syscall(SYS_futex, &M_LOCK(m), op, 0, at, NULL, 0);
  int e = r == 0 ? 0 : errno;
  errno = saved;
  return e;
}

static int pi_lock(pthread_mutex_t *m, const struct timespec *at, int trylock) {
  int self = pi_tid();
  if (pi_owned(m, self)) {
    int type = M_TYPE(m) & 3;
    if (type == PTHREAD_MUTEX_RECURSIVE) {
      if (M_COUNT(m) == INT_MAX) return EAGAIN;
      M_COUNT(m)++;
      return 0;
    }
    if (trylock) return EBUSY;
    if (type == PTHREAD_MUTEX_ERRORCHECK) return EDEADLK;
    /* NORMAL: the kernel says EDEADLK, and glibc's thread then waits for ever (below). */
  }
  int free = 0;
  if (__atomic_compare_exchange_n(&M_LOCK(m), &free, self, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return 0;
  if (trylock) return EBUSY;
  for (;;) {
    int e = pi_futex(m, FUTEX_LOCK_PI, at);
    if (e == EINTR) continue;
    if (e == EDEADLK)
      for (;;) pause();
    return e;
  }
}

static int pi_unlock(pthread_mutex_t *m) {
  int self = pi_tid();
  if (!pi_owned(m, self)) return EPERM;
  if ((M_TYPE(m) & 3) == PTHREAD_MUTEX_RECURSIVE && M_COUNT(m) > 0) {
    M_COUNT(m)--;
    return 0;
  }
  int mine = self;
  if (__atomic_compare_exchange_n(&M_LOCK(m), &mine, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) return 0;
  return pi_futex(m, FUTEX_UNLOCK_PI, NULL); /* waiters: the kernel hands it on */
}

/*
 * PRIO_PROTECT, as glibc's: the locker runs at the ceiling while it holds the mutex. A thread
 * counts the ceilings it holds by level (glibc's tpp) and runs at the highest of them and its
 * own priority, read when it takes its first such mutex. The lock itself is the PI word's.
 */
static _Thread_local unsigned pp_held[100];
static _Thread_local int pp_holding, pp_policy, pp_base;

/* The calling thread's own priority while it holds PRIO_PROTECT mutexes (threads.c's
 * pthread_getschedparam reports it, as glibc reports the one it cached): 1, or 0 if it holds none. */
int __occlum_pp_own_priority(int *prio) {
  if (pp_holding == 0) return 0;
  *prio = pp_base;
  return 1;
}

static int pp_level(void) {
  int top = pp_base;
  for (int c = 99; c > top; c--)
    if (pp_held[c]) return c;
  return top;
}

static int pp_run_at(int prio) {
  struct sched_param sp = {.sched_priority = prio};
  return pthread_setschedparam(pthread_self(), pp_policy, &sp);
}

/* A held ceiling given back: the thread drops to what it still holds. */
static void pp_release(int c) {
  int was = pp_level();
  pp_held[c]--;
  pp_holding--;
  int now = pp_level();
  if (now < was) pp_run_at(now);
}

static int pp_lock(pthread_mutex_t *m, const struct timespec *at, int trylock) {
  if (pi_owned(m, pi_tid())) return pi_lock(m, at, trylock); /* a relock: no new ceiling */
  int c = __atomic_load_n(&M_WAITERS(m), __ATOMIC_RELAXED);
  if (pp_holding == 0) {
    struct sched_param sp;
    if (pthread_getschedparam(pthread_self(), &pp_policy, &sp) != 0) return EINVAL;
    pp_base = sp.sched_priority;
  }
  /* Linux refuses a priority to SCHED_OTHER; a thread above the ceiling may not lock it. */
  if ((pp_policy != SCHED_FIFO && pp_policy != SCHED_RR) || pp_base > c) return EINVAL;
  if (c > pp_level() && pp_run_at(c) != 0) return EINVAL;
  pp_held[c]++;
  pp_holding++;
  int r = pi_lock(m, at, trylock);
  if (r != 0) pp_release(c);
  else M_TAKEN(m) = c;
  return r;
}

static int pp_unlock(pthread_mutex_t *m) {
  int relock = (M_TYPE(m) & 3) == PTHREAD_MUTEX_RECURSIVE && M_COUNT(m) > 0;
  int c = M_TAKEN(m); /* the ceiling may have changed since (setprioceiling) */
  int r = pi_unlock(m);
  if (r == 0 && !relock) pp_release(c);
  return r;
}

int pthread_mutexattr_setprotocol(pthread_mutexattr_t *a, int protocol) {
  if (protocol != PTHREAD_PRIO_NONE && protocol != PTHREAD_PRIO_INHERIT && protocol != PTHREAD_PRIO_PROTECT) return EINVAL;
  a->__attr = (a->__attr & ~PROTOCOL_BITS) | ((unsigned)protocol << PROTOCOL_SHIFT);
  return 0;
}

/* Wrapped: the libc's shares an object file with the other attribute getters. */
int __wrap_pthread_mutexattr_getprotocol(const pthread_mutexattr_t *restrict a, int *restrict protocol) {
  *protocol = protocol_of(a->__attr);
  return 0;
}

int pthread_mutexattr_setprioceiling(pthread_mutexattr_t *a, int ceiling) {
  if (!ceiling_ok(ceiling)) return EINVAL;
  a->__attr = (a->__attr & ~CEILING_BITS) | ((unsigned)ceiling << CEILING_SHIFT);
  return 0;
}

int pthread_mutexattr_getprioceiling(const pthread_mutexattr_t *restrict a, int *restrict ceiling) {
  *ceiling = ceiling_of(a->__attr);
  return 0;
}

int __real_pthread_mutex_init(pthread_mutex_t *restrict m, const pthread_mutexattr_t *restrict a);
int __wrap_pthread_mutex_init(pthread_mutex_t *restrict m, const pthread_mutexattr_t *restrict a) {
  if (!a) return __real_pthread_mutex_init(m, a);
  unsigned w = a->__attr;
  int protect = protocol_of(w) == PTHREAD_PRIO_PROTECT;
  if (protect && (w & ROBUST_BIT)) return ENOTSUP;
  pthread_mutexattr_t plain = {.__attr = w & MUTEX_BITS};
  int r = __real_pthread_mutex_init(m, &plain);
  if (r == 0 && protect) M_WAITERS(m) = ceiling_of(w);
  if (r == 0 && (protect || ((w & PROTOCOL_BITS) == INHERIT_BITS && !(w & ROBUST_BIT)))) M_TYPE(m) |= MUSL_PI_BIT;
  return r;
}

int pthread_mutex_destroy(pthread_mutex_t *m) {
  (void)m; /* nothing to release: a mutex is its words */
  return 0;
}

int pthread_mutex_getprioceiling(const pthread_mutex_t *restrict m, int *restrict ceiling) {
  if (!is_protected(m)) return EINVAL;
  *ceiling = __atomic_load_n(&M_WAITERS(m), __ATOMIC_RELAXED);
  return 0;
}

/* glibc takes the mutex to change the ceiling; a swap here (a holder gives back the ceiling it took: M_TAKEN). */
int pthread_mutex_setprioceiling(pthread_mutex_t *restrict m, int ceiling, int *restrict old) {
  if (!is_protected(m) || !ceiling_ok(ceiling)) return EINVAL;
  int was = __atomic_exchange_n(&M_WAITERS(m), ceiling, __ATOMIC_ACQ_REL);
  if (old) *old = was;
  return 0;
}

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __wrap_pthread_mutex_lock(pthread_mutex_t *m) {
  if (is_protected(m)) return pp_lock(m, NULL, 0);
  if (is_pi(m)) return pi_lock(m, NULL, 0);
  return __real_pthread_mutex_lock(m);
}

int __real_pthread_mutex_trylock(pthread_mutex_t *m);
int __wrap_pthread_mutex_trylock(pthread_mutex_t *m) {
  if (is_protected(m)) return pp_lock(m, NULL, 1);
  if (is_pi(m)) return pi_lock(m, NULL, 1);
  return __real_pthread_mutex_trylock(m);
}

int __real_pthread_mutex_timedlock(pthread_mutex_t *restrict m, const struct timespec *restrict at);
int __wrap_pthread_mutex_timedlock(pthread_mutex_t *restrict m, const struct timespec *restrict at) {
  if (is_protected(m)) return pp_lock(m, at, 0);
  if (is_pi(m)) return pi_lock(m, at, 0);
  return __real_pthread_mutex_timedlock(m, at);
}

/* Both names: the condition variables call the libc's internal one. */
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m) {
  if (is_protected(m)) return pp_unlock(m);
  if (is_pi(m)) return pi_unlock(m);
  return __real_pthread_mutex_unlock(m);
}

int __real___pthread_mutex_unlock(pthread_mutex_t *m);
int __wrap___pthread_mutex_unlock(pthread_mutex_t *m) {
  if (is_protected(m)) return pp_unlock(m);
  if (is_pi(m)) return pi_unlock(m);
  return __real___pthread_mutex_unlock(m);
}
