/*
 * signalfd: blocked signals taken by reading a descriptor (signalfd_siginfo: signal, code, pid,
 * value, a child's status), several records per read, EAGAIN when non-blocking, poll and epoll
 * readiness, a new mask on the same descriptor, a thread blocked in read woken by a kill, a timer's
 * signal, Linux's errors. Prints one line per check; test/libos/process/conform-signalfd.test.ts
 * compares it with what the same program prints on Linux (gcc -O2 -pthread, glibc).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../conform_errno.h"

extern char **environ;

static const char *code_name(int c) {
  switch (c) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    case SI_TIMER: return "SI_TIMER";
    case CLD_EXITED: return "CLD_EXITED";
    default: return "other";
  }
}

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int shared_fd;
static struct signalfd_siginfo reader_got;
static long reader_n;
static volatile int reader_ready;
static void *reader(void *arg) {
  (void)arg;
  __atomic_store_n(&reader_ready, 1, __ATOMIC_SEQ_CST);
  reader_n = read(shared_fd, &reader_got, sizeof reader_got);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1) return 7; /* the child */
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGRTMIN);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  printf("signalfd(-1, {USR1, USR2, CHLD, RTMIN}, SFD_NONBLOCK | SFD_CLOEXEC): %d, FD_CLOEXEC: %d\n", fd >= 0, (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  struct signalfd_siginfo si;
  show("  read with nothing pending", read(fd, &si, sizeof si));
  show("  read of 64 bytes", read(fd, &si, 64));
  struct pollfd pfd = {fd, POLLIN, 0};
  printf("  poll(0) with nothing pending: %d\n", poll(&pfd, 1, 0));

  raise(SIGUSR1);
  printf("raise(SIGUSR1), then poll(0): %d\n", poll(&pfd, 1, 0));
  memset(&si, 0, sizeof si);
  show("  read", read(fd, &si, sizeof si));
  printf("  ssi_signo SIGUSR1: %d, ssi_code %s, ssi_pid is ours: %d\n", si.ssi_signo == SIGUSR1, code_name(si.ssi_code), si.ssi_pid == (uint32_t)getpid());
  kill(getpid(), SIGUSR2);
  union sigval v = {.sival_int = 1234};
  sigqueue(getpid(), SIGRTMIN, v);
  struct signalfd_siginfo two[3];
  memset(two, 0, sizeof two);
  show("kill(SIGUSR2) and sigqueue(SIGRTMIN, 1234), then one read of 3 records' room", read(fd, two, sizeof two));
  printf("  first: SIGUSR2 %d, %s, pid ours %d; second: SIGRTMIN %d, %s, ssi_int %d\n", two[0].ssi_signo == SIGUSR2, code_name(two[0].ssi_code),
         two[0].ssi_pid == (uint32_t)getpid(), two[1].ssi_signo == (uint32_t)SIGRTMIN, code_name(two[1].ssi_code), two[1].ssi_int);

  /* A child's exit: SIGCHLD with its status. */
  pid_t pid;
  char *args[] = {argv[0], "child", NULL};
  posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ);
  pfd.fd = fd;
  printf("spawned a child that exits 7; poll(2000 ms): %d\n", poll(&pfd, 1, 2000));
  memset(&si, 0, sizeof si);
  show("  read", read(fd, &si, sizeof si));
  printf("  SIGCHLD: %d, %s, ssi_pid the child: %d, ssi_status %d\n", si.ssi_signo == SIGCHLD, code_name(si.ssi_code), si.ssi_pid == (uint32_t)pid, si.ssi_status);
  int status;
  waitpid(pid, &status, 0);

  /* epoll, and a new mask on the same descriptor. */
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 5};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  kill(getpid(), SIGUSR1);
  struct epoll_event out;
  int k = epoll_wait(ep, &out, 1, 1000);
  printf("epoll_wait after kill(SIGUSR1): %d, data 5: %d\n", k, k == 1 && out.data.u64 == 5);
  sigset_t only2;
  sigemptyset(&only2);
  sigaddset(&only2, SIGUSR2);
  printf("signalfd(fd, {USR2}): the same fd: %d\n", signalfd(fd, &only2, 0) == fd);
  show("  read (SIGUSR1 is pending but no longer in the mask)", read(fd, &si, sizeof si));
  sigset_t pend;
  sigpending(&pend);
  printf("  SIGUSR1 still pending: %d\n", sigismember(&pend, SIGUSR1));
  signalfd(fd, &set, 0);
  read(fd, &si, sizeof si);
  close(ep);

  /* A thread blocked in read, woken by a kill from main. */
  shared_fd = signalfd(-1, &set, 0);
  pthread_t th;
  pthread_create(&th, NULL, reader, NULL);
  while (!__atomic_load_n(&reader_ready, __ATOMIC_SEQ_CST)) nap_ms(1);
  nap_ms(50);
  kill(getpid(), SIGUSR2);
  pthread_join(th, NULL);
  printf("a thread blocked in read: %ld bytes, SIGUSR2: %d\n", reader_n, reader_got.ssi_signo == SIGUSR2);

  /* A POSIX timer's signal. */
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = 55;
  timer_t tm;
  timer_create(CLOCK_MONOTONIC, &sev, &tm);
  struct itimerspec once = {{0, 0}, {0, 30000000L}};
  timer_settime(tm, 0, &once, NULL);
  pfd.fd = fd;
  poll(&pfd, 1, 1000);
  memset(&si, 0, sizeof si);
  read(fd, &si, sizeof si);
  printf("a timer's signal: SIGUSR1 %d, %s, ssi_int %d, ssi_overrun %u\n", si.ssi_signo == SIGUSR1, code_name(si.ssi_code), si.ssi_int, si.ssi_overrun);
  timer_delete(tm);

  /* Errors. */
  show("signalfd, flags 1", signalfd(-1, &set, 1));
  int pp[2];
  pipe(pp);
  show("signalfd of a pipe", signalfd(pp[0], &set, 0));
  show("signalfd of a closed fd", signalfd(999, &set, 0));
  show("write", write(fd, &si, sizeof si));
  return 0;
}
