/*
 * Threads in /proc: /proc/<pid>/task/<tid>/{comm,stat,status}, /proc/<pid>/comm, thread names
 * through pthread_setname_np, prctl(PR_SET_NAME) and writes to comm, /proc/thread-self. Prints one line per check;
 * test/libos/threads/conform-proc-task.test.ts compares it with what the same program prints on
 * Linux (gcc -O2 -pthread, glibc; built as "conform_proc_task", whose comm is its first 15 bytes).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static pid_t pid;
static pid_t tids[3];
static atomic_int ready, go;

static const char *who(long tid) {
  if (tid == tids[0]) return "main";
  if (tid == tids[1]) return "t1";
  if (tid == tids[2]) return "t2";
  return "another";
}

/* A file's content with newlines shown as \n. */
static const char *slurp(const char *path) {
  static char buf[4096];
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    snprintf(buf, sizeof buf, "open: %s", errno == ENOENT ? "ENOENT" : "E?");
    return buf;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n < 0 ? 0 : n] = 0;
  return buf;
}

static void show_comm(const char *label, const char *path) {
  const char *s = slurp(path);
  printf("%s: \"", label);
  for (; *s; s++) {
    if (*s == '\n') printf("\\n");
    else putchar(*s);
  }
  printf("\"\n");
}

/* The field's value copied into `val` (each caller its own buffer: slurp's is shared). */
static const char *status_field(const char *path, const char *key, char *val, size_t len) {
  const char *s = slurp(path);
  const char *p = strstr(s, key);
  if (!p) return "(none)";
  p += strlen(key);
  while (*p == ':' || *p == '\t' || *p == ' ') p++;
  size_t n = strcspn(p, "\n");
  snprintf(val, len, "%.*s", (int)n, p);
  return val;
}

/* Field `k` (1-based) of a stat line, the comm in parentheses counting as one. */
static const char *stat_field(const char *path, int k, char *val, size_t len) {
  const char *s = slurp(path);
  const char *close_paren = strrchr(s, ')');
  if (k == 1) {
    snprintf(val, len, "%.*s", (int)strcspn(s, " "), s);
    return val;
  }
  if (k == 2) {
    const char *open_paren = strchr(s, '(');
    snprintf(val, len, "%.*s", (int)(close_paren - open_paren + 1), open_paren);
    return val;
  }
  const char *p = close_paren + 2;
  for (int i = 3; i < k; i++) p = strchr(p, ' ') + 1;
  snprintf(val, len, "%.*s", (int)strcspn(p, " \n"), p);
  return val;
}

/* Whether /proc/thread-self links to "<pid>/task/<tid>" for the calling thread. */
static int thread_self_ok(void) {
  char link[64] = {0}, want[64];
  snprintf(want, sizeof want, "%d/task/%d", pid, gettid());
  return readlink("/proc/thread-self", link, sizeof link - 1) == (ssize_t)strlen(want) && strcmp(link, want) == 0;
}

static int self_link_ok[3];
static char self_comm[3][32];
static void *thread_main(void *arg) {
  long i = (long)arg;
  tids[i] = gettid();
  atomic_fetch_add(&ready, 1);
  while (!atomic_load(&go)) usleep(1000);
  self_link_ok[i] = thread_self_ok();
  /* Not slurp: its buffer is shared, and main reads other files meanwhile. */
  int fd = open("/proc/thread-self/comm", O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, self_comm[i], sizeof self_comm[i] - 1);
  if (fd >= 0) close(fd);
  if (n < 0) snprintf(self_comm[i], sizeof self_comm[i], "open or read: -1");
  return NULL;
}

