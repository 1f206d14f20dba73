/*
 * Deferred cancellation at the blocking calls POSIX makes cancellation points (differential:
 * test/libos/threads/conform-threads.test.ts compares the output with Linux's): a thread blocked
 * in read, write, accept, recv, send, poll, select, epoll_wait, pause, sigsuspend, nanosleep,
 * fcntl(F_OFD_SETLKW)...; open, tcdrain and msync with a cancellation pending...
 * is cancelled by pthread_cancel (its cleanup handler runs, the joiner gets PTHREAD_CANCELED);
 * one that reaches such a call with a cancellation already pending is cancelled there without
 * blocking; a call that is no cancellation point (getpid, a mutex) goes on.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <spawn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2];
static int sv[2];
static int listener = -1, udp = -1, ep = -1;
static int lockfd = -1; /* a second description of a file main holds an OFD write lock on */
static pid_t child = -1;
static volatile int after_open, after_tcdrain, after_msync;
static void *page; /* a mapping for msync */
static int cleanup_ran;
static sem_t ready;

static void note_cleanup(void *arg) {
  (void)arg;
  cleanup_ran = 1;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, 0);
}

/* Asynchronous cancellation: a thread computing without any call ends where it is. */
static volatile unsigned long async_spins;
static volatile int async_cleanup;
static void note_async_cleanup(void *arg) {
  (void)arg;
  async_cleanup = 1;
}
static void *async_spin(void *arg) {
  (void)arg;
  int old = -1;
  pthread_cleanup_push(note_async_cleanup, 0);
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
  sem_post(&ready);
  for (;;) async_spins++;
  pthread_cleanup_pop(0);
  return 0;
}
static void cancel_async(void) {
  pthread_t t;
  void *r = 0;
  async_cleanup = 0;
  pthread_create(&t, 0, async_spin, 0);
  sem_wait(&ready);
  sleep_ms(20);
  int e = pthread_cancel(t);
  int j = pthread_join(t, &r);
  printf("asynchronous cancel of a computing thread: %d, join %d, PTHREAD_CANCELED %d, cleanup ran %d, it computed %d\n", e, j,
         r == PTHREAD_CANCELED, async_cleanup, async_spins > 0);
  int old = -1;
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
  int back = -1;
  pthread_setcanceltype(old, &back);
  printf("setcanceltype: default deferred %d, reads back asynchronous %d\n", old == PTHREAD_CANCEL_DEFERRED,
         back == PTHREAD_CANCEL_ASYNCHRONOUS);
}

