/*
 * Thread fixes for Debian's wasix-libc (musl inside), linked into every POSIX program by occlum-cc
 * (sdk/cc/posix.ts; pthread_join, pthread_tryjoin_np, pthread_timedjoin_np and pthread_detach are
 * wrapped with --wrap). Each difference was found against Linux by
 * test/guest/threads/conform_threads_{sync,life,proc}.c.
 *
 * - The main thread's tid: the libc's __wasi_init_tp gives it 0x3fffffff, the value musl's mutexes
 *   reserve for "owner died, not recoverable". So on the main thread an ERRORCHECK relock or
 *   trylock, and any other thread's lock of a mutex the main thread holds, failed with
 *   ENOTRECOVERABLE instead of EDEADLK/EBUSY/waiting, and pthread_kill(main thread) from another
 *   thread signalled the caller (0x3fffffff is also the ABI's "this thread"). A constructor puts
 *   the kernel's tid there (the pid, as on Linux) before main runs.
 * - pthread_getattr_np of the main thread failed with EINVAL (no stack recorded); the same
 *   constructor records the linker's stack region.
 * - Joining (or detaching again) a detached thread: musl's join traps (a_crash); Linux returns
 *   EINVAL. Joining oneself waits forever in musl; Linux returns EDEADLK.
 * - Robust mutexes: the libc's pthread_mutexattr_setrobust does nothing (returns 0), so a robust
 *   mutex whose owner died stayed locked forever; Linux gives the next locker EOWNERDEAD. Setting
 *   musl's robust bit is enough: its lock, consistent, unlock and thread exit (which walks the
 *   thread's list of held mutexes) implement the rest in user space.
 * - pthread_kill: the libc blocks every signal of the caller around the kernel call, so a signal
 *   a thread sends itself ran its handler (or killed the process) only at the thread's next
 *   blocking call, after pthread_kill had returned and more code had run; Linux delivers it
 *   before pthread_kill returns, as raise() does. It also passed sig & 255 (256 was 0: success).
 *   This one calls the kernel directly, whose return delivers what the caller may take (musl's
 *   kill lock guarded against a reused tid; the kernel never reuses one within a process).
 * - Cancellation: the libc's pthread_cancel only sent signal 33, which its own signal callback
 *   drops, and its __testcancel is empty: a cancelled thread never ended (its joiner hung). Here
 *   pthread_cancel sets musl's cancel flag and, unless the target has cancellation disabled, sends
 *   it signal 33, which interrupts a blocked kernel call; the cancellation points act on the flag:
 *   pthread_testcancel (and the libc's calls of it: pthread_join, sem_wait, pthread_setcanceltype),
 *   the futex waits of sem_wait/sem_timedwait/pthread_cond_(timed)wait/pthread_join
 *   (__timedwait_cp, sdk/libc/timedwait.c), sleeps, pause and sigsuspend (sdk/libc/signals.c),
 *   and the blocking calls POSIX lists (cancelpoints.c, sockets.c, poll.c, epoll.c; cancel.h).
 *   Asynchronous cancellation (PTHREAD_CANCEL_ASYNCHRONOUS) ends a thread that computes without
 *   calls too: see __occlum_cancel_signal.
 * - pthread_getcpuclockid said ENOENT: here it gives Linux's per-thread CPU clock id, which the
 *   kernel's clock_gettime reads. Linux makes the clock of a joined thread EINVAL; so does the
 *   kernel once the join returns (`joined` below), except for a thread on a vCPU worker that had
 *   ended before its join began, which may still be read for a moment.
 * - Thread names: pthread_setname_np did nothing and pthread_getname_np is missing. They are the
 *   kernel's comm (Linux's 16 bytes with the NUL, ERANGE beyond; a new thread starts with its
 *   creator's name, as on Linux), so /proc/<pid>/task/<tid>/comm shows them and a write there
 *   renames the thread.
 * - Declared but missing from libc.a (programs failed to link): pthread_condattr_getclock,
 *   sched_getaffinity/sched_setaffinity, pthread_getaffinity_np/pthread_setaffinity_np,
 *   sched_getcpu (the kernel's, below) and __sched_cpucount (CPU_COUNT); hidden from the
 *   headers and missing ("WASI has no CPU scheduling"): gettid, sched_get_priority_max/min,
 *   sched_getscheduler, sched_getparam, pthread_getschedparam; sched_setscheduler and
 *   sched_setparam too, and pthread_setschedparam/setschedprio did nothing. Policies and priorities
 *   are now the kernel's (below). Every thread started SCHED_OTHER at
 *   priority 0, as an ordinary Linux thread; sdk/include/{sched.h,pthread.h,unistd.h} declare them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api_wasix.h>

#include "cancel.h"

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))

/* struct pthread of this (sha256-pinned) libc: tid at byte 20, detach_state at 28 (musl's
   DT_EXITED 0, DT_EXITING 1, DT_JOINABLE 2, DT_DETACHED 3); see __wasi_init_tp and
   __pthread_timedjoin_np in the libc. */
