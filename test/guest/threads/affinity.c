/*
 * CPU affinity over vCPUs (src/libos/syscall/occlum/sched-rows.ts): the CPUs are the vCPUs, 0 the
 * kernel thread and 1..N-1 its workers. argv[1]: "three" (3 vCPUs, affine placement), "spread"
 * (3 vCPUs, every new thread to a worker unless its mask says otherwise) or "one" (1 vCPU).
 * Prints one line per check; test/libos/threads/vcpu.test.ts holds what each mode prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *en(int e) {
  return e == 0 ? "0" : e == EINVAL ? "EINVAL" : e == ESRCH ? "ESRCH" : e == EFAULT ? "EFAULT" : "E?";
}

static void mask_of(const char *who, const cpu_set_t *s) {
  printf("%s: {", who);
  int first = 1;
  for (int i = 0; i < 8; i++)
    if (CPU_ISSET(i, s)) printf(first ? "%d" : ",%d", i), first = 0;
  printf("}\n");
}

static void set1(cpu_set_t *s, int cpu) {
  CPU_ZERO(s);
  CPU_SET(cpu, s);
}

static void *report(void *arg) {
  const char *name = arg;
  cpu_set_t s;
  sched_getaffinity(0, sizeof s, &s);
  int cpu = sched_getcpu();
  /* An unpinned thread that placement sends to a worker may get either one. */
  if (name[0] == '*') printf("%s runs on %s; ", name + 1, cpu == 0 ? "the kernel thread" : "a worker");
  else printf("%s runs on vCPU %d; ", name, cpu);
  mask_of("its mask", &s);
  return NULL;
}

/* A thread pinned by its creator right after pthread_create, before it first runs. */
static void pinned(const char *name, int cpu) {
  pthread_t t;
  cpu_set_t s;
  pthread_create(&t, NULL, report, (void *)name);
  set1(&s, cpu);
  printf("pthread_setaffinity_np(%s, {%d}): %s\n", name, cpu, en(pthread_setaffinity_np(t, sizeof s, &s)));
  cpu_set_t got;
  if (pthread_getaffinity_np(t, sizeof got, &got) == 0) mask_of("  pthread_getaffinity_np", &got);
  pthread_join(t, NULL);
}

static void plain(const char *name) {
  pthread_t t;
  pthread_create(&t, NULL, report, (void *)name);
  pthread_join(t, NULL);
}

static void set_self(const char *what, const cpu_set_t *s, size_t size) {
  errno = 0;
  int r = sched_setaffinity(0, size, s);
  printf("sched_setaffinity(0, %s): %d %s\n", what, r, r ? en(errno) : "");
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "three";
  cpu_set_t s, all;
  printf("main runs on vCPU %d\n", sched_getcpu());
  sched_getaffinity(0, sizeof all, &all);
  mask_of("main's mask", &all);
  printf("CPU_COUNT %d, sysconf %ld\n", CPU_COUNT(&all), sysconf(_SC_NPROCESSORS_ONLN));

  if (strcmp(mode, "one") != 0) {
    pinned("t1", 2);
    pinned("t2", 1);
    plain(strcmp(mode, "spread") == 0 ? "*t3 (spread)" : "*t3 (affine)");
    set1(&s, 0);
    set_self("{0}", &s, sizeof s);
    plain("t4, created by a thread pinned to 0");
    set1(&s, 1);
    set_self("{1}", &s, sizeof s);
    plain("t5, created by a thread pinned to 1");
    /* main itself does not move (a running thread stays on its vCPU): only its new threads do */
    printf("main still runs on vCPU %d\n", sched_getcpu());
    set_self("every vCPU", &all, sizeof all);
  } else {
    set1(&s, 0);
    set_self("{0}", &s, sizeof s);
    plain("t1");
  }

  /* errors */
  CPU_ZERO(&s);
  set_self("{}", &s, sizeof s);
  set1(&s, 7);
  set_self("{7} (offline)", &s, sizeof s);
  set1(&s, 0);
  set_self("{0}, 1 byte", &s, 1);
  printf("sched_setaffinity(99999): %s\n", en(sched_setaffinity(99999, sizeof s, &s) ? errno : 0));
  printf("sched_getaffinity(0, 2 bytes): %s\n", en(sched_getaffinity(0, 2, &s) ? errno : 0));
  printf("sched_getaffinity(gettid()): %s\n", en(sched_getaffinity(gettid(), sizeof s, &s) ? errno : 0));
  return 0;
}
