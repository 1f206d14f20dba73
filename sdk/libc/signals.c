/*
 * Signal masks, SA_RESTART and sigsuspend for Debian's wasix-libc, whose sigprocmask and
 * pthread_sigmask do nothing, sigpending and sigsuspend return 28 without doing anything, pause is
 * missing, and sigaction keeps sa_flags/sa_mask to itself. These strong definitions replace those
 * archive members and talk to the kernel, the authority on masks and pending sets, through
 * occlum-ts's own imports (module "occlum", docs/wasi-support.md). The handlers stay in the libc:
 * sigaction still installs them through the libc's __sigaction, then reports the disposition.
 *
 * clock_nanosleep (behind nanosleep, sleep and usleep) is replaced because the libc's turns every
 * error of its poll_oneoff, EINTR included, into ENOTSUP: an interrupted sleep must fail with EINTR
 * (and report the time left), whatever SA_RESTART says. It is also a cancellation point
 * (sdk/libc/threads.c): before sleeping and when interrupted.
 *
 * sigaction adds SA_SIGINFO and SA_RESETHAND (see trampoline below).
 *
 * signal() is replaced with its archive member (signal.o also defines __SIG_IGN/__SIG_ERR, which
 * must then come from here) because it calls __sigaction directly, past sigaction.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api_wasix.h>

#include "cancel.h"

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))

int32_t __occlum_sigaction(int32_t sig, int32_t kind, int32_t flags, uint64_t mask) OCCLUM_IMPORT(sigaction);
int32_t __occlum_sigprocmask(int32_t how, uint64_t set, int32_t has_set, uint64_t *old) OCCLUM_IMPORT(sigprocmask);
int32_t __occlum_sigpending(uint64_t *set) OCCLUM_IMPORT(sigpending);
int32_t __occlum_sigsuspend(uint64_t mask) OCCLUM_IMPORT(sigsuspend);
int32_t __occlum_sigtimedwait_v2(uint64_t set, uint64_t timeout_ns, int32_t *info, int32_t *signo) OCCLUM_IMPORT(sigtimedwait_v2);
int32_t __occlum_siginfo(int32_t *info, int32_t *signo) OCCLUM_IMPORT(siginfo);
int32_t __occlum_sigqueue(int32_t pid, int32_t sig, int32_t value) OCCLUM_IMPORT(sigqueue);

int __sigaction(int, const struct sigaction *restrict, struct sigaction *restrict);

/* The kernel's sets are the first 64 bits of sigset_t (signals 1..64). */
static uint64_t bits_of(const sigset_t *s) {
  uint64_t v;
  memcpy(&v, s, sizeof v);
  return v;
}

static void set_bits(sigset_t *s, uint64_t v) {
  memset(s, 0, sizeof *s);
  memcpy(s, &v, sizeof v);
}

void __SIG_IGN(int sig) { (void)sig; }
void __SIG_ERR(int sig) { (void)sig; }

/*
 * SA_SIGINFO and SA_RESETHAND: the libc calls every handler as handler(sig), so a three-argument
 * sa_sigaction trapped (call_indirect signature mismatch), and it ignores SA_RESETHAND. Such
 * handlers are installed behind a trampoline that resets the disposition first (the kernel then
 * applies the default action to the next one) and passes a siginfo_t: how the signal was sent,
 * from the kernel (occlum.siginfo; see fill_siginfo).
 */
/* siginfo_t from the kernel's account of a signal (si_code, si_pid, si_status, si_value); every
 * uid is 0. si_status and si_value share their place: SIGCHLD has the one, the rest the other.
 * For a timer's signal (process/timers.ts) the pid is si_timerid and the status si_overrun. */
static void fill_siginfo(siginfo_t *info, int sig, const int32_t how[4]) {
  memset(info, 0, sizeof *info);
  info->si_signo = sig;
  info->si_code = how[0];
  info->si_pid = how[1];
  info->si_uid = 0;
  if (sig == SIGCHLD) info->si_status = how[2];
  else info->si_value.sival_int = how[3];
  /* A timer's (SI_TIMER): si_timerid and si_overrun share si_pid's and si_uid's place. */
  if (how[0] == SI_TIMER) info->si_overrun = how[2];
}