#define TID_WORD 5
/* stack (its top) at byte 48, stack_size at 52 (pthread_getattr_np reads them). */
#define STACK_WORD 12
#define STACK_SIZE_WORD 13
#define DETACH_WORD 7
#define DT_DETACHED 3
#define LIBC_MAIN_TID 0x3fffffff
/* cancel (int) at byte 32, canceldisable at byte 36 (musl: 0 ENABLE, 1 DISABLE, 2 MASKED, the
   state pthread_cond_timedwait waits in), see __pthread_setcancelstate and __pthread_exit. */
#define CANCEL_WORD OCCLUM_CANCEL_WORD
#define CANCELDISABLE_BYTE 36
#define CANCEL_MASKED 2
/* cancelasync (unsigned char) right after it: pthread_setcanceltype's PTHREAD_CANCEL_ASYNCHRONOUS. */
#define CANCELASYNC_BYTE 37
/* musl's SIGCANCEL: the libc's signal callback ignores it, but it interrupts a blocked call. */
#define SIGCANCEL 33

static volatile int *words(pthread_t t) { return (volatile int *)(uintptr_t)t; }

/* The main thread's stack: the linker's stack region (wasm-ld defines these). */
extern char __stack_low, __stack_high;

__attribute__((constructor(101))) static void occlum_main_thread(void) {
  __wasi_tid_t tid = 0;
  volatile int *self = words(pthread_self());
  /* Only the layout this file was written for: anything else is left alone. */
  if (self[TID_WORD] != LIBC_MAIN_TID) return;
  if (__wasi_thread_id(&tid) == 0 && tid != 0 && tid < LIBC_MAIN_TID) self[TID_WORD] = (int)tid;
  /* pthread_getattr_np(main) failed with EINVAL: the libc never records the main stack. */
  if (self[STACK_WORD] == 0) {
    self[STACK_WORD] = (int)(uintptr_t)&__stack_high;
    self[STACK_SIZE_WORD] = (int)(&__stack_high - &__stack_low);
  }
}

pid_t gettid(void) { return words(pthread_self())[TID_WORD]; }

int __real_pthread_join(pthread_t, void **);
int __real_pthread_tryjoin_np(pthread_t, void **);
int __real_pthread_timedjoin_np(pthread_t, void **, const struct timespec *);
int __real_pthread_detach(pthread_t);

/* EDEADLK/EINVAL where Linux returns them; 0 to go on. */
static int join_check(pthread_t t) {
  if (pthread_equal(t, pthread_self())) return EDEADLK;
  if (words(t)[DETACH_WORD] == DT_DETACHED) return EINVAL;
  return 0;
}

/*
 * After a join the thread is gone, as Linux's (its tid is cleared by the kernel at its very end):
 * the libc's join returns once the exiting thread has woken it, which here is before that thread
 * has left the kernel (the joiner runs first), so a tkill, a CPU clock read or /proc/self/task
 * right after the join still found it. `tid` is read before the join frees the thread's struct.
 * A thread that had already ended before the join began has cleared it: on a vCPU worker, whose
 * exit reaches the kernel a moment later, such a thread may still be seen for that moment.
 */
static int joined(int e, int tid) {
  if (e == 0 && tid != 0) (void)__wasi_thread_join((__wasi_tid_t)tid); /* gone already: nothing to wait for */
  return e;
}

int __wrap_pthread_join(pthread_t t, void **res) {
  int e = join_check(t);
  if (e) return e;
  int tid = words(t)[TID_WORD];
  return joined(__real_pthread_join(t, res), tid);
}

int __wrap_pthread_tryjoin_np(pthread_t t, void **res) {
  int e = join_check(t);
  if (e) return e;
  int tid = words(t)[TID_WORD];
  return joined(__real_pthread_tryjoin_np(t, res), tid);
}

int __wrap_pthread_timedjoin_np(pthread_t t, void **res, const struct timespec *at) {
  int e = join_check(t);
  if (e) return e;
  int tid = words(t)[TID_WORD];
  return joined(__real_pthread_timedjoin_np(t, res, at), tid);
}

