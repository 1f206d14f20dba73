/*
 * syscall(SYS_..., ...) for the thread and process calls ported Linux code makes directly (thread
 * ids, signals to one thread (and pthread_sigqueue's with a value), affinity, the CPU, random
 * bytes, clocks): prints one line per check;
 * test/libos/threads/conform-syscall.test.ts compares it with what the same program prints on
 * Linux (gcc -O2 -pthread, glibc). Values that differ by machine (pids, CPU counts, mask sizes)
 * are printed as the facts that hold on both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e) {
  switch (e) {
    case EAGAIN: return "EAGAIN";
    case EINVAL: return "EINVAL";
    case EINTR: return "EINTR";
    case ENOSYS: return "ENOSYS";
    case EFAULT: return "EFAULT";
    case ESRCH: return "ESRCH";
    case EPERM: return "EPERM";
    default: return "E?";
  }
}

static void show(const char *what, long r) {
  if (r < 0) printf("%s: -1 %s\n", what, ename(errno));
  else printf("%s: %ld\n", what, r);
}

static atomic_int got_usr1;
static atomic_long usr1_tid;
static void on_usr1(int sig) {
  (void)sig;
  atomic_fetch_add(&got_usr1, 1);
  atomic_store(&usr1_tid, (long)gettid());
}

static atomic_int usr2_code, usr2_value;
static atomic_long usr2_tid;
static void on_usr2(int sig, siginfo_t *si, void *ctx) {
  (void)sig, (void)ctx;
  atomic_store(&usr2_code, si->si_code);
  atomic_store(&usr2_value, si->si_value.sival_int);
  atomic_store(&usr2_tid, (long)gettid());
}

static atomic_long other_tid;
static atomic_int other_go;
static void *other(void *arg) {
  (void)arg;
  atomic_store(&other_tid, syscall(SYS_gettid));
  while (!atomic_load(&other_go)) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("SYS_getpid is getpid(): %d\n", syscall(SYS_getpid) == getpid());
  printf("SYS_getppid is getppid(): %d\n", syscall(SYS_getppid) == getppid());
  printf("SYS_gettid in main is the pid: %d\n", syscall(SYS_gettid) == getpid());
  printf("SYS_getuid/geteuid/getgid/getegid are the libc's: %d\n",
         syscall(SYS_getuid) == getuid() && syscall(SYS_geteuid) == geteuid() && syscall(SYS_getgid) == getgid() &&
             syscall(SYS_getegid) == getegid());
  show("SYS_sched_yield", syscall(SYS_sched_yield));

  /* Signals to one thread: tgkill/tkill. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  pthread_t th;
  pthread_create(&th, NULL, other, NULL);
  while (atomic_load(&other_tid) == 0) sched_yield();
  long tid = atomic_load(&other_tid);
  printf("the other thread's tid differs from main's: %d\n", tid != syscall(SYS_gettid));
  show("tgkill(pid, tid, 0)", syscall(SYS_tgkill, getpid(), tid, 0));
  show("tgkill(pid, tid, SIGUSR1)", syscall(SYS_tgkill, getpid(), tid, SIGUSR1));
  for (int i = 0; i < 2000 && atomic_load(&got_usr1) == 0; i++) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  printf("  handled %d, by the other thread: %d\n", atomic_load(&got_usr1), atomic_load(&usr1_tid) == tid);
  atomic_store(&got_usr1, 0);
  show("tkill(own tid, SIGUSR1)", syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR1));
  printf("  handled before it returned %d, by main: %d\n", atomic_load(&got_usr1), atomic_load(&usr1_tid) == getpid());
  struct sigaction sa2;
  memset(&sa2, 0, sizeof sa2);
  sa2.sa_sigaction = on_usr2;
  sa2.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR2, &sa2, NULL);
  union sigval sv = {.sival_int = 77};
  printf("pthread_sigqueue(the other thread, SIGUSR2, 77): %d\n", pthread_sigqueue(th, SIGUSR2, sv));
  for (int i = 0; i < 2000 && atomic_load(&usr2_tid) == 0; i++) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  printf("  taken by that thread: %d, SI_QUEUE: %d, value 77: %d\n", atomic_load(&usr2_tid) == tid, atomic_load(&usr2_code) == SI_QUEUE,
         atomic_load(&usr2_value) == 77);
  printf("pthread_sigqueue, signal 65: %s\n", pthread_sigqueue(th, 65, sv) == EINVAL ? "EINVAL" : "?");
  show("tgkill(another tgid, tid, 0)", syscall(SYS_tgkill, getpid() + 100000, tid, 0));
  show("tgkill(0, tid, 0)", syscall(SYS_tgkill, 0, tid, 0));
  show("tgkill(pid, 0, 0)", syscall(SYS_tgkill, getpid(), 0, 0));
  show("tgkill(pid, -1, 0)", syscall(SYS_tgkill, getpid(), -1, 0));
  show("tgkill(pid, tid, 65)", syscall(SYS_tgkill, getpid(), tid, 65));
  show("tgkill(pid, tid, -1)", syscall(SYS_tgkill, getpid(), tid, -1));
  show("tkill(0, 0)", syscall(SYS_tkill, 0, 0));
  show("tkill(a tid nobody has, 0)", syscall(SYS_tkill, 0x3ffffff0, 0));
  show("tkill(a tid nobody has, 65)", syscall(SYS_tkill, 0x3ffffff0, 65));
  atomic_store(&other_go, 1);
  pthread_join(th, NULL);
  show("tkill(an ended thread's tid, 0)", syscall(SYS_tkill, tid, 0));

  /* Affinity: the raw calls return the kernel's mask size in bytes (getaffinity) and 0. */
  cpu_set_t set;
  CPU_ZERO(&set);
  long n = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
  printf("sched_getaffinity: a positive multiple of sizeof(long), at most the buffer: %d; CPUs in it: %d\n",
         n > 0 && n % sizeof(long) == 0 && n <= (long)sizeof set, CPU_COUNT(&set) >= 1);
  show("sched_getaffinity, 1 byte", syscall(SYS_sched_getaffinity, 0, 1, &set));
  show("sched_getaffinity, a pid nobody has", syscall(SYS_sched_getaffinity, 0x3ffffff0, sizeof set, &set));
  show("sched_setaffinity of that mask", syscall(SYS_sched_setaffinity, 0, sizeof set, &set));
  cpu_set_t none;
  CPU_ZERO(&none);
  show("sched_setaffinity, empty mask", syscall(SYS_sched_setaffinity, 0, sizeof none, &none));
  unsigned cpu = 12345, node = 12345;
  show("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
  printf("  cpu is sched_getcpu(): %d, node %u\n", (int)cpu == sched_getcpu(), node);
  show("getcpu, NULL pointers", syscall(SYS_getcpu, NULL, NULL, NULL));

  /* Random bytes. */
  unsigned char buf[64];
  memset(buf, 0, sizeof buf);
  show("getrandom 64", syscall(SYS_getrandom, buf, sizeof buf, 0));
  int nonzero = 0;
  for (size_t i = 0; i < sizeof buf; i++) nonzero += buf[i] != 0;
  printf("  some bytes set: %d\n", nonzero > 32);
  show("getrandom GRND_NONBLOCK", syscall(SYS_getrandom, buf, 16, GRND_NONBLOCK));
  show("getrandom GRND_RANDOM", syscall(SYS_getrandom, buf, 16, GRND_RANDOM));
  show("getrandom GRND_INSECURE", syscall(SYS_getrandom, buf, 16, GRND_INSECURE));
  show("getrandom GRND_RANDOM|GRND_INSECURE", syscall(SYS_getrandom, buf, 16, GRND_RANDOM | GRND_INSECURE));
  show("getrandom, flag 8", syscall(SYS_getrandom, buf, 16, 8));
  show("getrandom 0 bytes", syscall(SYS_getrandom, buf, 0, 0));

  /* Clocks and sleeps: the raw calls fail with -1 and errno. */
  struct timespec ts, res;
  show("clock_gettime(CLOCK_MONOTONIC)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts));
  show("clock_gettime(clock 99)", syscall(SYS_clock_gettime, 99, &ts));
  show("clock_getres(CLOCK_REALTIME)", syscall(SYS_clock_getres, CLOCK_REALTIME, &res));
  printf("  resolution at most 1 ms: %d\n", res.tv_sec == 0 && res.tv_nsec <= 1000000);
  struct timespec d = {0, 2000000}, bad = {0, 1000000000L};
  show("nanosleep 2 ms", syscall(SYS_nanosleep, &d, NULL));
  show("nanosleep, tv_nsec 1e9", syscall(SYS_nanosleep, &bad, NULL));
  show("clock_nanosleep 2 ms", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &d, NULL));
  show("clock_nanosleep, tv_nsec 1e9", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL));
  show("clock_nanosleep, clock 99", syscall(SYS_clock_nanosleep, 99, 0, &d, NULL));
  clock_gettime(CLOCK_MONOTONIC, &ts);
  show("clock_nanosleep TIMER_ABSTIME, a time past", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL));
  fflush(stdout);
  syscall(SYS_exit_group, 3);
  printf("not reached\n");
  return 0;
}