/* Each blocks for good in one call; only a cancellation ends it. */
static void block_in(const char *what) {
  char buf[64];
  if (!strcmp(what, "read")) read(pipefd[0], buf, sizeof buf);
  else if (!strcmp(what, "readv")) {
    struct iovec iov = {buf, sizeof buf};
    readv(pipefd[0], &iov, 1);
  } else if (!strcmp(what, "write")) {
    for (;;) write(pipefd[1], buf, sizeof buf); /* the pipe was filled: blocks */
  } else if (!strcmp(what, "accept")) accept(listener, 0, 0);
  else if (!strcmp(what, "recv")) recv(sv[0], buf, sizeof buf, 0);
  else if (!strcmp(what, "recvfrom")) recvfrom(udp, buf, sizeof buf, 0, 0, 0);
  else if (!strcmp(what, "recvmsg")) {
    struct iovec iov = {buf, sizeof buf};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    recvmsg(sv[0], &m, 0);
  } else if (!strcmp(what, "send")) {
    for (;;) send(sv[1], buf, sizeof buf, 0); /* the socket's buffer was filled: blocks */
  } else if (!strcmp(what, "poll")) {
    struct pollfd p = {pipefd[0], POLLIN, 0};
    poll(&p, 1, -1);
  } else if (!strcmp(what, "select")) {
    fd_set r;
    FD_ZERO(&r);
    FD_SET(pipefd[0], &r);
    select(pipefd[0] + 1, &r, 0, 0, 0);
  } else if (!strcmp(what, "epoll_wait")) {
    struct epoll_event e;
    epoll_wait(ep, &e, 1, -1);
  } else if (!strcmp(what, "pause")) pause();
  else if (!strcmp(what, "sigsuspend")) {
    sigset_t none;
    sigemptyset(&none);
    sigsuspend(&none);
  } else if (!strcmp(what, "nanosleep")) {
    struct timespec ts = {100000, 0};
    nanosleep(&ts, 0);
  } else if (!strcmp(what, "usleep")) {
    for (;;) usleep(900000);
  } else if (!strcmp(what, "open")) {
    open("/dev/null", O_RDONLY); /* never blocks: reached with a cancellation pending only */
    after_open = 1;
    for (;;) pause();
  } else if (!strcmp(what, "tcdrain")) {
    tcdrain(pipefd[1]); /* never blocks on a pipe: reached with a cancellation pending only */
    after_tcdrain = 1;
    for (;;) pause();
  } else if (!strcmp(what, "msync")) {
    msync(page, 4096, MS_SYNC);
    after_msync = 1;
    for (;;) pause();
  } else if (!strcmp(what, "fcntl")) {
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0, .l_pid = 0};
    fcntl(lockfd, F_OFD_SETLKW, &fl); /* waits for main's lock (another description) */
  } else if (!strcmp(what, "waitpid")) {
    int st;
    waitpid(child, &st, 0); /* a child that sleeps for good */
  }
}

static void *blocked(void *arg) {
  pthread_cleanup_push(note_cleanup, 0);
  sem_post(&ready);
  block_in((const char *)arg);
  pthread_cleanup_pop(0);
  return (void *)1;
}

static void cancel_blocked(const char *what) {
  pthread_t t;
  void *r = 0;
  cleanup_ran = 0;
  pthread_create(&t, 0, blocked, (void *)what);
  sem_wait(&ready);
  sleep_ms(30); /* it is blocked by now */
  int e = pthread_cancel(t);
  int j = pthread_join(t, &r);
  printf("cancel thread blocked in %s: %d, join: %d, PTHREAD_CANCELED: %d, cleanup ran: %d\n", what, e, j,
         r == PTHREAD_CANCELED, cleanup_ran);
}

/* Cancellation pending before the call: it acts at the call's start, which then never blocks. */
static sem_t go;
static int after_getpid, after_lock;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *pending(void *arg) {
  int old;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  sem_post(&ready);
  sem_wait(&go); /* main cancels meanwhile */
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
  getpid(); /* not cancellation points */
  after_getpid = 1;
  pthread_mutex_lock(&m);
  pthread_mutex_unlock(&m);
  after_lock = 1;
  block_in((const char *)arg);
  return (void *)1;
}

static void cancel_pending(const char *what) {
  pthread_t t;
  void *r = 0;
  after_getpid = after_lock = 0;
  pthread_create(&t, 0, pending, (void *)what);
  sem_wait(&ready);
  int e = pthread_cancel(t);
  sem_post(&go);
  int j = pthread_join(t, &r);
  printf("cancel pending at %s: %d, join: %d, PTHREAD_CANCELED: %d, went past getpid and a mutex: %d\n", what, e, j,
         r == PTHREAD_CANCELED, after_getpid && after_lock);
}

/* Disabled, then a call that completes: the pending cancellation waits for the next point. */
static int read_ok;
static void *disabled_read(void *arg) {
  (void)arg;
  int old;
  char c;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  sem_post(&ready);
  sem_wait(&go);
  read_ok = read(pipefd[0], &c, 1) == 1 && c == 'x';
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
  pthread_testcancel();
  return (void *)1;
}

/* A reader of a trickle of bytes, cancelled at varying moments: before, in and after its reads. */
static void *trickle_reader(void *arg) {
  (void)arg;
  char c;
  sem_post(&ready);
  for (;;) read(pipefd[0], &c, 1);
  return 0;
}