int __wrap_pthread_detach(pthread_t t) {
  if (words(t)[DETACH_WORD] == DT_DETACHED) return EINVAL;
  return __real_pthread_detach(t);
}

int pthread_mutexattr_setrobust(pthread_mutexattr_t *a, int robust) {
  if ((unsigned)robust > 1u) return EINVAL;
  /* musl's attribute word: bits 0-1 the type, bit 2 robust (pthread_mutexattr_getrobust). */
  if (robust) a->__attr |= 4;
  else a->__attr &= ~4u;
  return 0;
}

int pthread_kill(pthread_t t, int sig) {
  if ((unsigned)sig > 64u) return EINVAL;
  int tid = words(t)[TID_WORD];
  /* 0: the thread has exited (its pthread_exit clears the word); not joined yet, so no ESRCH. */
  if (tid == 0) return 0;
  return __wasi_thread_signal((__wasi_tid_t)tid, (__wasi_signal_t)sig);
}

static unsigned char cancel_state(pthread_t t) { return ((volatile unsigned char *)(uintptr_t)t)[CANCELDISABLE_BYTE]; }

/*
 * A cancellation point: a pending cancellation with cancellation enabled ends the thread (its
 * cleanup handlers and key destructors run in pthread_exit); ECANCELED when it is pending but
 * masked (the libc's condition wait then relocks its mutex and tests again); else 0.
 */
int __occlum_cancel_point(void) {
  pthread_t self = pthread_self();
  if (!__atomic_load_n(&words(self)[CANCEL_WORD], __ATOMIC_SEQ_CST)) return 0;
  unsigned char st = cancel_state(self);
  if (st == PTHREAD_CANCEL_ENABLE) pthread_exit(PTHREAD_CANCELED);
  return st == CANCEL_MASKED ? ECANCELED : 0;
}

void __testcancel(void) {
  pthread_t self = pthread_self();
  if (__atomic_load_n(&words(self)[CANCEL_WORD], __ATOMIC_SEQ_CST) && cancel_state(self) == PTHREAD_CANCEL_ENABLE) pthread_exit(PTHREAD_CANCELED);
}

/*
 * Asynchronous cancellation. The kernel delivers SIGCANCEL to a thread at its next kernel entry
 * or preemption check, also while it computes without calls, and runs this export for it instead
 * of the libc's signal callback (which ignores the signal). A thread with cancellation enabled and
 * of type PTHREAD_CANCEL_ASYNCHRONOUS ends here, its cleanup handlers and key destructors run by
 * pthread_exit; a deferred one goes on until its next cancellation point.
 */
__attribute__((export_name("__occlum_cancel_signal"))) void __occlum_cancel_signal(int sig) {
  (void)sig;
  pthread_t self = pthread_self();
  volatile unsigned char *bytes = (volatile unsigned char *)(uintptr_t)self;
  if (bytes[CANCELASYNC_BYTE] && cancel_state(self) == PTHREAD_CANCEL_ENABLE && __atomic_load_n(&words(self)[CANCEL_WORD], __ATOMIC_SEQ_CST))
    pthread_exit(PTHREAD_CANCELED);
}

int pthread_cancel(pthread_t t) {
  __atomic_store_n(&words(t)[CANCEL_WORD], 1, __ATOMIC_SEQ_CST);
  if (pthread_equal(t, pthread_self())) return 0; /* acts at its next cancellation point */
  /* Disabled: it acts when the thread enables it and reaches a cancellation point; a signal now
     would only cut short what the thread is doing. Masked (a condition wait) is woken. */
  if (cancel_state(t) == PTHREAD_CANCEL_DISABLE) return 0;
  return pthread_kill(t, SIGCANCEL);
}

/* pthread_sigqueue (GNU): a signal with a value to one thread (occlum.tgsigqueue); the error, as glibc returns it. */
int32_t __occlum_tgsigqueue(int32_t tid, int32_t sig, int32_t value) OCCLUM_IMPORT(tgsigqueue);

int pthread_sigqueue(pthread_t t, int sig, const union sigval value) {
  int tid = words(t)[TID_WORD];
  if (tid == 0) return ESRCH;
  return __occlum_tgsigqueue(tid, sig, value.sival_int);
}

/*
 * Thread names are the kernel's (its comm: /proc/<pid>/task/<tid>/comm shows it, a new thread
 * starts with its creator's), through occlum.thread_name_set/get; prctl.c names the caller.
 */
