/*
 * getrusage: the CPU time of the process (RUSAGE_SELF), of the calling thread (RUSAGE_THREAD) and
 * of the children it has waited for (RUSAGE_CHILDREN), and maxrss. Prints facts that hold on any
 * machine (times against what was computed); test/libos/threads/conform-rusage.test.ts compares
 * them with what the same program prints on Linux (gcc -O2 -pthread, glibc).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Compute until the thread's CPU clock has gone `s` seconds on (a loaded machine only makes it
 * take longer), and for at least `s` seconds of wall time.
 */
static void compute(double s) {
  volatile unsigned long x = 0;
  double end = now_s() + s, cpu_end = thread_cpu_s() + s;
  while (now_s() < end || thread_cpu_s() < cpu_end)
    for (int i = 0; i < 100000; i++) x += i;
}

static void nap_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

static double secs(struct timeval tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

static int usage(int who, double *user, long *maxrss) {
  struct rusage ru;
  memset(&ru, 0xff, sizeof ru);
  int r = getrusage(who, &ru);
  if (r == 0) {
    if (ru.ru_utime.tv_usec < 0 || ru.ru_utime.tv_usec >= 1000000 || ru.ru_stime.tv_usec < 0 || ru.ru_stime.tv_usec >= 1000000) printf("  bad tv_usec\n");
    *user = secs(ru.ru_utime) + secs(ru.ru_stime);
    *maxrss = ru.ru_maxrss;
  }
  return r;
}

static double thread_cpu;
static void *worker(void *arg) {
  (void)arg;
  compute(0.1);
  long rss = -1;
  usage(RUSAGE_THREAD, &thread_cpu, &rss);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    compute(0.15);
    return 0;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  double cpu = -1, cpu2 = -1;
  long rss = -1;
  int r = usage(RUSAGE_CHILDREN, &cpu, &rss);
  printf("getrusage(RUSAGE_CHILDREN) before any child: %d, CPU %.3f s\n", r, cpu);
  compute(0.2);
  r = usage(RUSAGE_SELF, &cpu, &rss);
  printf("getrusage(RUSAGE_SELF) after 0.2 s of computing: %d, CPU at least 0.15 s: %d, maxrss > 0: %d\n", r, cpu >= 0.15, rss > 0);
  pthread_t th;
  pthread_create(&th, NULL, worker, NULL);
  pthread_join(th, NULL);
  printf("the thread's RUSAGE_THREAD after its 0.1 s: from 0.08 to 0.18 s: %d\n", thread_cpu >= 0.08 && thread_cpu < 0.18);
  usage(RUSAGE_THREAD, &cpu, &rss);
  usage(RUSAGE_SELF, &cpu2, &rss);
  printf("main's RUSAGE_THREAD from 0.15 to 0.28 s: %d; RUSAGE_SELF at least 0.25 s: %d\n", cpu >= 0.15 && cpu < 0.28, cpu2 >= 0.25);

  /* The process's CPU clock by id (clock_getcpuclockid), its own and a child's. */
  clockid_t own;
  struct timespec ts;
  r = clock_getcpuclockid(0, &own);
  clock_gettime(own, &ts);
  printf("clock_getcpuclockid(0): %d, its time at least RUSAGE_SELF's 0.25 s: %d\n", r, ts.tv_sec + ts.tv_nsec / 1e9 >= 0.25);
  clockid_t by_pid;
  r = clock_getcpuclockid(getpid(), &by_pid);
  printf("clock_getcpuclockid(getpid()): %d\n", r);
  printf("clock_getcpuclockid of a pid nobody has: %s\n", clock_getcpuclockid(0x3ffffff0, &by_pid) == ESRCH ? "ESRCH" : "?");

  pid_t pid;
  char *args[] = {argv[0], "child", NULL};
  int e = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ);
  printf("posix_spawn of a child that computes 0.15 s: %d\n", e);
  clockid_t child_clock;
  r = clock_getcpuclockid(pid, &child_clock);
  nap_s(0.1);
  clock_gettime(child_clock, &ts);
  printf("clock_getcpuclockid(child): %d, readable while it runs: %d\n", r, ts.tv_sec >= 0);
  nap_s(0.4);
  usage(RUSAGE_CHILDREN, &cpu, &rss);
  printf("RUSAGE_CHILDREN once it has ended, not yet waited for: %.3f s\n", cpu);
  int status;
  printf("waitpid: %d, exit %d\n", waitpid(pid, &status, 0) == pid, WEXITSTATUS(status));
  usage(RUSAGE_CHILDREN, &cpu, &rss);
  printf("RUSAGE_CHILDREN after the wait: at least 0.1 s: %d, maxrss > 0: %d\n", cpu >= 0.1, rss > 0);
  struct rusage ru;
  errno = 0;
  r = getrusage(5, &ru);
  printf("getrusage(5): %d %s\n", r, errno == EINVAL ? "EINVAL" : "?");
  return 0;
}
