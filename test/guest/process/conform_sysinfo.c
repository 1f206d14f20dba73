/*
 * sysinfo(2), which wasix-libc declares without defining (programs that called it did not link);
 * sdk/libc/sysinfo.c asks the kernel (occlum.sysinfo). The numbers differ between machines, so
 * this prints facts that hold on Linux and in the LibOS: the memory fields against each other and
 * against /proc/meminfo, uptime against /proc/uptime and the clock, procs counting the tasks this
 * program adds (two threads; a child, also while it is a zombie), EFAULT for bad pointers.
 * test/libos/process/conform-sysinfo.test.ts holds what Linux prints. With an argument "raw" it
 * prints the numbers instead, for the test to compare with the kernel's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *yes(int c) { return c ? "yes" : "no"; }

static const char *en(int e) { return e == 0 ? "0" : e == EFAULT ? "EFAULT" : e == EINVAL ? "EINVAL" : "E?"; }

/* A /proc/meminfo line's value in kB (-1: missing). */
static long long meminfo_kb(const char *key) {
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return -1;
  char line[256];
  long long v = -1;
  size_t n = strlen(key);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, key, n) && line[n] == ':') { v = atoll(line + n + 1); break; }
  fclose(f);
  return v;
}

static double proc_uptime(void) {
  FILE *f = fopen("/proc/uptime", "r");
  double up = -1;
  if (f) {
    if (fscanf(f, "%lf", &up) != 1) up = -1;
    fclose(f);
  }
  return up;
}

static unsigned long long procs_now(void) {
  struct sysinfo si;
  return sysinfo(&si) == 0 ? si.procs : 0;
}

static pthread_barrier_t gate;

static void *parked(void *arg) {
  (void)arg;
  pthread_barrier_wait(&gate); /* started */
  pthread_barrier_wait(&gate); /* released */
  return NULL;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Waits (up to 2 s) for procs to be `want`: a joined thread or a reaped child may leave the count a moment later. */
static int settles_at(unsigned long long want) {
  for (int i = 0; i < 200; i++) {
    if (procs_now() == want) return 1;
    sleep_ms(10);
  }
  return 0;
}

/*
 * On Linux procs counts every task of the machine, so other programs' threads may come and go
 * between two readings: each check is tried again (up to 20 times) until a reading is not
 * disturbed. In the LibOS the first try is the answer.
 */
static int threads_add_two(void) {
  for (int attempt = 0; attempt < 20; attempt++) {
    unsigned long long before = procs_now();
    pthread_t t[2];
    pthread_barrier_init(&gate, NULL, 3);
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, parked, NULL);
    pthread_barrier_wait(&gate);
    unsigned long long during = procs_now();
    pthread_barrier_wait(&gate);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&gate);
    int back = settles_at(before);
    if (during == before + 2 && back && during >= 3) return 1;
  }
  return 0;
}

/* A child that waits for its stdin to close, then exits 7. */
static int child_counts(const char *self) {
  for (int attempt = 0; attempt < 20; attempt++) {
    unsigned long long before = procs_now();
    int p[2];
    if (pipe(p)) return 0;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    char *args[] = {(char *)self, "child", NULL};
    pid_t c;
    int r = posix_spawn(&c, self, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[0]);
    if (r) { close(p[1]); return 0; }
    int running = settles_at(before + 1);
    close(p[1]);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, c, &si, WEXITED | WNOWAIT); /* a zombie now: still a task on Linux */
    unsigned long long zombie = procs_now();
    int st;
    waitpid(c, &st, 0);
    int back = settles_at(before);
    if (running && zombie == before + 1 && back && WIFEXITED(st) && WEXITSTATUS(st) == 7) return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "child")) {
    char b;
    while (read(0, &b, 1) > 0) {}
    return 7;
  }
  struct sysinfo si;
  memset(&si, 0xff, sizeof si);
  int r = sysinfo(&si);
  if (argc > 1 && !strcmp(argv[1], "raw")) {
    printf("%d %lu %lu %lu %u %u\n", r, si.uptime, si.totalram, si.freeram, si.mem_unit, (unsigned)si.procs);
    return 0;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("sysinfo: %d\n", r);
  unsigned long long unit = si.mem_unit;
  printf("mem_unit: %llu\n", unit);
  long long total_kb = meminfo_kb("MemTotal");
  printf("totalram * mem_unit = /proc/meminfo MemTotal: %s\n", yes(total_kb > 0 && si.totalram * unit == (unsigned long long)total_kb * 1024));
  printf("0 < freeram <= totalram: %s\n", yes(si.freeram > 0 && si.freeram <= si.totalram));
  printf("sharedram, bufferram <= totalram: %s\n", yes(si.sharedram <= si.totalram && si.bufferram <= si.totalram));
  printf("freeswap <= totalswap: %s\n", yes(si.freeswap <= si.totalswap));
  printf("totalhigh %lu freehigh %lu\n", si.totalhigh, si.freehigh);
  printf("procs >= 1: %s\n", yes(si.procs >= 1));

  double up = proc_uptime();
  memset(&si, 0, sizeof si);
  sysinfo(&si);
  /* Linux rounds a partial second up; /proc/uptime shows hundredths. */
  printf("uptime >= 1 and /proc/uptime's (rounded up): %s\n", yes(up >= 0 && si.uptime >= 1 && si.uptime >= (unsigned long)up && si.uptime <= (unsigned long)up + 2));
  unsigned long u0 = si.uptime;
  sleep_ms(1100);
  sysinfo(&si);
  printf("uptime after 1.1 s grew by 1 or 2: %s\n", yes(si.uptime - u0 >= 1 && si.uptime - u0 <= 2));

  printf("two threads add two to procs, joined they leave: %s\n", yes(threads_add_two()));
  printf("a child adds one, also as a zombie, reaped it leaves: %s\n", yes(child_counts(argv[0])));

  errno = 0;
  r = sysinfo(NULL);
  printf("sysinfo(NULL): %d %s\n", r, en(errno));
  errno = 0;
  r = sysinfo((struct sysinfo *)-8);
  printf("sysinfo(-8): %d %s\n", r, en(errno));
  long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
  sysinfo(&si);
  printf("sysconf(_SC_PHYS_PAGES) * pagesize = totalram * mem_unit: %s\n", yes(pages > 0 && (unsigned long long)pages * psz == si.totalram * (unsigned long long)si.mem_unit));
  return 0;
}