int32_t __occlum_thread_name_set(int32_t tid, const char *name, uint32_t len) OCCLUM_IMPORT(thread_name_set);
int32_t __occlum_thread_name_get(int32_t tid, char *buf, uint32_t len, uint32_t *n) OCCLUM_IMPORT(thread_name_get);

int pthread_setname_np(pthread_t t, const char *name) {
  size_t n = strlen(name);
  if (n > 15) return ERANGE;
  int tid = words(t)[TID_WORD];
  if (tid == 0) return ESRCH;
  return __occlum_thread_name_set(tid, name, (uint32_t)n);
}

int pthread_getname_np(pthread_t t, char *buf, size_t len) {
  if (len < 16) return ERANGE; /* glibc's: the whole comm, TASK_COMM_LEN bytes, must fit */
  int tid = words(t)[TID_WORD];
  if (tid == 0) return ESRCH;
  uint32_t n = 0;
  return __occlum_thread_name_get(tid, buf, (uint32_t)len, &n);
}

/*
 * The thread's CPU-time clock, in Linux's encoding ((~tid << 3) | CPUCLOCK_PERTHREAD |
 * CPUCLOCK_SCHED, as musl and glibc make it), which the kernel's clock_time_get reads
 * (src/libos/syscall/wasi/clock.ts); the libc's said ENOENT.
 */
int pthread_getcpuclockid(pthread_t t, clockid_t *clk) {
  int tid = words(t)[TID_WORD];
  if (tid == 0) return ESRCH;
  *clk = (clockid_t)((~(unsigned)tid << 3) | 6u);
  return 0;
}

int pthread_condattr_getclock(const pthread_condattr_t *restrict a, clockid_t *restrict clk) {
  /* musl keeps the clock in the low 31 bits, pshared in the top one. */
  *clk = a->__attr & 0x7fffffff;
  return 0;
}

/*
 * CPU affinity and sched_getcpu: the CPUs are the vCPUs (0 the kernel thread, 1..N-1 its workers),
 * kept by the kernel (src/libos/syscall/occlum/sched-rows.ts): a thread's mask decides where it
 * starts and what the threads it creates inherit; a thread that already runs does not move.
 */
int32_t __occlum_sched_getaffinity(int32_t tid, uint32_t size, void *set, uint32_t *written) OCCLUM_IMPORT(sched_getaffinity);
int32_t __occlum_sched_setaffinity(int32_t tid, uint32_t size, const void *set) OCCLUM_IMPORT(sched_setaffinity);
int32_t __occlum_sched_getcpu(uint32_t *cpu) OCCLUM_IMPORT(sched_getcpu);

static int getaffinity(pid_t tid, size_t size, cpu_set_t *set) {
  uint32_t n = 0;
  int e = __occlum_sched_getaffinity(tid, (uint32_t)size, set, &n);
  if (e) return e;
  memset((char *)set + n, 0, size - n); /* as glibc's wrapper: the bytes past the kernel's mask */
  return 0;
}

int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *set) {
  int e = getaffinity(pid, size, set);
  if (e) { errno = e; return -1; }
  return 0;
}

int sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *set) {
  int e = __occlum_sched_setaffinity(pid, (uint32_t)size, set);
  if (e) { errno = e; return -1; }
  return 0;
}

/* The pthread forms return the error; a thread's tid is in its pthread struct (gettid above). */
int pthread_getaffinity_np(pthread_t t, size_t size, cpu_set_t *set) {
  return getaffinity(words(t)[TID_WORD], size, set);
}

int pthread_setaffinity_np(pthread_t t, size_t size, const cpu_set_t *set) {
  return __occlum_sched_setaffinity(words(t)[TID_WORD], (uint32_t)size, set);
}

int sched_getcpu(void) {
  uint32_t cpu = 0;
  int e = __occlum_sched_getcpu(&cpu);
  if (e) { errno = e; return -1; }
  return (int)cpu;
}

/*
 * Thread scheduling attributes: musl's pthread_attr_t keeps the policy and the priority in ints 5
 * and 6; the libc has no pthread_attr_getschedpolicy or pthread_attr_getschedparam (programs did
 * not link) and its setschedpolicy took any number, where glibc and POSIX refuse all but
 * SCHED_OTHER, SCHED_FIFO and SCHED_RR (EINVAL). With PTHREAD_EXPLICIT_SCHED pthread_create
 * applies them (below); sdk/include/pthread.h declares the hidden setters.
 */
