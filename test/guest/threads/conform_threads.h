/*
 * Shared helpers of the differential thread programs (conform_threads_sync.c, _life.c, _proc.c):
 * each prints one line per case (return value, errno name, values read back), the same on Linux
 * (gcc -O2 -pthread) and under occlum-ts. No addresses, tids or timings are printed. Every
 * program is one translation unit, so the helpers are static inline (unused ones do not warn).
 */
#ifndef CONFORM_THREADS_H
#define CONFORM_THREADS_H
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

static inline const char *en(int e) {
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
static inline void P(const char *what, int r) { printf("%s: %s\n", what, en(r)); fflush(stdout); }
/* A -1/errno result. */
static inline void S(const char *what, int r) {
  if (r == -1) printf("%s: -1 %s\n", what, en(errno));
  else printf("%s: %d\n", what, r);
  fflush(stdout);
}

static inline struct timespec in_ms(clockid_t c, long ms) {
  struct timespec t;
  clock_gettime(c, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) { t.tv_sec++; t.tv_nsec -= 1000000000L; }
  return t;
}
static inline long elapsed_ms(const struct timespec *a, const struct timespec *b) {
  return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

/* in_other() runs one operation on a mutex from another thread and returns its result. */
static pthread_mutex_t *other_target;
static int other_op; /* 0 unlock, 1 trylock, 2 timedlock 50ms */

static inline void *other(void *arg) {
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
static inline int in_other(pthread_mutex_t *m, int op) {
  pthread_t t;
  void *r;
  other_target = m;
  other_op = op;
  pthread_create(&t, 0, other, 0);
  pthread_join(t, &r);
  return (int)(intptr_t)r;
}
/* A thread body that returns its argument. */
static inline void *returner(void *arg) { return arg; }

#endif
