/*
 * Real-time scheduling policies on one CPU (differential: threads.test.ts compares this output
 * with the same program's on Linux, run as root). Every thread is pinned to CPU 0 (the kernel
 * thread here); each case records the order in which threads reach points of their code into
 * a log without syscalls, and prints it.
 *
 * 1. Threads created with PTHREAD_EXPLICIT_SCHED by a SCHED_FIFO 50 main start when main waits,
 *    highest priority first, each running to its end; SCHED_OTHER last.
 * 2. A SCHED_FIFO waiter runs as soon as a SCHED_OTHER thread wakes it (sem_post).
 * 3. SCHED_FIFO threads of one priority take turns at sched_yield. (Both were made at main's
 *    priority and lowered before they ran: a lowered thread goes to the head of its new
 *    priority's list (sched(7)), so the second made runs first.)
 * 4. A SCHED_FIFO thread made while a SCHED_OTHER one computes runs at once and to its end: it
 *    is not time-sliced against the other, which goes on afterwards.
 * 5. Raising a ready thread above the running one (pthread_setschedparam) runs it at once.
 * 6. pthread_create gives the new thread the attributes' policy; the attributes refuse a
 *    priority out of their policy's range (EINVAL).
 * 7. Case 5 with a thread that has started (preempted by main's wake-up): it moves to its new
 *    priority's tail and runs at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "order_log.h"


static void *work(void *arg) {
  char s[16];
  snprintf(s, sizeof s, "%s+", (const char *)arg);
  note(s);
  spin_ms(20);
  snprintf(s, sizeof s, "%s-", (const char *)arg);
  note(s);
  return NULL;
}

static void *yielder(void *arg) {
  char s[16];
  for (int i = 1; i <= 3; i++) {
    snprintf(s, sizeof s, "%s%d", (const char *)arg, i);
    note(s);
    sched_yield();
  }
  return NULL;
}

static sem_t sem;
static void *waiter(void *arg) {
  (void)arg;
  sem_wait(&sem);
  note("H-woke");
  return NULL;
}

static int spawn(pthread_t *t, int policy, int prio, void *(*fn)(void *), const char *name) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
  pthread_attr_setschedpolicy(&a, policy);
  struct sched_param sp = { .sched_priority = prio };
  pthread_attr_setschedparam(&a, &sp);
  int e = pthread_create(t, &a, fn, (void *)name);
  pthread_attr_destroy(&a);
  return e;
}

static void set_self(int policy, int prio) {
  struct sched_param sp = { .sched_priority = prio };
  int e = pthread_setschedparam(pthread_self(), policy, &sp);
  if (e) printf("pthread_setschedparam(self, %d, %d): %s\n", policy, prio, strerror(e));
}

int main(void) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  printf("sched_setaffinity {0}: %d\n", sched_setaffinity(0, sizeof one, &one));
  pthread_t t[4];

  set_self(SCHED_FIFO, 50);
  int e0 = spawn(&t[0], SCHED_FIFO, 10, work, "A"), e1 = spawn(&t[1], SCHED_FIFO, 20, work, "B");
  int e2 = spawn(&t[2], SCHED_RR, 30, work, "C"), e3 = spawn(&t[3], SCHED_OTHER, 0, work, "D");
  printf("spawned: %d %d %d %d\n", e0, e1, e2, e3);
  note("main");
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  flush("1 priority order");

  set_self(SCHED_OTHER, 0);
  sem_init(&sem, 0, 0);
  spawn(&t[0], SCHED_FIFO, 20, waiter, "H");
  spin_ms(10); /* H waits on the semaphore by now */
  note("post");
  sem_post(&sem);
  note("after-post");
  pthread_join(t[0], NULL);
  flush("2 wake preemption");

  set_self(SCHED_FIFO, 50);
  spawn(&t[0], SCHED_FIFO, 10, yielder, "X");
  spawn(&t[1], SCHED_FIFO, 10, yielder, "Y");
  pthread_join(t[0], NULL);
  pthread_join(t[1], NULL);
  flush("3 yields at one priority");

  set_self(SCHED_OTHER, 0);
  spawn(&t[0], SCHED_OTHER, 0, work, "N");
  struct timespec nap = { 0, 5 * 1000000L };
  nanosleep(&nap, NULL); /* N computes meanwhile */
  spawn(&t[1], SCHED_FIFO, 10, work, "F");
  pthread_join(t[0], NULL);
  pthread_join(t[1], NULL);
  flush("4 no time slice");

  set_self(SCHED_FIFO, 50);
  spawn(&t[0], SCHED_FIFO, 10, work, "R");
  note("raise");
  struct sched_param sp = { .sched_priority = 60 };
  printf("raise R to 60: %d\n", pthread_setschedparam(t[0], SCHED_FIFO, &sp));
  note("after-raise");
  pthread_join(t[0], NULL);
  flush("5 raised above the caller");

  /* Still SCHED_FIFO 50: Q has not run when its attributes are read. */
  int policy = -1;
  struct sched_param got = { 0 };
  spawn(&t[0], SCHED_RR, 7, work, "Q");
  pthread_getschedparam(t[0], &policy, &got);
  printf("6 new thread: policy %s priority %d\n", policy == SCHED_RR ? "SCHED_RR" : policy == SCHED_FIFO ? "SCHED_FIFO" : "other", got.sched_priority);
  pthread_join(t[0], NULL);
  atomic_store(&logpos, 0);
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setschedpolicy(&a, SCHED_FIFO);
  for (int prio = 0; prio <= 100; prio += 50) {
    struct sched_param bad = { .sched_priority = prio };
    int e = pthread_attr_setschedparam(&a, &bad);
    printf("6 SCHED_FIFO attributes, priority %d: %s\n", prio, e == 0 ? "0" : e == EINVAL ? "EINVAL" : strerror(e));
  }
  pthread_attr_setschedpolicy(&a, SCHED_OTHER);
  struct sched_param p1 = { .sched_priority = 1 };
  printf("6 SCHED_OTHER attributes, priority 1: %s\n", pthread_attr_setschedparam(&a, &p1) == EINVAL ? "EINVAL" : "0");
  pthread_attr_destroy(&a);

  set_self(SCHED_FIFO, 50);
  spawn(&t[0], SCHED_FIFO, 10, work, "S");
  nanosleep(&nap, NULL); /* S started and computes; main's wake-up preempts it */
  note("raise");
  printf("raise S to 60: %d\n", pthread_setschedparam(t[0], SCHED_FIFO, &sp));
  note("after-raise");
  pthread_join(t[0], NULL);
  flush("7 a started thread raised above the caller");
  set_self(SCHED_OTHER, 0);
  return 0;
}