_Static_assert(sizeof(pthread_attr_t) == 36, "musl's wasm32 pthread_attr_t");
enum { ATTR_POLICY = 5, ATTR_PRIO = 6 };

int pthread_attr_getschedpolicy(const pthread_attr_t *restrict a, int *restrict policy) {
  *policy = ((const int *)a)[ATTR_POLICY];
  return 0;
}

int pthread_attr_getschedparam(const pthread_attr_t *restrict a, struct sched_param *restrict p) {
  memset(p, 0, sizeof *p);
  p->sched_priority = ((const int *)a)[ATTR_PRIO];
  return 0;
}

int __real_pthread_attr_setschedpolicy(pthread_attr_t *a, int policy);
int __wrap_pthread_attr_setschedpolicy(pthread_attr_t *a, int policy) {
  if (policy != SCHED_OTHER && policy != SCHED_FIFO && policy != SCHED_RR) return EINVAL;
  return __real_pthread_attr_setschedpolicy(a, policy);
}

/* A priority out of the range of the attributes' policy: EINVAL, as glibc (musl took any). */
int __real_pthread_attr_setschedparam(pthread_attr_t *restrict a, const struct sched_param *restrict p);
int __wrap_pthread_attr_setschedparam(pthread_attr_t *restrict a, const struct sched_param *restrict p) {
  int policy = ((const int *)a)[ATTR_POLICY];
  int rt = policy == SCHED_FIFO || policy == SCHED_RR;
  if (rt ? p->sched_priority < 1 || p->sched_priority > 99 : p->sched_priority != 0) return EINVAL;
  return __real_pthread_attr_setschedparam(a, p);
}

/*
 * PTHREAD_EXPLICIT_SCHED: the libc created the thread with its creator's policy whatever the
 * attributes said (musl applies them from the creator, in code this libc leaves out). Now the
 * kernel is told first that the next thread this one spawns gets them (tid 0xffffffff), so the
 * thread has them from its creation: it starts where they put it, never with its creator's.
 * A policy the kernel would refuse fails the call first (EINVAL), with no thread made.
 */
enum { ATTR_SCHED = 4 };
int32_t __occlum_sched_policy(int32_t tid, int32_t set, int32_t policy, int32_t priority, uint32_t *was) OCCLUM_IMPORT(sched_policy);
int __real_pthread_create(pthread_t *restrict t, const pthread_attr_t *restrict a, void *(*fn)(void *), void *restrict arg);
int __wrap_pthread_create(pthread_t *restrict t, const pthread_attr_t *restrict a, void *(*fn)(void *), void *restrict arg) {
  if (!a || ((const int *)a)[ATTR_SCHED] != PTHREAD_EXPLICIT_SCHED) return __real_pthread_create(t, a, fn, arg);
  int policy = ((const int *)a)[ATTR_POLICY], prio = ((const int *)a)[ATTR_PRIO];
  int rt = policy == SCHED_FIFO || policy == SCHED_RR;
  if (rt ? prio < 1 || prio > 99 : prio != 0) return EINVAL;
  uint32_t was = 0;
  __occlum_sched_policy((int32_t)0xffffffff, 1, policy, prio, &was);
  int e = __real_pthread_create(t, a, fn, arg);
  if (e) __occlum_sched_policy((int32_t)0xffffffff, 0, 0, 0, &was); /* no spawn took it */
  return e;
}

/*
 * A timed lock with a bad deadline: POSIX lets an implementation skip the check when the lock is
 * free at once, and musl does; glibc refuses it first (EINVAL) for rwlocks and semaphores, and
 * programs tested on Linux expect that. pthread_mutex_timedlock skips it in both.
 */
static int bad_deadline(const struct timespec *at) { return at->tv_nsec < 0 || at->tv_nsec >= 1000000000L; }

int __real_pthread_rwlock_timedrdlock(pthread_rwlock_t *restrict rw, const struct timespec *restrict at);
int __wrap_pthread_rwlock_timedrdlock(pthread_rwlock_t *restrict rw, const struct timespec *restrict at) {
  return bad_deadline(at) ? EINVAL : __real_pthread_rwlock_timedrdlock(rw, at);
}

int __real_pthread_rwlock_timedwrlock(pthread_rwlock_t *restrict rw, const struct timespec *restrict at);
int __wrap_pthread_rwlock_timedwrlock(pthread_rwlock_t *restrict rw, const struct timespec *restrict at) {
  return bad_deadline(at) ? EINVAL : __real_pthread_rwlock_timedwrlock(rw, at);
}

