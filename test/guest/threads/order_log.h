/*
 * The order log of the real-time programs (conform_rt.c, conform_rt_locks.c): threads record
 * the order in which they reach points of their code without a syscall, and the log is printed
 * per case; spin_ms computes on the CPU for a while.
 */
#ifndef ORDER_LOG_H
#define ORDER_LOG_H
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static char logbuf[1024];
static atomic_int logpos;

static void note(const char *s) {
  int n = (int)strlen(s);
  int p = atomic_fetch_add(&logpos, n + 1);
  memcpy(logbuf + p, s, n);
  logbuf[p + n] = ' ';
}

static void flush(const char *label) {
  printf("%s: %.*s\n", label, atomic_load(&logpos), logbuf);
  atomic_store(&logpos, 0);
}

static void spin_ms(int ms) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  do clock_gettime(CLOCK_MONOTONIC, &b);
  while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}
#endif
