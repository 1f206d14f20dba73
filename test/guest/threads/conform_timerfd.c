/*
 * timerfd: one-shot and periodic timers read as expiration counts, a blocking read that waits for
 * the expiry, a non-blocking one (EAGAIN), poll and epoll readiness, an absolute CLOCK_REALTIME
 * time, timerfd_gettime and the old setting, a re-arm dropping unread expirations, a reader thread
 * woken by another's timer, Linux's errors. Prints facts that hold on any machine (counts and
 * ranges, not times); test/libos/threads/conform-timerfd.test.ts compares them with what the same
 * program prints on Linux (gcc -O2 -pthread, glibc).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "../conform_errno.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static struct itimerspec its(long value_ms, long interval_ms) {
  struct itimerspec s = {{interval_ms / 1000, (interval_ms % 1000) * 1000000L}, {value_ms / 1000, (value_ms % 1000) * 1000000L}};
  return s;
}

static double ms_of(struct timespec ts) { return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6; }

static int reader_fd;
static uint64_t reader_got;
static double reader_waited;
static volatile int reader_ready;
static void *reader(void *arg) {
  (void)arg;
  double t0 = now_ms();
  __atomic_store_n(&reader_ready, 1, __ATOMIC_SEQ_CST);
  read(reader_fd, &reader_got, sizeof reader_got);
  reader_waited = now_ms() - t0;
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int fd = timerfd_create(CLOCK_MONOTONIC, 0);
  printf("timerfd_create(CLOCK_MONOTONIC, 0): %d\n", fd >= 0);
  struct itimerspec cur, old;
  timerfd_gettime(fd, &cur);
  printf("  disarmed: %d\n", ms_of(cur.it_value) == 0 && ms_of(cur.it_interval) == 0);
  struct itimerspec v = its(50, 0);
  show("timerfd_settime 50 ms once", timerfd_settime(fd, 0, &v, NULL));
  timerfd_gettime(fd, &cur);
  printf("  timerfd_gettime: left in (0, 50] ms: %d\n", ms_of(cur.it_value) > 0 && ms_of(cur.it_value) <= 50);
  uint64_t n = 0;
  double t0 = now_ms();
  show("  read (blocks until the expiry)", read(fd, &n, sizeof n));
  printf("  expirations %llu, waited at least 40 ms: %d\n", (unsigned long long)n, now_ms() - t0 >= 40);
  uint32_t small;
  show("  read of 4 bytes", read(fd, &small, sizeof small));
  show("  write", write(fd, &n, sizeof n));

  /* Periodic, non-blocking. */
  int nb = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  printf("timerfd_create(TFD_NONBLOCK | TFD_CLOEXEC): %d, FD_CLOEXEC: %d\n", nb >= 0, (fcntl(nb, F_GETFD) & FD_CLOEXEC) != 0);
  show("  read before arming", read(nb, &n, sizeof n));
  v = its(20, 20);
  show("timerfd_settime every 20 ms", timerfd_settime(nb, 0, &v, NULL));
  nap_ms(110);
  n = 0;
  show("  read after 110 ms", read(nb, &n, sizeof n));
  printf("  expirations from 4 to 6: %d\n", n >= 4 && n <= 6);
  show("  read again at once", read(nb, &n, sizeof n));
  struct pollfd pfd = {nb, POLLIN, 0};
  printf("  poll(0 ms) right after the read: %d\n", poll(&pfd, 1, 0));
  int pr = poll(&pfd, 1, 100);
  printf("  poll(100 ms): %d, POLLIN: %d\n", pr, (pfd.revents & POLLIN) != 0);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
  epoll_ctl(ep, EPOLL_CTL_ADD, nb, &ev);
  read(nb, &n, sizeof n);
  struct epoll_event out;
  int k = epoll_wait(ep, &out, 1, 200);
  printf("  epoll_wait: %d, data 77: %d\n", k, k == 1 && out.data.u64 == 77);
  v = its(0, 0);
  show("timerfd_settime 0 (disarm), asking the old", timerfd_settime(nb, 0, &v, &old));
  printf("  old interval 20 ms: %d, old left at most 20 ms: %d\n", ms_of(old.it_interval) == 20, ms_of(old.it_value) <= 20);
  show("  read after the disarm (unread expirations dropped)", read(nb, &n, sizeof n));
  close(ep);

  /* A re-arm drops the unread expirations; an absolute CLOCK_REALTIME time. */
  int rt = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
  v = its(10, 0);
  timerfd_settime(rt, 0, &v, NULL);
  nap_ms(40);
  v = its(500, 0);
  timerfd_settime(rt, 0, &v, NULL);
  show("read after a re-arm", read(rt, &n, sizeof n));
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  struct itimerspec at = {{0, 0}, wall};
  at.it_value.tv_nsec += 30000000L;
  if (at.it_value.tv_nsec >= 1000000000L) at.it_value.tv_sec++, at.it_value.tv_nsec -= 1000000000L;
  show("timerfd_settime TFD_TIMER_ABSTIME realtime now + 30 ms", timerfd_settime(rt, TFD_TIMER_ABSTIME, &at, NULL));
  pfd.fd = rt;
  printf("  poll(500 ms): %d\n", poll(&pfd, 1, 500));
  n = 0;
  read(rt, &n, sizeof n);
  printf("  expirations: %llu\n", (unsigned long long)n);

  /* A thread blocked in read is woken by the expiry. */
  reader_fd = timerfd_create(CLOCK_MONOTONIC, 0);
  pthread_t th;
  pthread_create(&th, NULL, reader, NULL);
  while (!__atomic_load_n(&reader_ready, __ATOMIC_SEQ_CST)) nap_ms(1);
  nap_ms(20);
  v = its(60, 0);
  timerfd_settime(reader_fd, 0, &v, NULL);
  pthread_join(th, NULL);
  printf("a thread blocked in read: woken with %llu expiration(s), after at least 60 ms: %d\n", (unsigned long long)reader_got, reader_waited >= 60);

  /* Errors. */
  errno = 0;
  show("timerfd_create(clock 99)", timerfd_create(99, 0));
  show("timerfd_create(CLOCK_PROCESS_CPUTIME_ID)", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
  show("timerfd_create, flags 1", timerfd_create(CLOCK_MONOTONIC, 1));
  struct itimerspec bad = {{0, 0}, {0, 1000000000L}};
  show("timerfd_settime, tv_nsec 1e9", timerfd_settime(fd, 0, &bad, NULL));
  v = its(10, 0);
  show("timerfd_settime, flags 8", timerfd_settime(fd, 8, &v, NULL));
  int pp[2];
  pipe(pp);
  show("timerfd_settime of a pipe", timerfd_settime(pp[0], 0, &v, NULL));
  show("timerfd_settime of a closed fd", timerfd_settime(999, 0, &v, NULL));
  show("timerfd_gettime of a closed fd", timerfd_gettime(999, &cur));
  close(fd);
  close(nb);
  close(rt);
  close(reader_fd);
  return 0;
}