int __real_sem_timedwait(sem_t *restrict s, const struct timespec *restrict at);
int __wrap_sem_timedwait(sem_t *restrict s, const struct timespec *restrict at) {
  if (bad_deadline(at)) {
    errno = EINVAL;
    return -1;
  }
  return __real_sem_timedwait(s, at);
}

int __sched_cpucount(size_t size, const cpu_set_t *set) {
  int c = 0;
  for (size_t i = 0; i < size; i++) c += __builtin_popcount(((const unsigned char *)set)[i]);
  return c;
}

static int policy_ok(int p) { return p == SCHED_OTHER || p == SCHED_BATCH || p == SCHED_IDLE || p == SCHED_FIFO || p == SCHED_RR; }

int sched_get_priority_max(int policy) {
  if (!policy_ok(policy)) { errno = EINVAL; return -1; }
  return policy == SCHED_FIFO || policy == SCHED_RR ? 99 : 0;
}

int sched_get_priority_min(int policy) {
  if (!policy_ok(policy)) { errno = EINVAL; return -1; }
  return policy == SCHED_FIFO || policy == SCHED_RR ? 1 : 0;
}

/*
 * Scheduling policies and priorities are the kernel's, per thread (occlum.sched_policy,
 * src/libos/syscall/occlum/sched-rows.ts): set and reported as Linux sets them for root (every
 * process here), inherited by new threads; the fair scheduler gives every thread the same share.
 * A pid names a thread (its main thread for a process's pid), as Linux's.
 */
int32_t __occlum_sched_policy(int32_t tid, int32_t set, int32_t policy, int32_t priority, uint32_t *was) OCCLUM_IMPORT(sched_policy);

/* The thread `pid` names (0: the caller): -1 and errno as the sched_* calls report. */
static int sched_policy(pid_t pid, int set, int policy, int priority, uint32_t *was) {
  if (pid < 0) return EINVAL;
  return __occlum_sched_policy(pid, set, policy, priority, was);
}

int sched_getscheduler(pid_t pid) {
  uint32_t was = 0;
  int e = sched_policy(pid, 0, 0, 0, &was);
  if (e) { errno = e; return -1; }
  return (int)(was & 0xff);
}

int sched_getparam(pid_t pid, struct sched_param *p) {
  uint32_t was = 0;
  int e = sched_policy(pid, 0, 0, 0, &was);
  if (e) { errno = e; return -1; }
  memset(p, 0, sizeof *p);
  p->sched_priority = (int)(was >> 8);
  return 0;
}

int sched_setscheduler(pid_t pid, int policy, const struct sched_param *p) {
  uint32_t was = 0;
  int e = p ? sched_policy(pid, 1, policy, p->sched_priority, &was) : EINVAL;
  if (e) { errno = e; return -1; }
  return 0; /* Linux's call returns 0 (glibc's too) */
}

int sched_setparam(pid_t pid, const struct sched_param *p) {
  uint32_t was = 0;
  int e = p ? sched_policy(pid, 1, -1, p->sched_priority, &was) : EINVAL;
  if (e) { errno = e; return -1; }
  return 0;
}

int __occlum_pp_own_priority(int *prio);

int pthread_getschedparam(pthread_t t, int *restrict policy, struct sched_param *restrict p) {
  uint32_t was = 0;
  int tid = words(t)[TID_WORD];
  int e = tid == 0 ? ESRCH : __occlum_sched_policy(tid, 0, 0, 0, &was);
  if (e) return e;
  *policy = (int)(was & 0xff);
  memset(p, 0, sizeof *p);
  p->sched_priority = (int)(was >> 8);
  /* Raised to a PRIO_PROTECT mutex's ceiling (mutexprio.c), a thread still reports its own
   * priority, as glibc's does. */
  int own;
  if (t == pthread_self() && __occlum_pp_own_priority(&own)) p->sched_priority = own;
  return 0;
}

int pthread_setschedparam(pthread_t t, int policy, const struct sched_param *p) {
  uint32_t was = 0;
  int tid = words(t)[TID_WORD];
  return tid == 0 ? ESRCH : __occlum_sched_policy(tid, 1, policy, p->sched_priority, &was);
}

int pthread_setschedprio(pthread_t t, int priority) {
  uint32_t was = 0;
  int tid = words(t)[TID_WORD];
  return tid == 0 ? ESRCH : __occlum_sched_policy(tid, 1, -1, priority, &was);
}
