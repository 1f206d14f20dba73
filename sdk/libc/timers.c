/*
 * POSIX timers (timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete),
 * which wasix-libc lacks ("WASI has no timers"; sdk/include/time.h declares them), over the
 * kernel's (occlum.timer_*, src/libos/process/timers.ts): SIGEV_SIGNAL, SIGEV_THREAD_ID and
 * SIGEV_NONE are the kernel's; for SIGEV_THREAD a thread of the timer's own (with the sigevent's
 * attributes, detached, every signal blocked) waits for each expiry in the kernel and calls the
 * function, as musl does; timer_delete ends it. A timer_t is the kernel's id.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "sigevthread.h"
#include "timespec.h"

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))
int32_t __occlum_timer_create(int32_t clock, int32_t notify, int32_t signo, int32_t tid, int32_t value, uint32_t *id) OCCLUM_IMPORT(timer_create);
int32_t __occlum_timer_settime(int32_t id, int32_t flags, uint64_t value_ns, uint64_t interval_ns, uint64_t *old) OCCLUM_IMPORT(timer_settime);
int32_t __occlum_timer_gettime(int32_t id, uint64_t *out) OCCLUM_IMPORT(timer_gettime);
int32_t __occlum_timer_getoverrun(int32_t id, uint32_t *n) OCCLUM_IMPORT(timer_getoverrun);
int32_t __occlum_timer_delete(int32_t id) OCCLUM_IMPORT(timer_delete);
int32_t __occlum_timer_wait(int32_t id, uint32_t *overrun) OCCLUM_IMPORT(timer_wait);

/* timer_create(clock, NULL, ...): the kernel's default sigevent (SIGALRM, si_value the id). */
#define NULL_SIGEVENT ((int32_t)0x80000000)

static int fail(int e) {
  errno = e;
  return -1;
}

static int32_t id_of(timer_t t) { return (int32_t)(intptr_t)t; }

/* SIGEV_THREAD: each expiry the kernel reports (until timer_delete) calls the function. */
static void notify_each(const struct occlum_notifier *n) {
  for (;;) {
    uint32_t overrun = 0;
    int32_t e = __occlum_timer_wait(n->id, &overrun);
    if (e == EINTR) continue;
    if (e) return; /* deleted */
    n->fn(n->value);
  }
}

int timer_create(clockid_t clock, struct sigevent *restrict sev, timer_t *restrict res) {
  uint32_t id = 0;
  int32_t e;
  if (!sev) {
    e = __occlum_timer_create(clock, SIGEV_SIGNAL | NULL_SIGEVENT, SIGALRM, 0, 0, &id);
  } else {
    int tid = sev->sigev_notify == SIGEV_THREAD_ID ? sev->sigev_notify_thread_id : 0;
    e = __occlum_timer_create(clock, sev->sigev_notify, sev->sigev_signo, tid, sev->sigev_value.sival_int, &id);
  }
  if (e) return fail(e);
  if (sev && sev->sigev_notify == SIGEV_THREAD && occlum_sigev_thread(sev, (int32_t)id, notify_each) != 0) {
    __occlum_timer_delete((int32_t)id);
    return fail(EAGAIN);
  }
  *res = (timer_t)(intptr_t)id;
  return 0;
}


int timer_settime(timer_t t, int flags, const struct itimerspec *restrict next, struct itimerspec *restrict old) {
  if (!occlum_ts_valid(&next->it_value) || !occlum_ts_valid(&next->it_interval)) return fail(EINVAL);
  uint64_t was[2];
  int32_t e = __occlum_timer_settime(id_of(t), flags, occlum_ts_ns(&next->it_value), occlum_ts_ns(&next->it_interval), old ? was : NULL);
  if (e) return fail(e);
  if (old) {
    old->it_value = occlum_ns_ts(was[0]);
    old->it_interval = occlum_ns_ts(was[1]);
  }
  return 0;
}

int timer_gettime(timer_t t, struct itimerspec *cur) {
  uint64_t now[2];
  int32_t e = __occlum_timer_gettime(id_of(t), now);
  if (e) return fail(e);
  cur->it_value = occlum_ns_ts(now[0]);
  cur->it_interval = occlum_ns_ts(now[1]);
  return 0;
}

int timer_getoverrun(timer_t t) {
  uint32_t n = 0;
  int32_t e = __occlum_timer_getoverrun(id_of(t), &n);
  return e ? fail(e) : (int)n;
}

int timer_delete(timer_t t) {
  int32_t e = __occlum_timer_delete(id_of(t));
  return e ? fail(e) : 0;
}