static void cancel_trickle(int rounds) {
  int cancelled = 0;
  for (int i = 0; i < rounds; i++) {
    pthread_t t;
    void *r = 0;
    pthread_create(&t, 0, trickle_reader, 0);
    sem_wait(&ready);
    for (int k = 0; k < i % 4; k++) {
      write(pipefd[1], "z", 1);
      usleep((useconds_t)(i * 37 % 300));
    }
    pthread_cancel(t);
    pthread_join(t, &r);
    cancelled += r == PTHREAD_CANCELED;
  }
  printf("cancel a reader of a trickle, %d times: cancelled %d\n", rounds, cancelled);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "sleep")) {
    sleep(1000);
    return 0;
  }
  setvbuf(stdout, 0, _IOLBF, 0);
  sem_init(&ready, 0, 0);
  sem_init(&go, 0, 0);
  pipe(pipefd);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listener, (struct sockaddr *)&a, sizeof a);
  listen(listener, 4);
  udp = socket(AF_INET, SOCK_DGRAM, 0);
  bind(udp, (struct sockaddr *)&a, sizeof a);
  ep = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN, {0}};
  epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev);

  int holder = open("/tmp/conform_cancel.lock", O_RDWR | O_CREAT | O_TRUNC, 0600);
  lockfd = open("/tmp/conform_cancel.lock", O_RDWR);
  struct flock held = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0, .l_pid = 0};
  printf("OFD lock held: %d\n", fcntl(holder, F_OFD_SETLK, &held));
  unlink("/tmp/conform_cancel.lock");

  const char *reads[] = {"read", "readv", "accept", "recv", "recvfrom", "recvmsg", "poll", "select", "epoll_wait",
                         "pause", "sigsuspend", "nanosleep", "usleep", "fcntl"};
  for (unsigned i = 0; i < sizeof reads / sizeof *reads; i++) cancel_blocked(reads[i]);
  for (unsigned i = 0; i < sizeof reads / sizeof *reads; i++) cancel_pending(reads[i]);

  /* Writers: fill the pipe and the socket first, without blocking. */
  char buf[4096];
  memset(buf, 'y', sizeof buf);
  fcntl(pipefd[1], F_SETFL, O_NONBLOCK);
  while (write(pipefd[1], buf, sizeof buf) > 0) {}
  fcntl(pipefd[1], F_SETFL, 0);
  while (send(sv[1], buf, sizeof buf, MSG_DONTWAIT) > 0) {}
  cancel_blocked("write");
  cancel_blocked("send");
  cancel_pending("write");
  cancel_pending("send");
  cancel_pending("open");
  printf("  cancelled at open itself: %d\n", !after_open);
  page = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cancel_pending("tcdrain");
  printf("  cancelled at tcdrain itself: %d\n", !after_tcdrain);
  cancel_pending("msync");
  printf("  cancelled at msync itself: %d\n", !after_msync);

  /* Drain the pipe: the next read returns one byte. */
  fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  while (read(pipefd[0], buf, sizeof buf) > 0) {}
  fcntl(pipefd[0], F_SETFL, 0);
  write(pipefd[1], "x", 1);
  pthread_t t;
  void *r = 0;
  pthread_create(&t, 0, disabled_read, 0);
  sem_wait(&ready);
  int e = pthread_cancel(t);
  sem_post(&go);
  pthread_join(t, &r);
  printf("cancel while disabled: %d, its read completed: %d, cancelled at testcancel: %d\n", e, read_ok, r == PTHREAD_CANCELED);
  cancel_trickle(60);

  char *args[] = {argv[0], "sleep", 0};
  extern char **environ;
  if (posix_spawn(&child, argv[0], 0, 0, args, environ) == 0) {
    cancel_blocked("waitpid");
    cancel_pending("waitpid");
    kill(child, SIGKILL);
    int st = 0;
    printf("child killed: %d\n", waitpid(child, &st, 0) == child && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  }
  cancel_async();
  printf("done\n");
  return 0;
}