static void write_comm(const char *path, const char *s) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) {
    printf("open %s for writing: -1 %s\n", path, errno == EACCES ? "EACCES" : "E?");
    return;
  }
  ssize_t n = write(fd, s, strlen(s));
  printf("write %zu bytes: %zd\n", strlen(s), n);
  close(fd);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pid = getpid();
  tids[0] = gettid();
  pthread_t th[3];
  for (long i = 1; i < 3; i++) pthread_create(&th[i], NULL, thread_main, (void *)i);
  while (atomic_load(&ready) < 2) usleep(1000);
  printf("pthread_setname_np(t1, \"worker-a\"): %d\n", pthread_setname_np(th[1], "worker-a"));
  printf("pthread_setname_np, 16 bytes: %s\n", pthread_setname_np(th[1], "0123456789abcdef") == ERANGE ? "ERANGE" : "?");

  /* The task directory lists every thread. */
  DIR *d = opendir("/proc/self/task");
  int n = 0, mains = 0, others = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    n++;
    long tid = atol(e->d_name);
    if (tid == pid) mains++;
    else if (tid == tids[1] || tid == tids[2]) others++;
  }
  closedir(d);
  printf("/proc/self/task: %d entries, main's tid %d time(s), the two others %d\n", n, mains, others);
  char path[128];
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", pid, tids[i]);
    char label[64];
    snprintf(label, sizeof label, "task %s comm", who(tids[i]));
    show_comm(label, path);
    char a[64], b[64], c[64], e[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", tids[i]);
    status_field(path, "Name", a, sizeof a);
    status_field(path, "Tgid", b, sizeof b);
    status_field(path, "Pid", c, sizeof c);
    status_field(path, "Threads", e, sizeof e);
    printf("  status: Name %s, Tgid is the pid %d, Pid is its tid %d, Threads %s\n", a, atol(b) == pid, atol(c) == tids[i], e);
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[i]);
    stat_field(path, 1, a, sizeof a);
    stat_field(path, 2, b, sizeof b);
    stat_field(path, 20, c, sizeof c);
    printf("  stat: pid field is its tid %d, comm %s, num_threads %s\n", atol(a) == tids[i], b, c);
  }
  show_comm("/proc/self/comm", "/proc/self/comm");
  /*
   * CPU time (utime, field 14, in hundredths of a second) after 150 ms of computing: of wall time
   * and of the thread's CPU time (a loaded machine only makes it take longer).
   */
  struct timespec t0, t1, c0, c1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
  volatile unsigned long spin = 0;
  for (;;) {
    for (int i = 0; i < 100000; i++) spin++;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 150 &&
        (c1.tv_sec - c0.tv_sec) * 1000 + (c1.tv_nsec - c0.tv_nsec) / 1000000 >= 150) break;
  }
  char u1[32], u2[32], u3[32];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", pid);
  stat_field(path, 14, u1, sizeof u1);
  stat_field("/proc/self/stat", 14, u2, sizeof u2);
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[1]);
  stat_field(path, 14, u3, sizeof u3);
  printf("utime after 150 ms of computing, main's and the process's at least 0.1 s: %d %d, t1's (waiting) below: %d\n", atol(u1) >= 10,
         atol(u2) >= 10, atol(u3) < 10);
  char f[64];
  printf("/proc/self/stat num_threads: %s\n", stat_field("/proc/self/stat", 20, f, sizeof f));
  snprintf(path, sizeof path, "/proc/self/task/%d", 0x3ffffff0);
  printf("a task nobody has: %s\n", slurp(path));

  /* prctl(PR_SET_NAME / PR_GET_NAME) names the calling thread; main's name is the process's. */
  printf("prctl(PR_SET_NAME, \"mainly\"): %d\n", prctl(PR_SET_NAME, "mainly", 0, 0, 0));
  char name[32] = {0};
  printf("prctl(PR_GET_NAME): %d \"%s\"\n", prctl(PR_GET_NAME, name, 0, 0, 0), name);
  show_comm("/proc/self/comm", "/proc/self/comm");
  printf("/proc/self/status Name: %s\n", status_field("/proc/self/status", "Name", f, sizeof f));
  printf("/proc/self/stat comm: %s\n", stat_field("/proc/self/stat", 2, f, sizeof f));
  printf("prctl(PR_SET_NAME, 20 bytes): %d\n", prctl(PR_SET_NAME, "abcdefghijklmnopqrst", 0, 0, 0));
  show_comm("/proc/self/comm", "/proc/self/comm");

  /* Writing a thread's comm renames it; pthread_getname_np reads it back. */
  snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[2]);
  write_comm(path, "renamed");
  char got[16] = {0};
  printf("pthread_getname_np(t2): %d \"%s\"\n", pthread_getname_np(th[2], got, sizeof got), got);
  write_comm(path, "a-name-of-twenty-two!!");
  show_comm("task t2 comm", path);
  write_comm(path, "nl\n");
  show_comm("task t2 comm", path);
  printf("pthread_getname_np(t1), 8-byte buffer: %s\n", pthread_getname_np(th[1], got, 8) == ERANGE ? "ERANGE" : "?");

  printf("main: /proc/thread-self is \"<pid>/task/<tid>\": %d\n", thread_self_ok());
  show_comm("main: /proc/thread-self/comm", "/proc/thread-self/comm");
  char tsf[64];
  printf("main: /proc/thread-self/stat pid field is its tid: %d\n", atol(stat_field("/proc/thread-self/stat", 1, tsf, sizeof tsf)) == gettid());
  atomic_store(&go, 1);
  pthread_join(th[1], NULL);
  snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[1]);
  printf("t1 joined, its comm: %s\n", slurp(path));
  pthread_join(th[2], NULL);
  for (int i = 1; i < 3; i++) {
    printf("t%d: /proc/thread-self is \"<pid>/task/<tid>\": %d, its comm: ", i, self_link_ok[i]);
    for (const char *c = self_comm[i]; *c; c++) printf(*c == '\n' ? "\\n" : "%c", *c);
    printf("\n");
  }
  /* t2 ended before its join began: a thread on a vCPU worker may be listed for a moment after
     that (sdk/README.md, threads.c); t1's join above is the immediate case. */
  usleep(50000);
  d = opendir("/proc/self/task");
  n = 0;
  for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
  closedir(d);
  printf("/proc/self/task after the joins: %d entries\n", n);
  return 0;
}
