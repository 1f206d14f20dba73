/*
 * Nice values and scheduling policies, per thread as Linux keeps them: getpriority/setpriority
 * (PRIO_PROCESS naming a thread, PRIO_PGRP, PRIO_USER; clamped to -20..19), nice(),
 * sched_setscheduler/getscheduler/setparam/getparam, pthread_setschedparam/getschedparam/
 * setschedprio, inheritance by a new thread, Linux's errors. Run as root (every process here is).
 * Prints one line per check; test/libos/threads/conform-sched.test.ts compares it with what the
 * same program prints on Linux (gcc -O2 -pthread, glibc, as root).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#define CONFORM_ERRNO_NAMES_ONLY
#include "../conform_errno.h"

static void show(const char *what, int r) {
  if (r == -1) printf("%s: -1 %s\n", what, ename(errno));
  else printf("%s: %d\n", what, r);
}

static int prio(void) {
  errno = 0;
  return getpriority(PRIO_PROCESS, 0);
}

static int child_nice_at_start, child_policy_at_start, child_prio_at_start, child_nice_set;
static void *child(void *arg) {
  (void)arg;
  child_nice_at_start = prio();
  struct sched_param sp;
  child_policy_at_start = sched_getscheduler(0);
  sched_getparam(0, &sp);
  child_prio_at_start = sp.sched_priority;
  setpriority(PRIO_PROCESS, 0, 15);
  child_nice_set = prio();
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  show("getpriority(PRIO_PROCESS, 0)", prio());
  show("setpriority(PRIO_PROCESS, 0, 5)", setpriority(PRIO_PROCESS, 0, 5));
  show("  getpriority", prio());
  show("nice(2)", nice(2));
  show("setpriority(PRIO_PROCESS, 0, -30): clamped", setpriority(PRIO_PROCESS, 0, -30));
  show("  getpriority", prio());
  show("setpriority(PRIO_PROCESS, 0, 40): clamped", setpriority(PRIO_PROCESS, 0, 40));
  show("  getpriority", prio());
  show("getpriority(PRIO_PROCESS, getpid())", getpriority(PRIO_PROCESS, getpid()));
  /* the lowest nice of the group's or the user's threads: at most the caller's 19 (others are the machine's) */
  int pg = getpriority(PRIO_PGRP, 0), us = getpriority(PRIO_USER, 0);
  printf("getpriority(PRIO_PGRP, 0) and (PRIO_USER, 0) at most the caller's: %d %d\n", pg <= 19, us <= 19);
  show("getpriority(PRIO_PROCESS, a pid nobody has)", getpriority(PRIO_PROCESS, 0x3ffffff0));
  show("setpriority(PRIO_PROCESS, a pid nobody has, 1)", setpriority(PRIO_PROCESS, 0x3ffffff0, 1));
  show("getpriority(which 9)", getpriority(9, 0));
  setpriority(PRIO_PROCESS, 0, 3);

  struct sched_param sp = {.sched_priority = 10};
  show("sched_getscheduler(0)", sched_getscheduler(0));
  show("sched_setscheduler(0, SCHED_FIFO, 10)", sched_setscheduler(0, SCHED_FIFO, &sp));
  show("  sched_getscheduler", sched_getscheduler(0));
  memset(&sp, 0, sizeof sp);
  sched_getparam(0, &sp);
  printf("  sched_getparam: %d\n", sp.sched_priority);
  sp.sched_priority = 20;
  show("sched_setparam(0, 20)", sched_setparam(0, &sp));
  sched_getparam(0, &sp);
  printf("  sched_getparam: %d, policy still FIFO: %d\n", sp.sched_priority, sched_getscheduler(0) == SCHED_FIFO);

  pthread_t th;
  pthread_create(&th, NULL, child, NULL);
  pthread_join(th, NULL);
  printf("a new thread starts with its creator's nice %d, policy FIFO %d, priority %d; its own setpriority 15 -> %d; main's still %d\n",
         child_nice_at_start, child_policy_at_start == SCHED_FIFO, child_prio_at_start, child_nice_set, prio());

  int policy = -1;
  sp.sched_priority = 5;
  printf("pthread_setschedparam(self, SCHED_RR, 5): %s\n", ename(pthread_setschedparam(pthread_self(), SCHED_RR, &sp)));
  memset(&sp, 0, sizeof sp);
  pthread_getschedparam(pthread_self(), &policy, &sp);
  printf("  pthread_getschedparam: RR %d, %d\n", policy == SCHED_RR, sp.sched_priority);
  printf("pthread_setschedprio(self, 7): %s\n", ename(pthread_setschedprio(pthread_self(), 7)));
  pthread_getschedparam(pthread_self(), &policy, &sp);
  printf("  pthread_getschedparam: RR %d, %d\n", policy == SCHED_RR, sp.sched_priority);

  sp.sched_priority = 0;
  show("sched_setscheduler(SCHED_FIFO, 0)", sched_setscheduler(0, SCHED_FIFO, &sp));
  sp.sched_priority = 100;
  show("sched_setscheduler(SCHED_FIFO, 100)", sched_setscheduler(0, SCHED_FIFO, &sp));
  sp.sched_priority = 5;
  show("sched_setscheduler(SCHED_OTHER, 5)", sched_setscheduler(0, SCHED_OTHER, &sp));
  show("sched_setscheduler(policy 99)", sched_setscheduler(0, 99, &sp));
  show("sched_setscheduler(a pid nobody has)", sched_setscheduler(0x3ffffff0, SCHED_FIFO, &sp));
  show("sched_getscheduler(-1)", sched_getscheduler(-1));
  printf("pthread_setschedparam(self, SCHED_FIFO, 0): %s\n", ename(pthread_setschedparam(pthread_self(), SCHED_FIFO, &(struct sched_param){0})));
  sp.sched_priority = 0;
  show("back to SCHED_OTHER", sched_setscheduler(0, SCHED_OTHER, &sp));
  show("  sched_getscheduler", sched_getscheduler(0));
  return 0;
}