/* sigqueue: the libc's made a raw syscall this ABI does not have. A real-time signal queues with
 * its value; the receiver's siginfo_t says SI_QUEUE, the sender's pid and the value. */
int sigqueue(pid_t pid, int sig, union sigval value) {
  int32_t e = __occlum_sigqueue(pid, sig, value.sival_int);
  if (e) {
    errno = e;
    return -1;
  }
  return 0;
}

#define NSIG_TABLE 65
static void (*user_fn[NSIG_TABLE])(void);
static int user_flags[NSIG_TABLE];

static void trampoline(int sig) {
  if (sig <= 0 || sig >= NSIG_TABLE) return;
  int flags = user_flags[sig];
  void (*fn)(void) = user_fn[sig];
  if (flags & SA_RESETHAND) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
  }
  if (flags & SA_SIGINFO) {
    siginfo_t info;
    int32_t how[4] = {SI_USER, 0, 0, 0}, taken = sig;
    __occlum_siginfo(how, &taken); /* fails only outside a callback: keeps SI_USER */
    fill_siginfo(&info, sig, how);
    ((void (*)(int, siginfo_t *, void *))fn)(sig, &info, NULL);
  } else {
    ((void (*)(int))fn)(sig);
  }
}

int sigaction(int sig, const struct sigaction *restrict sa, struct sigaction *restrict old) {
  if (sa && (sig == SIGKILL || sig == SIGSTOP)) { errno = EINVAL; return -1; } /* as Linux */
  int in_table = sig > 0 && sig < NSIG_TABLE;
  void (*prev_fn)(void) = in_table ? user_fn[sig] : NULL;
  int prev_flags = in_table ? user_flags[sig] : 0;
  int kind = 0;
  struct sigaction local;
  const struct sigaction *use = sa;
  if (sa) {
    kind = sa->sa_handler == SIG_DFL ? 0 : sa->sa_handler == SIG_IGN ? 1 : 2;
    if (kind == 2 && in_table && (sa->sa_flags & (SA_SIGINFO | SA_RESETHAND))) {
      local = *sa;
      local.sa_handler = trampoline;
      use = &local;
    }
  }
  int r = __sigaction(sig, use, old);
  if (r != 0) return r;
  if (old && old->sa_handler == trampoline) {
    if (prev_flags & SA_SIGINFO) old->sa_sigaction = (void (*)(int, siginfo_t *, void *))prev_fn;
    else old->sa_handler = (void (*)(int))prev_fn;
    old->sa_flags = prev_flags;
  }
  if (sa) {
    if (in_table) {
      user_fn[sig] = use == &local ? (void (*)(void))sa->sa_handler : NULL;
      user_flags[sig] = use == &local ? sa->sa_flags : 0;
    }
    __occlum_sigaction(sig, kind, sa->sa_flags, bits_of(&sa->sa_mask));
  }
  return r;
}

/* BSD semantics, as musl's: the handler stays installed and interrupted calls restart. */
void (*signal(int sig, void (*func)(int)))(int) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = func;
  sa.sa_flags = SA_RESTART;
  if (sigaction(sig, &sa, &old) < 0) return SIG_ERR;
  return old.sa_handler;
}
void (*bsd_signal(int sig, void (*func)(int)))(int) { return signal(sig, func); }
void (*__sysv_signal(int sig, void (*func)(int)))(int) { return signal(sig, func); }

int pthread_sigmask(int how, const sigset_t *restrict set, sigset_t *restrict old) {
  uint64_t prev = 0;
  int e = __occlum_sigprocmask(how, set ? bits_of(set) : 0, set != 0, &prev);
  if (e) return e;
  if (old) set_bits(old, prev);
  return 0;
}

int sigprocmask(int how, const sigset_t *restrict set, sigset_t *restrict old) {
  int e = pthread_sigmask(how, set, old);
  if (e) { errno = e; return -1; }
  return 0;
}

