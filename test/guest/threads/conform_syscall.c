/*
 * syscall(SYS_..., ...) for the thread and process calls ported Linux code makes directly (thread
 * ids, signals to one thread (and pthread_sigqueue's with a value), affinity, the CPU, random
 * bytes, clocks, names, limits, usage, priorities and policies, timerfd, signalfd4, message
 * queues): prints one line per check;
 * test/libos/threads/conform-syscall.test.ts compares it with what the same program prints on
 * Linux (gcc -O2 -pthread, glibc). Values that differ by machine (pids, CPU counts, mask sizes)
 * are printed as the facts that hold on both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/sysinfo.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "../conform_errno.h"

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

  /* Names, limits, usage. */
  show("prctl(PR_SET_NAME, \"rawname\")", syscall(SYS_prctl, PR_SET_NAME, (unsigned long)"rawname", 0, 0, 0));
  char name[32] = {0};
  show("prctl(PR_GET_NAME)", syscall(SYS_prctl, PR_GET_NAME, (unsigned long)name, 0, 0, 0));
  printf("  name %s\n", name);
  show("prctl(option 9999)", syscall(SYS_prctl, 9999, 0, 0, 0, 0));
  struct sysinfo si;
  show("sysinfo", syscall(SYS_sysinfo, &si));
  printf("  some RAM, at least one process: %d\n", si.totalram > 0 && si.procs >= 1);
  struct rusage ru;
  show("getrusage(RUSAGE_SELF)", syscall(SYS_getrusage, RUSAGE_SELF, &ru));
  show("getrusage(who 7)", syscall(SYS_getrusage, 7, &ru));
  struct rlimit rl, old;
  show("getrlimit(RLIMIT_NOFILE)", syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl));
  printf("  soft at most hard: %d\n", rl.rlim_cur <= rl.rlim_max);
  struct rlimit lower = {64, rl.rlim_max};
  show("setrlimit(RLIMIT_NOFILE, soft 64)", syscall(SYS_setrlimit, RLIMIT_NOFILE, &lower));
  show("prlimit64(0, RLIMIT_NOFILE, NULL, &old)", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &old));
  printf("  soft %ld\n", (long)old.rlim_cur);
  struct rlimit inverted = {rl.rlim_max, 1};
  show("setrlimit, soft above hard", syscall(SYS_setrlimit, RLIMIT_NOFILE, &inverted));
  show("getrlimit(resource 99)", syscall(SYS_getrlimit, 99, &rl));
  show("prlimit64(a pid nobody has)", syscall(SYS_prlimit64, 0x3ffffff0, RLIMIT_NOFILE, NULL, &old));

  /* Priorities and policies: raw getpriority returns 20 - nice. */
  show("getpriority(PRIO_PROCESS, 0)", syscall(SYS_getpriority, PRIO_PROCESS, 0));
  show("setpriority(PRIO_PROCESS, 0, 5)", syscall(SYS_setpriority, PRIO_PROCESS, 0, 5));
  show("getpriority after nice 5", syscall(SYS_getpriority, PRIO_PROCESS, 0));
  show("getpriority(which 9)", syscall(SYS_getpriority, 9, 0));
  show("getpriority(a pid nobody has)", syscall(SYS_getpriority, PRIO_PROCESS, 0x3ffffff0));
  show("sched_getscheduler(0)", syscall(SYS_sched_getscheduler, 0));
  struct sched_param sp = {0};
  show("sched_getparam(0)", syscall(SYS_sched_getparam, 0, &sp));
  printf("  priority %d\n", sp.sched_priority);
  show("sched_setscheduler(0, SCHED_BATCH)", syscall(SYS_sched_setscheduler, 0, SCHED_BATCH, &sp));
  show("sched_getscheduler after", syscall(SYS_sched_getscheduler, 0));
  show("sched_setparam(0, priority 0)", syscall(SYS_sched_setparam, 0, &sp));
  struct sched_param high = {.sched_priority = 5};
  show("sched_setparam(0, priority 5) under SCHED_BATCH", syscall(SYS_sched_setparam, 0, &high));
  show("sched_setscheduler(0, policy 99)", syscall(SYS_sched_setscheduler, 0, 99, &sp));
  show("sched_getscheduler(a pid nobody has)", syscall(SYS_sched_getscheduler, 0x3ffffff0));

  /* timerfd and signalfd4. */
  long tfd = syscall(SYS_timerfd_create, CLOCK_MONOTONIC, TFD_CLOEXEC);
  printf("timerfd_create: a descriptor: %d\n", tfd >= 0);
  struct itimerspec its = {{0, 0}, {0, 3000000}}, cur;
  show("timerfd_settime 3 ms", syscall(SYS_timerfd_settime, tfd, 0, &its, NULL));
  show("timerfd_gettime", syscall(SYS_timerfd_gettime, tfd, &cur));
  printf("  armed, at most 3 ms: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 3000000);
  uint64_t ticks = 0;
  long got = read((int)tfd, &ticks, sizeof ticks);
  printf("  read: %ld, ticks %llu\n", got, (unsigned long long)ticks);
  show("timerfd_settime, flags 99", syscall(SYS_timerfd_settime, tfd, 99, &its, NULL));
  show("timerfd_create(clock 99)", syscall(SYS_timerfd_create, 99, 0));
  show("timerfd_gettime(fd 999)", syscall(SYS_timerfd_gettime, 999, &cur));
  close((int)tfd);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  long sfd = syscall(SYS_signalfd4, -1, &mask, 8, 0);
  printf("signalfd4: a descriptor: %d\n", sfd >= 0);
  raise(SIGUSR1);
  struct signalfd_siginfo ssi;
  got = read((int)sfd, &ssi, sizeof ssi);
  printf("  read: %ld, SIGUSR1: %d\n", got, ssi.ssi_signo == SIGUSR1);
  close((int)sfd);
  show("signalfd4, mask size 4", syscall(SYS_signalfd4, -1, &mask, 4, 0));
  show("signalfd4, flags 1", syscall(SYS_signalfd4, -1, &mask, 8, 1));

  /* Message queues: the raw calls take names without the leading slash. */
  struct mq_attr qa = {0, 4, 64, 0, {0}};
  long q = syscall(SYS_mq_open, "rawq", O_CREAT | O_RDWR, 0600, &qa);
  printf("mq_open(\"rawq\"): a descriptor: %d\n", q >= 0);
  show("mq_open(\"/rawq\")", syscall(SYS_mq_open, "/rawq", O_RDWR, 0, NULL));
  show("mq_open(\"a/b\")", syscall(SYS_mq_open, "a/b", O_CREAT | O_RDWR, 0600, NULL));
  show("mq_open(\"\")", syscall(SYS_mq_open, "", O_CREAT | O_RDWR, 0600, NULL));
  show("mq_open(\".\")", syscall(SYS_mq_open, ".", O_CREAT | O_RDWR, 0600, NULL));
  char longname[300];
  memset(longname, 'n', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  show("mq_open(a 299-byte name)", syscall(SYS_mq_open, longname, O_CREAT | O_RDWR, 0600, NULL));
  mqd_t lq = mq_open("/rawq", O_RDWR);
  printf("the libc's mq_open(\"/rawq\") finds it: %d\n", lq >= 0);
  mq_close(lq);
  show("mq_timedsend", syscall(SYS_mq_timedsend, q, "hello", 5, 3, NULL));
  char mbuf[64];
  unsigned mprio = 0;
  show("mq_timedreceive", syscall(SYS_mq_timedreceive, q, mbuf, sizeof mbuf, &mprio, NULL));
  printf("  priority %u\n", mprio);
  struct timespec long_ago = {1, 0};
  show("mq_timedreceive, empty, a deadline past", syscall(SYS_mq_timedreceive, q, mbuf, sizeof mbuf, &mprio, &long_ago));
  struct mq_attr was, nb = {O_NONBLOCK, 0, 0, 0, {0}};
  show("mq_getsetattr(O_NONBLOCK)", syscall(SYS_mq_getsetattr, q, &nb, &was));
  printf("  before: flags %ld, maxmsg %ld, msgsize %ld\n", was.mq_flags, was.mq_maxmsg, was.mq_msgsize);
  show("mq_getsetattr(NULL, &was)", syscall(SYS_mq_getsetattr, q, NULL, &was));
  printf("  O_NONBLOCK now: %d\n", (was.mq_flags & O_NONBLOCK) != 0);
  show("mq_timedreceive, nonblocking, empty", syscall(SYS_mq_timedreceive, q, mbuf, sizeof mbuf, &mprio, NULL));
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  show("mq_notify(SIGEV_SIGNAL)", syscall(SYS_mq_notify, q, &sev));
  show("mq_notify(NULL)", syscall(SYS_mq_notify, q, NULL));
  sev.sigev_notify = SIGEV_THREAD;
  sev.sigev_signo = 999;
  show("mq_notify(SIGEV_THREAD, no cookie)", syscall(SYS_mq_notify, q, &sev));
  sev.sigev_notify = 77;
  show("mq_notify(notify 77)", syscall(SYS_mq_notify, q, &sev));
  close((int)q);
  show("mq_unlink(\"rawq\")", syscall(SYS_mq_unlink, "rawq"));
  show("mq_unlink(\"rawq\") again", syscall(SYS_mq_unlink, "rawq"));
  show("mq_unlink(\"/x\")", syscall(SYS_mq_unlink, "/x"));
  fflush(stdout);
  syscall(SYS_exit_group, 3);
  printf("not reached\n");
  return 0;
}
