/*
 * POSIX message queues: names and the namespace (O_CREAT, O_EXCL, unlink while open), attributes
 * and Linux's bounds, priorities then FIFO, non-blocking full/empty queues, blocking send and
 * receive between threads and between processes, absolute CLOCK_REALTIME deadlines, EINTR and
 * SA_RESTART, getattr/setattr, mq_notify (SIGEV_SIGNAL with SI_MESGQ and the value, SIGEV_NONE,
 * SIGEV_THREAD, EBUSY, one notification per registration, none while a receiver waits), an mqd_t
 * as a file descriptor (close, poll, epoll, FD_CLOEXEC, RLIMIT_NOFILE), cancellation, and the
 * errno of each misuse. Prints facts that hold on any machine (results, errno names, ranges; no
 * pids or times); test/libos/threads/conform-mqueue.test.ts compares them with what the same
 * program prints on Linux (gcc -O2 -pthread, glibc, -lrt).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../conform_errno.h"

extern char **environ;

#define BAD ((void *)(uintptr_t)-64)

/* An mq_open result: 1 for a descriptor, else -1 and the errno. */
static void show_open(const char *what, mqd_t q) {
  if (q < 0) printf("%s: -1 %s\n", what, ename(errno));
  else printf("%s: ok\n", what);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* CLOCK_REALTIME now + ms, as mq_timedsend/mq_timedreceive take it. */
static struct timespec in_ms(long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += (ms % 1000) * 1000000L;
  ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  return ts;
}

static mqd_t make(const char *name, int flags, long maxmsg, long msgsize) {
  struct mq_attr a = {0};
  a.mq_maxmsg = maxmsg;
  a.mq_msgsize = msgsize;
  mq_unlink(name);
  return mq_open(name, O_CREAT | O_EXCL | flags, 0600, &a);
}

static void show_attr(const char *what, mqd_t q) {
  struct mq_attr a;
  memset(&a, 0x55, sizeof a);
  if (mq_getattr(q, &a) < 0) return show(what, -1);
  printf("%s: nonblock %d, maxmsg %ld, msgsize %ld, curmsgs %ld\n", what, (a.mq_flags & O_NONBLOCK) != 0, a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs);
}

static void show_recv(const char *what, mqd_t q, size_t len) {
  char buf[9000];
  unsigned prio = 99;
  memset(buf, 0, sizeof buf);
  ssize_t n = mq_receive(q, buf, len, &prio);
  if (n < 0) return show(what, -1);
  printf("%s: %zd \"%.*s\" prio %u\n", what, n, (int)(n > 20 ? 20 : n), buf, prio);
}

/* ---- threads ---- */
struct job {
  mqd_t q;
  long delay_ms;
  const char *msg;
  unsigned prio;
  ssize_t n;
  int err;
  char buf[64];
  double waited;
  pthread_t target;
  int sig;
  int nice;
  volatile int ready;
};

/* A thread that is about to block: `ready` set just before its call (and then 50 ms to get there). */
static void start(pthread_t *th, void *(*fn)(void *), struct job *j) {
  pthread_create(th, NULL, fn, j);
  while (!__atomic_load_n(&j->ready, __ATOMIC_SEQ_CST)) nap_ms(1);
  nap_ms(50);
}

static void *receiver(void *arg) {
  struct job *j = arg;
  if (j->nice) setpriority(PRIO_PROCESS, gettid(), j->nice);
  double t0 = now_ms();
  __atomic_store_n(&j->ready, 1, __ATOMIC_SEQ_CST);
  j->n = mq_receive(j->q, j->buf, sizeof j->buf, &j->prio);
  j->err = j->n < 0 ? errno : 0;
  j->waited = now_ms() - t0;
  return NULL;
}

static void *sender(void *arg) {
  struct job *j = arg;
  if (j->delay_ms) nap_ms(j->delay_ms);
  double t0 = now_ms();
  __atomic_store_n(&j->ready, 1, __ATOMIC_SEQ_CST);
  j->n = mq_send(j->q, j->msg, strlen(j->msg), j->prio);
  j->err = j->n < 0 ? errno : 0;
  j->waited = now_ms() - t0;
  return NULL;
}

static void *killer(void *arg) {
  struct job *j = arg;
  nap_ms(j->delay_ms);
  pthread_kill(j->target, j->sig);
  if (j->msg) {
    nap_ms(j->delay_ms);
    mq_send(j->q, j->msg, strlen(j->msg), 0);
  }
  return NULL;
}

static volatile sig_atomic_t handled;
static volatile int got_code, got_value, got_pid_ours, got_signo;
static void on_sig(int sig, siginfo_t *si, void *ctx) {
  (void)ctx;
  handled++;
  got_signo = sig;
  got_code = si->si_code;
  got_value = si->si_value.sival_int;
  got_pid_ours = si->si_pid == getpid();
}

static void on_plain(int sig) {
  (void)sig;
  handled++;
}

static sem_t thread_sem;
static volatile int thread_value, thread_other;
static pthread_t main_thread;
static void on_notify_thread(union sigval v) {
  thread_value = v.sival_int;
  thread_other = !pthread_equal(pthread_self(), main_thread);
  sem_post(&thread_sem);
}

static void *cancel_me(void *arg) {
  char buf[64];
  mq_receive(*(mqd_t *)arg, buf, sizeof buf, NULL);
  return NULL;
}

/* ---- the child process (argv[1]) ---- */
static int child(int argc, char **argv) {
  if (strcmp(argv[1], "fd") == 0) {
    int fd = atoi(argv[2]);
    printf("  child: the parent's mqd_t (FD_CLOEXEC): EBADF %d\n", fcntl(fd, F_GETFD) < 0 && errno == EBADF);
    return 0;
  }
  if (strcmp(argv[1], "recv") == 0) {
    mqd_t q = mq_open("/occlum_mq_proc", O_RDWR);
    show_open("  child: mq_open", q);
    char buf[64];
    unsigned prio;
    ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
    printf("  child: received %zd \"%.*s\" prio %u\n", n, (int)(n < 0 ? 0 : n), buf, prio);
    printf("  child: replying \"pong\" prio 3\n");
    return mq_send(q, "pong", 4, 3) == 0 ? 0 : 1;
  }
  if (strcmp(argv[1], "notify") == 0) {
    mqd_t q = mq_open("/occlum_mq_note", O_RDWR);
    struct sigevent ev = {.sigev_notify = SIGEV_NONE};
    show("  child: mq_notify(SIGEV_NONE)", mq_notify(q, &ev));
    return atoi(argv[2]);
  }
  (void)argc;
  return 1;
}

static pid_t spawn_self(char *a1, char *a2) {
  pid_t pid;
  char *args[] = {"conform_mqueue", a1, a2, NULL};
  if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ) != 0) return -1;
  return pid;
}

