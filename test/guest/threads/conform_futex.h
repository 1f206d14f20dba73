/*
 * What the syscall(SYS_futex, ...) conformance programs share (conform_futex.c,
 * conform_futex_rqpi.c): the call, the errno names they print, and sleeps.
 */
#ifndef CONFORM_FUTEX_H
#define CONFORM_FUTEX_H
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "../conform_errno.h"

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts, uint32_t *uaddr2, uint32_t val3) {
  return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static long requeue(uint32_t *from, int op, int nwake, int nmove, uint32_t *to, uint32_t val3) {
  return syscall(SYS_futex, from, op, nwake, (uintptr_t)(long)nmove, to, val3);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void nap(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

#endif