int sigpending(sigset_t *set) {
  uint64_t v = 0;
  int e = __occlum_sigpending(&v);
  if (e) { errno = e; return -1; }
  set_bits(set, v);
  return 0;
}

/* sigsuspend and pause are cancellation points: pthread_cancel's signal ends them (cancel.h). */
int sigsuspend(const sigset_t *mask) {
  occlum_cancel_point();
  errno = __occlum_sigsuspend(bits_of(mask));
  occlum_cancel_point();
  return -1;
}

int pause(void) {
  uint64_t cur = 0;
  occlum_cancel_point();
  __occlum_sigprocmask(SIG_BLOCK, 0, 0, &cur);
  errno = __occlum_sigsuspend(cur);
  occlum_cancel_point();
  return -1;
}

/*
 * sigtimedwait, sigwaitinfo and sigwait: the libc's returned 0 with no signal (sigwait) or its
 * errno as the result (sigtimedwait). The kernel takes a pending signal of the set, lowest first,
 * without running its handler (occlum.sigtimedwait_v2), and says how it was sent: siginfo_t gets
 * si_signo, si_code (SI_USER for kill, SI_TKILL for raise/pthread_kill, SI_KERNEL for timers,
 * CLD_EXITED/CLD_KILLED for SIGCHLD), si_pid (the sender, or the child), si_uid 0 and, for
 * SIGCHLD, si_status. A cancellation point.
 */
int sigtimedwait(const sigset_t *restrict set, siginfo_t *restrict info, const struct timespec *restrict ts) {
  uint64_t ns = UINT64_C(1) << 63; /* none */
  occlum_cancel_point();
  if (ts) {
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L) {
      errno = EINVAL;
      return -1;
    }
    ns = (uint64_t)ts->tv_sec >= (UINT64_C(1) << 63) / 1000000000u ? (UINT64_C(1) << 63) - 1
                                                                   : (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
  }
  int32_t sig = 0, how[4] = {0, 0, 0, 0}; /* si_code, si_pid, si_status, si_value */
  int32_t e = __occlum_sigtimedwait_v2(bits_of(set), ns, how, &sig);
  if (e) {
    if (e == EINTR) occlum_cancel_point();
    errno = e;
    return -1;
  }
  if (info) fill_siginfo(info, sig, how);
  return sig;
}

int sigwaitinfo(const sigset_t *restrict set, siginfo_t *restrict info) {
  return sigtimedwait(set, info, NULL);
}

/* POSIX: sigwait does not fail with EINTR (a handler that ran meanwhile restarts the wait). */
int sigwait(const sigset_t *restrict set, int *restrict sig) {
  int r;
  do r = sigtimedwait(set, NULL, NULL);
  while (r < 0 && errno == EINTR);
  if (r < 0) return errno;
  *sig = r;
  return 0;
}

static int64_t ns_now(clockid_t clk) {
  struct timespec ts;
  if (clock_gettime(clk, &ts) != 0) return 0;
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem) {
  occlum_cancel_point();
  if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC) return EINVAL;
  if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000) return EINVAL;
  int64_t ns = req->tv_sec > INT64_MAX / 1000000000 - 1 ? INT64_MAX : (int64_t)req->tv_sec * 1000000000 + req->tv_nsec;
  int64_t start = ns_now(CLOCK_MONOTONIC);
  if (flags & TIMER_ABSTIME) {
    int64_t now = ns_now(clk);
    if (ns <= now) return 0;
    ns -= now;
  }
  int e = __wasi_thread_sleep((__wasi_timestamp_t)ns);
  if (e == EINTR) {
    occlum_cancel_point();
    if (rem && !(flags & TIMER_ABSTIME)) {
      int64_t left = ns - (ns_now(CLOCK_MONOTONIC) - start);
      if (left < 0) left = 0;
      rem->tv_sec = left / 1000000000;
      rem->tv_nsec = left % 1000000000;
    }
    return EINTR;
  }
  return e ? ENOTSUP : 0;
}