static int wait_exit(pid_t pid) {
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1) return child(argc, argv);
  main_thread = pthread_self();
  int r;
  umask(022);

  /* ---- names and the namespace ---- */
  printf("-- names\n");
  show_open("mq_open(\"noslash\", O_CREAT)", mq_open("noslash", O_CREAT | O_RDWR, 0600, NULL));
  show_open("mq_open(\"/a/b\", O_CREAT)", mq_open("/occlum_mq_a/b", O_CREAT | O_RDWR, 0600, NULL));
  show_open("mq_open(\"/\", O_CREAT)", mq_open("/", O_CREAT | O_RDWR, 0600, NULL));
  char longname[300];
  longname[0] = '/';
  memset(longname + 1, 'n', 255);
  longname[256] = 0;
  mqd_t q = mq_open(longname, O_CREAT | O_RDWR, 0600, NULL);
  show_open("mq_open of a 255-byte name", q);
  if (q >= 0) mq_close(q);
  show("  mq_unlink", mq_unlink(longname));
  memset(longname + 1, 'n', 256);
  longname[257] = 0;
  show_open("mq_open of a 256-byte name", mq_open(longname, O_CREAT | O_RDWR, 0600, NULL));
  show("mq_unlink of a 256-byte name", mq_unlink(longname));
  show("mq_unlink(\"noslash\")", mq_unlink("noslash"));
  show("mq_unlink(\"/a/b\")", mq_unlink("/occlum_mq_a/b"));
  mq_unlink("/occlum_mq_1");
  show("mq_unlink of a name that does not exist", mq_unlink("/occlum_mq_1"));
  show_open("mq_open without O_CREAT of a name that does not exist", mq_open("/occlum_mq_1", O_RDWR));
  mqd_t q1 = mq_open("/occlum_mq_1", O_CREAT | O_EXCL | O_RDWR, 0640, NULL);
  show_open("mq_open(O_CREAT | O_EXCL)", q1);
  show_open("  again with O_EXCL", mq_open("/occlum_mq_1", O_CREAT | O_EXCL | O_RDWR, 0600, NULL));
  mqd_t q1b = mq_open("/occlum_mq_1", O_CREAT | O_RDWR, 0600, NULL);
  show_open("  again with O_CREAT alone", q1b);
  printf("  two descriptors: %d, FD_CLOEXEC: %d\n", q1b != q1, (fcntl(q1, F_GETFD) & FD_CLOEXEC) != 0);
  struct stat st;
  show("  fstat", fstat(q1, &st));
  printf("  S_ISREG %d, size %lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
  show_attr("  mq_getattr (attr NULL: the defaults)", q1);
  struct mq_attr bad0 = {.mq_maxmsg = 0, .mq_msgsize = 8};
  show_open("  again with O_CREAT and maxmsg 0 (exists: attr not looked at)", mq_open("/occlum_mq_1", O_CREAT | O_RDWR, 0600, &bad0));
  mq_close(q1b);

  printf("-- attributes at creation\n");
  long bounds[][2] = {{0, 8}, {-1, 8}, {4, 0}, {4, -1}, {100000, 8}, {4, 20000000}, {10, 8192}, {1, 1}, {4, 64}};
  for (unsigned i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
    char what[80];
    snprintf(what, sizeof what, "maxmsg %ld, msgsize %ld", bounds[i][0], bounds[i][1]);
    q = make("/occlum_mq_2", O_RDWR, bounds[i][0], bounds[i][1]);
    show_open(what, q);
    if (q >= 0) {
      show_attr("  mq_getattr", q);
      mq_close(q);
    }
  }
  mq_unlink("/occlum_mq_2");
  show_open("attr at a bad address", mq_open("/occlum_mq_2", O_CREAT | O_RDWR, 0600, BAD));
  show("  mq_unlink (nothing was made)", mq_unlink("/occlum_mq_2"));

  printf("-- RLIMIT_MSGQUEUE and RLIMIT_NOFILE\n");
  struct rlimit rl, low;
  getrlimit(RLIMIT_MSGQUEUE, &rl);
  printf("RLIMIT_MSGQUEUE soft %ld\n", (long)rl.rlim_cur);
  low = rl;
  low.rlim_cur = 0;
  setrlimit(RLIMIT_MSGQUEUE, &low);
  show_open("  soft limit 0: mq_open(O_CREAT) of a new queue", mq_open("/occlum_mq_2", O_CREAT | O_RDWR, 0600, NULL));
  q = mq_open("/occlum_mq_1", O_RDWR);
  show_open("  soft limit 0: mq_open of an existing queue", q);
  mq_close(q);
  setrlimit(RLIMIT_MSGQUEUE, &rl);
  int p[2];
  pipe(p);
  getrlimit(RLIMIT_NOFILE, &rl);
  low = rl;
  low.rlim_cur = p[1] + 1;
  setrlimit(RLIMIT_NOFILE, &low);
  show_open("RLIMIT_NOFILE reached: mq_open(O_CREAT)", mq_open("/occlum_mq_2", O_CREAT | O_RDWR, 0600, NULL));
  setrlimit(RLIMIT_NOFILE, &rl);
  show("  mq_unlink (nothing was made)", mq_unlink("/occlum_mq_2"));

  /* ---- send and receive ---- */
  printf("-- priorities, full and empty\n");
  q = make("/occlum_mq_3", O_RDWR | O_NONBLOCK, 4, 64);
  show("mq_send \"a\" prio 1", mq_send(q, "a", 1, 1));
  show("mq_send \"b\" prio 5", mq_send(q, "b", 1, 5));
  show("mq_send \"c\" prio 1", mq_send(q, "c", 1, 1));
  show("mq_send \"d\" prio 5", mq_send(q, "d", 1, 5));
  show_attr("  mq_getattr", q);
  show("mq_send to a full queue (O_NONBLOCK)", mq_send(q, "e", 1, 9));
  struct pollfd pfd = {q, POLLIN | POLLOUT, 0};
  r = poll(&pfd, 1, 0);
  printf("  poll: %d, POLLIN %d, POLLOUT %d\n", r, (pfd.revents & POLLIN) != 0, (pfd.revents & POLLOUT) != 0);
  char rbuf[64];
  ssize_t rn = read(q, rbuf, sizeof rbuf - 1);
  printf("  read of the queue's file: %d, \"%.*s\"\n", rn > 0, rn > 0 ? (int)rn - 1 : 0, rbuf);
  for (int i = 0; i < 4; i++) show_recv("mq_receive", q, 64);
  show_recv("mq_receive from an empty queue (O_NONBLOCK)", q, 64);
  pfd.revents = 0;
  r = poll(&pfd, 1, 0);
  printf("  poll: %d, POLLIN %d, POLLOUT %d\n", r, (pfd.revents & POLLIN) != 0, (pfd.revents & POLLOUT) != 0);
  show("mq_send prio 32767", mq_send(q, "top", 3, 32767));
  show("mq_send prio 32768", mq_send(q, "x", 1, 32768));
  show("mq_send of 65 bytes (msgsize 64)", mq_send(q, rbuf, 65, 0));
  memset(rbuf, 'm', sizeof rbuf);
  show("mq_send of 64 bytes", mq_send(q, rbuf, 64, 0));
  show("mq_send of 0 bytes", mq_send(q, "", 0, 2));
  show_recv("mq_receive into 63 bytes", q, 63);
  show_recv("mq_receive into 64 bytes", q, 64);
  show_recv("mq_receive into 8192 bytes", q, 8192);
  show_recv("mq_receive", q, 64);
  char *nulprio = rbuf;
  mq_send(q, "np", 2, 1);
  show("mq_receive with msg_prio NULL", mq_receive(q, nulprio, 64, NULL));
  show("mq_send from a bad address", mq_send(q, BAD, 4, 0));
  show_attr("  mq_getattr", q);
  mq_send(q, "lost", 4, 0);
  show("mq_receive to a bad address", mq_receive(q, BAD, 64, NULL));
  show_attr("  mq_getattr (the message is gone)", q);

  printf("-- access modes and descriptors\n");
  mqd_t ro = mq_open("/occlum_mq_3", O_RDONLY), wo = mq_open("/occlum_mq_3", O_WRONLY);
  show("mq_send on O_RDONLY", mq_send(ro, "x", 1, 0));
  show_recv("mq_receive on O_WRONLY", wo, 64);
  show("mq_send on O_WRONLY", mq_send(wo, "w", 1, 0));
  show_recv("mq_receive on O_RDONLY", ro, 64);
  show("read of O_WRONLY", read(wo, rbuf, 10));
  show("write of O_RDWR", write(q, "x", 1));
  show("mq_send on a pipe", mq_send(p[0], "x", 1, 0));
  show_recv("mq_receive on a pipe", p[0], 64);
  show("mq_getattr of a pipe", mq_getattr(p[1], &bad0));
  show("mq_notify on a pipe", mq_notify(p[1], NULL));
  close(p[0]);
  close(p[1]);
  show("close(mqd_t)", close(ro));
  show("mq_send on it", mq_send(ro, "x", 1, 0));
  show("mq_close(mqd_t)", mq_close(wo));
  show("mq_close again", mq_close(wo));
  show("mq_getattr of it", mq_getattr(wo, &bad0));
  show("mq_send of prio 40000 on it", mq_send(wo, "x", 1, 40000));
  show("mq_receive of -1", mq_receive(-1, rbuf, 64, NULL));

  printf("-- mq_setattr\n");
  struct mq_attr na = {.mq_flags = 0, .mq_maxmsg = 99, .mq_msgsize = 99}, oa;
  memset(&oa, 0x55, sizeof oa);
  show("mq_setattr(flags 0)", mq_setattr(q, &na, &oa));
  printf("  old: nonblock %d, maxmsg %ld, msgsize %ld, curmsgs %ld\n", (oa.mq_flags & O_NONBLOCK) != 0, oa.mq_maxmsg, oa.mq_msgsize, oa.mq_curmsgs);
  show_attr("  now (maxmsg and msgsize unchanged)", q);
  na.mq_flags = O_NONBLOCK | 1;
  show("mq_setattr(flags O_NONBLOCK | 1)", mq_setattr(q, &na, NULL));
  na.mq_flags = O_NONBLOCK;
  show("mq_setattr(O_NONBLOCK), old NULL", mq_setattr(q, &na, NULL));
  show_attr("  now", q);
  show("mq_setattr with new at a bad address", mq_setattr(q, BAD, NULL));
  na.mq_flags = 0;
  show("mq_setattr(0), old at a bad address", mq_setattr(q, &na, BAD));
  show_attr("  now (the new flags were set)", q);
  show("mq_getattr to a bad address", mq_getattr(q, BAD));
  show("fcntl(F_SETFL, O_NONBLOCK)", fcntl(q, F_SETFL, O_NONBLOCK));
  show_attr("  mq_getattr", q);
  fcntl(q, F_SETFL, 0);

  /* ---- timed waits (blocking descriptor) ---- */
  printf("-- timed waits\n");
  struct timespec ts = in_ms(60);
  double t0 = now_ms();
  show("mq_timedreceive, empty, now + 60 ms", mq_timedreceive(q, rbuf, 64, NULL, &ts));
  printf("  waited at least 50 ms: %d\n", now_ms() - t0 >= 50);
  ts.tv_sec = 0;
  ts.tv_nsec = 0;
  show("mq_timedreceive, empty, a deadline in 1970", mq_timedreceive(q, rbuf, 64, NULL, &ts));
  ts.tv_nsec = 1000000000;
  show("mq_timedreceive, empty, tv_nsec 1e9", mq_timedreceive(q, rbuf, 64, NULL, &ts));
  ts.tv_sec = -1;
  ts.tv_nsec = 0;
  show("mq_timedreceive, empty, tv_sec -1", mq_timedreceive(q, rbuf, 64, NULL, &ts));
  show("mq_timedreceive, empty, timeout at a bad address", mq_timedreceive(q, rbuf, 64, NULL, BAD));
  mq_send(q, "t1", 2, 0);
  ts.tv_sec = 0;
  ts.tv_nsec = 1000000000;
  show("mq_timedreceive, not empty, tv_nsec 1e9", mq_timedreceive(q, rbuf, 64, NULL, &ts));
  ts.tv_nsec = 0;
  show("mq_timedreceive, not empty, a deadline in 1970", mq_timedreceive(q, rbuf, 64, NULL, &ts));
  mqd_t one = make("/occlum_mq_4", O_RDWR, 1, 16);
  show("mq_send to a queue of 1", mq_send(one, "first", 5, 0));
  ts = in_ms(60);
  t0 = now_ms();
  show("mq_timedsend, full, now + 60 ms", mq_timedsend(one, "second", 6, 0, &ts));
  printf("  waited at least 50 ms: %d\n", now_ms() - t0 >= 50);
  ts.tv_sec = 0;
  ts.tv_nsec = -1;
  show("mq_timedsend, full, tv_nsec -1", mq_timedsend(one, "second", 6, 0, &ts));
  show_recv("mq_receive", one, 16);
  show("mq_timedsend, not full, tv_nsec -1", mq_timedsend(one, "second", 6, 0, &ts));
  ts.tv_nsec = 0;
  show("mq_timedsend, not full, a deadline in 1970", mq_timedsend(one, "second", 6, 0, &ts));
  show_recv("mq_receive", one, 16);

  /* ---- blocking between threads ---- */
  printf("-- blocking between threads\n");
  pthread_t th, th2;
  struct job j1 = {.q = q}, j2 = {.q = q};
  start(&th, receiver, &j1);
  show("mq_send \"wake\" prio 7 to a blocked receiver", mq_send(q, "wake", 4, 7));
  pthread_join(th, NULL);
  printf("  receiver: %zd \"%.*s\" prio %u, waited at least 40 ms: %d\n", j1.n, (int)(j1.n < 0 ? 0 : j1.n), j1.buf, j1.prio, j1.waited >= 40);
  memset(&j1, 0, sizeof j1);
  j1.q = q;
  start(&th, receiver, &j1);
  start(&th2, receiver, &j2);
  mq_send(q, "x1", 2, 0);
  mq_send(q, "x2", 2, 9);
  pthread_join(th, NULL);
  pthread_join(th2, NULL);
  printf("two blocked receivers, in the order they came: first \"%.*s\", second \"%.*s\"\n", (int)j1.n, j1.buf, (int)j2.n, j2.buf);
  memset(&j1, 0, sizeof j1);
  memset(&j2, 0, sizeof j2);
  j1.q = j2.q = q;
  j1.nice = 5;
  start(&th, receiver, &j1);
  start(&th2, receiver, &j2);
  mq_send(q, "y1", 2, 0);
  mq_send(q, "y2", 2, 0);
  pthread_join(th, NULL);
  pthread_join(th2, NULL);
  printf("a receiver at nice 5, then one at nice 0: the nice-0 one got \"%.*s\", the nice-5 one \"%.*s\"\n", (int)j2.n, j2.buf, (int)j1.n, j1.buf);
  struct job s1 = {.q = one, .msg = "s1", .prio = 1}, s2 = {.q = one, .msg = "s2", .prio = 2};
  mq_send(one, "full", 4, 0);
  start(&th, sender, &s1);
  start(&th2, sender, &s2);
  show_attr("two senders blocked on a full queue of 1", one);
  show_recv("mq_receive", one, 16);
  show_recv("mq_receive", one, 16);
  show_recv("mq_receive", one, 16);
  pthread_join(th, NULL);
  pthread_join(th2, NULL);
  printf("  senders: %zd %zd, the first waited at least 80 ms: %d\n", s1.n, s2.n, s1.waited >= 80);

  /* ---- signals ---- */
  printf("-- signals\n");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_plain;
  sigaction(SIGUSR2, &sa, NULL);
  struct job k = {.q = q, .delay_ms = 50, .target = pthread_self(), .sig = SIGUSR2};
  handled = 0;
  pthread_create(&th, NULL, killer, &k);
  show_recv("mq_receive interrupted by a handler without SA_RESTART", q, 64);
  pthread_join(th, NULL);
  printf("  handler ran: %d\n", handled);
  handled = 0;
  pthread_create(&th, NULL, killer, &k);
  mq_send(one, "z", 1, 0);
  ts = in_ms(2000);
  show("mq_timedsend, full, interrupted", mq_timedsend(one, "y", 1, 0, &ts));
  pthread_join(th, NULL);
  printf("  handler ran: %d\n", handled);
  show_recv("  drain", one, 16);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &sa, NULL);
  handled = 0;
  k.msg = "after";
  pthread_create(&th, NULL, killer, &k);
  show_recv("mq_receive with SA_RESTART, a message after the signal", q, 64);
  pthread_join(th, NULL);
  printf("  handler ran: %d\n", handled);

  /* ---- unlink while open ---- */
  printf("-- unlink while open\n");
  mqd_t u = make("/occlum_mq_5", O_RDWR | O_NONBLOCK, 4, 16);
  mq_send(u, "kept", 4, 0);
  show("mq_unlink", mq_unlink("/occlum_mq_5"));
  show_open("  mq_open without O_CREAT", mq_open("/occlum_mq_5", O_RDWR));
  show_recv("  mq_receive from the open descriptor", u, 16);
  show("  mq_send to it", mq_send(u, "still", 5, 0));
  mqd_t u2 = mq_open("/occlum_mq_5", O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK, 0600, NULL);
  show_open("  mq_open(O_CREAT | O_EXCL) of the name again", u2);
  show_attr("  the new queue", u2);
  show_attr("  the old queue", u);
  mq_close(u);
  mq_close(u2);
  mq_unlink("/occlum_mq_5");

  /* ---- mq_notify ---- */
  printf("-- mq_notify\n");
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sig;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  mqd_t n = make("/occlum_mq_note", O_RDWR | O_NONBLOCK, 4, 16);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  ev.sigev_value.sival_int = 1234;
  show("mq_notify(SIGEV_SIGNAL SIGUSR1, 1234)", mq_notify(n, &ev));
  show("  again from this process", mq_notify(n, &ev));
  rn = read(n, rbuf, sizeof rbuf - 1);
  char *pidp = rn > 0 ? strstr(rbuf, "NOTIFY_PID:") : NULL;
  printf("  read: \"%.*s\", NOTIFY_PID ours: %d\n", pidp ? (int)(pidp - rbuf) : 0, rbuf, pidp && atoi(pidp + 11) == getpid());
  handled = 0;
  show("  mq_send to the empty queue", mq_send(n, "n1", 2, 0));
  printf("  handler ran: %d, SIGUSR1 %d, si_code SI_MESGQ %d, si_value %d, si_pid ours %d\n", handled, got_signo == SIGUSR1, got_code == SI_MESGQ, got_value, got_pid_ours);
  show("  mq_send to the non-empty queue", mq_send(n, "n2", 2, 0));
  printf("  handler ran: %d\n", handled);
  show("  mq_notify again (the registration went with the notification)", mq_notify(n, &ev));
  show("  mq_send to the non-empty queue", mq_send(n, "n3", 2, 0));
  printf("  handler ran: %d\n", handled);
  for (int i = 0; i < 3; i++) mq_receive(n, rbuf, 16, NULL);
  show("  mq_send to the empty queue", mq_send(n, "n4", 2, 0));
  printf("  handler ran: %d\n", handled);
  mq_receive(n, rbuf, 16, NULL);
  show("mq_notify(NULL) by a process that has none registered", mq_notify(n, NULL));
  show("mq_notify", mq_notify(n, &ev));
  show("mq_notify(NULL)", mq_notify(n, NULL));
  handled = 0;
  mq_send(n, "n5", 2, 0);
  printf("  mq_send: handler ran: %d\n", handled);
  mq_receive(n, rbuf, 16, NULL);
  mq_setattr(n, &na, NULL); /* blocking now */
  show("mq_notify with a receiver blocked", mq_notify(n, &ev));
  memset(&j1, 0, sizeof j1);
  j1.q = n;
  start(&th, receiver, &j1);
  mq_send(n, "n6", 2, 0);
  pthread_join(th, NULL);
  printf("  the receiver got \"%.*s\"; handler ran: %d\n", (int)(j1.n < 0 ? 0 : j1.n), j1.buf, handled);
  show("  mq_notify again (still registered)", mq_notify(n, &ev));
  mqd_t n2 = mq_open("/occlum_mq_note", O_RDWR);
  show("  close of another descriptor of the queue", close(n2));
  show("  mq_notify again (the close removed it)", mq_notify(n, &ev));
  mq_notify(n, NULL);
  ev.sigev_signo = 0;
  show("mq_notify(SIGEV_SIGNAL, signal 0)", mq_notify(n, &ev));
  mq_send(n, "n7", 2, 0);
  printf("  mq_send: handler ran: %d\n", handled);
  show("  mq_notify again", mq_notify(n, NULL));
  mq_receive(n, rbuf, 16, NULL);
  ev.sigev_signo = 65;
  show("mq_notify(SIGEV_SIGNAL, signal 65)", mq_notify(n, &ev));
  ev.sigev_signo = SIGUSR1;
  ev.sigev_notify = 99;
  show("mq_notify(sigev_notify 99)", mq_notify(n, &ev));
  ev.sigev_notify = SIGEV_THREAD_ID;
  show("mq_notify(SIGEV_THREAD_ID)", mq_notify(n, &ev));
  ev.sigev_notify = SIGEV_NONE;
  show("mq_notify(SIGEV_NONE)", mq_notify(n, &ev));
  rn = read(n, rbuf, sizeof rbuf - 1);
  pidp = rn > 0 ? strstr(rbuf, "NOTIFY_PID:") : NULL;
  printf("  read again (at the end of the file): %zd\n", rn);
  lseek(n, 0, SEEK_SET);
  rn = read(n, rbuf, sizeof rbuf - 1);
  pidp = rn > 0 ? strstr(rbuf, "NOTIFY_PID:") : NULL;
  printf("  read after lseek(0): \"%.*s\"\n", pidp ? (int)(pidp - rbuf) : 0, rbuf);
  mq_send(n, "n8", 2, 0);
  show("  after a message: mq_notify(SIGEV_NONE) again", mq_notify(n, &ev));
  mq_receive(n, rbuf, 16, NULL);
  mq_notify(n, NULL);

  sem_init(&thread_sem, 0, 0);
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = on_notify_thread;
  ev.sigev_value.sival_int = 77;
  show("mq_notify(SIGEV_THREAD, 77)", mq_notify(n, &ev));
  show("  again", mq_notify(n, &ev));
  mq_send(n, "n9", 2, 0);
  ts = in_ms(2000);
  show("  mq_send, then the function", sem_timedwait(&thread_sem, &ts));
  printf("  value %d, on another thread %d\n", thread_value, thread_other);
  mq_receive(n, rbuf, 16, NULL);
  show("  mq_notify(SIGEV_THREAD) again", mq_notify(n, &ev));
  show("  mq_notify(NULL)", mq_notify(n, NULL));
  thread_value = 0;
  mq_send(n, "n10", 3, 0);
  nap_ms(50);
  printf("  mq_send after mq_notify(NULL): the function ran: %d\n", thread_value != 0);
  mq_receive(n, rbuf, 16, NULL);

  /* ---- processes ---- */
  printf("-- between processes\n");
  show("mq_notify(SIGEV_SIGNAL) here", mq_notify(n, (memset(&ev, 0, sizeof ev), ev.sigev_notify = SIGEV_SIGNAL, ev.sigev_signo = SIGUSR1, &ev)));
  pid_t pid = spawn_self("notify", "0");
  printf("  a child's mq_notify: exit %d\n", wait_exit(pid));
  mq_notify(n, NULL);
  pid = spawn_self("notify", "3");
  printf("  a child registers with SIGEV_NONE and exits %d\n", wait_exit(pid));
  show("  mq_notify here (the child's exit removed it)", mq_notify(n, &ev));
  mq_notify(n, NULL);
  char fdarg[16];
  snprintf(fdarg, sizeof fdarg, "%d", n);
  pid = spawn_self("fd", fdarg);
  wait_exit(pid);
  mqd_t pq = make("/occlum_mq_proc", O_RDWR, 4, 64);
  pid = spawn_self("recv", NULL);
  nap_ms(100);
  long sent = mq_send(pq, "ping", 4, 2);
  char reply[64];
  unsigned rprio = 0;
  ssize_t got = mq_receive(pq, reply, sizeof reply, &rprio); /* blocks until the child's reply */
  show("mq_send \"ping\" to a child blocked in mq_receive", sent);
  printf("  mq_receive of the reply: %zd \"%.*s\" prio %u\n", got, (int)(got < 0 ? 0 : got), reply, rprio);
  printf("  child exit %d\n", wait_exit(pid));
  mq_close(pq);
  mq_unlink("/occlum_mq_proc");

  /* ---- poll, epoll, cancellation ---- */
  printf("-- poll, epoll, cancellation\n");
  int ep = epoll_create1(0);
  struct epoll_event eev = {.events = EPOLLIN, .data.u64 = 42}, out;
  show("epoll_ctl(ADD, mqd_t)", epoll_ctl(ep, EPOLL_CTL_ADD, q, &eev));
  show("  epoll_wait on an empty queue", epoll_wait(ep, &out, 1, 0));
  struct job s3 = {.q = q, .delay_ms = 50, .msg = "ep", .prio = 0};
  pthread_create(&th, NULL, sender, &s3);
  r = epoll_wait(ep, &out, 1, 2000);
  pthread_join(th, NULL);
  printf("  epoll_wait woken by a send: %d, data 42: %d\n", r, r == 1 && out.data.u64 == 42);
  close(ep);
  pfd.fd = q;
  pfd.events = POLLIN;
  r = poll(&pfd, 1, 0);
  printf("  poll: %d, POLLIN %d\n", r, (pfd.revents & POLLIN) != 0);
  mq_receive(q, rbuf, 64, NULL);
  pfd.events = POLLOUT;
  mq_send(one, "full", 4, 0);
  pfd.fd = one;
  s3.q = one;
  pthread_create(&th, NULL, receiver, (memset(&j1, 0, sizeof j1), j1.q = one, &j1));
  r = poll(&pfd, 1, 2000);
  pthread_join(th, NULL);
  printf("poll(POLLOUT) of a full queue, woken by a receive: %d, POLLOUT %d\n", r, (pfd.revents & POLLOUT) != 0);
  pthread_create(&th, NULL, cancel_me, &q);
  nap_ms(50);
  pthread_cancel(th);
  void *res;
  pthread_join(th, &res);
  printf("a thread blocked in mq_receive, cancelled: %d\n", res == PTHREAD_CANCELED);

  mq_close(q);
  mq_close(one);
  mq_close(n);
  mq_close(q1);
  mq_unlink("/occlum_mq_1");
  mq_unlink("/occlum_mq_3");
  mq_unlink("/occlum_mq_4");
  mq_unlink("/occlum_mq_note");
  printf("done\n");
  return 3;
}
