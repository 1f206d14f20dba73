/*
 * eventfd(2) as Linux has it (differential: test/libos/net/conform-eventfd.test.ts compares the
 * output with the same program's on Linux): flags, the counter's read/write rules, EFD_SEMAPHORE,
 * the limits, poll and epoll readiness, blocking readers and writers woken by another thread,
 * readv/writev across iovecs, dup, and the libc's eventfd_read/eventfd_write.
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
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static const char *err(int r) {
  static char buf[32];
  if (r >= 0) {
    snprintf(buf, sizeof buf, "%d", r);
    return buf;
  }
  switch (errno) {
  case EAGAIN: return "EAGAIN";
  case EINVAL: return "EINVAL";
  case EBADF: return "EBADF";
  default: snprintf(buf, sizeof buf, "errno %d", errno); return buf;
  }
}

static int wr(int fd, uint64_t v) { return (int)write(fd, &v, sizeof v); }

static int rd(int fd, uint64_t *v) {
  *v = 0;
  return (int)read(fd, v, sizeof *v);
}

static const char *ready(int fd) {
  struct pollfd p = {fd, POLLIN | POLLOUT, 0};
  poll(&p, 1, 0);
  static char buf[32];
  snprintf(buf, sizeof buf, "%s%s%s", p.revents & POLLIN ? "IN" : "", p.revents & POLLOUT ? " OUT" : "",
           p.revents & ~(POLLIN | POLLOUT) ? " other" : "");
  return buf;
}

static void sleep_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, 0);
}

static int shared_fd;
static uint64_t got;

static void *blocking_reader(void *arg) {
  (void)arg;
  rd(shared_fd, &got);
  return 0;
}

static void *late_reader(void *arg) {
  (void)arg;
  sleep_ms(20);
  rd(shared_fd, &got);
  return 0;
}

int main(void) {
  uint64_t v;
  int fd = eventfd(0, 0);
  printf("eventfd(0, 0): ok %d, O_NONBLOCK %d, FD_CLOEXEC %d\n", fd >= 0, (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0,
         (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  int nb = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  printf("eventfd(0, NONBLOCK|CLOEXEC): ok %d, O_NONBLOCK %d, FD_CLOEXEC %d\n", nb >= 0,
         (fcntl(nb, F_GETFL) & O_NONBLOCK) != 0, (fcntl(nb, F_GETFD) & FD_CLOEXEC) != 0);
  printf("eventfd(0, 0x100): %s\n", err(eventfd(0, 0x100)));
  struct stat st;
  int r = fstat(nb, &st);
  printf("fstat: %s, size %lld, regular %d, fifo %d, socket %d\n", err(r), (long long)st.st_size, S_ISREG(st.st_mode),
         S_ISFIFO(st.st_mode), S_ISSOCK(st.st_mode));

  printf("empty: ready %s", ready(nb));
  printf(", read %s\n", err(rd(nb, &v)));
  printf("write 5: %s", err(wr(nb, 5)));
  printf(", ready %s\n", ready(nb));
  r = rd(nb, &v);
  printf("read: %s value %llu, ready %s\n", err(r), (unsigned long long)v, ready(nb));
  wr(nb, 3);
  wr(nb, 4);
  r = rd(nb, &v);
  printf("write 3, write 4, read: %s value %llu\n", err(r), (unsigned long long)v);
  printf("write 0: %s", err(wr(nb, 0)));
  printf(", ready %s\n", ready(nb));
  char small[4] = {0};
  printf("read 4 bytes: %s\n", err((int)read(nb, small, sizeof small)));
  printf("write 4 bytes: %s\n", err((int)write(nb, small, sizeof small)));
  uint64_t big[2] = {7, 9};
  printf("write 16 bytes: %s\n", err((int)write(nb, big, sizeof big)));
  uint64_t out[2] = {0, 0};
  r = (int)read(nb, out, sizeof out);
  printf("read 16 bytes: %s value %llu, second word untouched %d\n", err(r), (unsigned long long)out[0], out[1] == 0);
  printf("write 2^64-1: %s\n", err(wr(nb, UINT64_MAX)));
  printf("write 2^64-2: %s", err(wr(nb, UINT64_MAX - 1)));
  printf(", ready %s\n", ready(nb));
  printf("write 1 more: %s\n", err(wr(nb, 1)));
  r = rd(nb, &v);
  printf("read: %s value is 2^64-2 %d, ready %s\n", err(r), v == UINT64_MAX - 1, ready(nb));

  int sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
  printf("semaphore 3:");
  for (int i = 0; i < 4; i++) {
    r = rd(sem, &v);
    printf(" %s/%llu", err(r), (unsigned long long)v);
  }
  printf("\n");
  wr(sem, 2);
  printf("semaphore after write 2: ready %s\n", ready(sem));

  /* readv/writev: the 8 bytes may span iovecs */
  uint64_t val = 0x0102030405060708ULL, back = 0;
  struct iovec w2[2] = {{(char *)&val, 3}, {(char *)&val + 3, 5}};
  printf("writev 3+5: %s\n", err((int)writev(nb, w2, 2)));
  uint64_t two[2] = {2, 3};
  struct iovec w88[2] = {{(char *)&two[0], 8}, {(char *)&two[1], 8}};
  printf("writev 8+8: %s\n", err((int)writev(nb, w88, 2)));
  struct iovec w83[2] = {{(char *)&two[0], 8}, {(char *)&two[1], 3}};
  printf("writev 8+3: %s\n", err((int)writev(nb, w83, 2)));
  r = rd(nb, &v);
  printf("read: %s value %llu\n", err(r), (unsigned long long)v);
  write(nb, &val, sizeof val);
  struct iovec r2[2] = {{(char *)&back, 4}, {(char *)&back + 4, 4}};
  r = (int)readv(nb, r2, 2);
  printf("readv 4+4: %s value %llx\n", err(r), (unsigned long long)back);

  int d = dup(nb);
  wr(d, 11);
  r = rd(nb, &v);
  printf("write through dup, read through original: %s value %llu\n", err(r), (unsigned long long)v);
  close(d);

  /* epoll: level- and edge-triggered */
  int ep = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN | EPOLLET, {.u64 = 77}}, got_ev[2];
  epoll_ctl(ep, EPOLL_CTL_ADD, nb, &ev);
  printf("epoll empty: %d\n", epoll_wait(ep, got_ev, 2, 0));
  wr(nb, 1);
  r = epoll_wait(ep, got_ev, 2, 0);
  printf("epoll after write: %d data %llu IN %d\n", r, (unsigned long long)got_ev[0].data.u64, (got_ev[0].events & EPOLLIN) != 0);
  printf("epoll again (edge): %d\n", epoll_wait(ep, got_ev, 2, 0));
  wr(nb, 1);
  printf("epoll after another write: %d\n", epoll_wait(ep, got_ev, 2, 0));
  rd(nb, &v);
  printf("drained: %llu\n", (unsigned long long)v);
  close(ep);

  eventfd_t et = 0;
  printf("eventfd_write 9: %d\n", eventfd_write(nb, 9));
  r = eventfd_read(nb, &et);
  printf("eventfd_read: %d value %llu\n", r, (unsigned long long)et);

  /* A blocking reader woken by a write from another thread. */
  shared_fd = fd;
  pthread_t t;
  pthread_create(&t, 0, blocking_reader, 0);
  sleep_ms(20);
  wr(fd, 42);
  pthread_join(t, 0);
  printf("blocked reader woken by a write: %llu\n", (unsigned long long)got);
  /* A blocking writer (counter full) woken by a read from another thread. */
  wr(fd, UINT64_MAX - 1);
  got = 0;
  pthread_create(&t, 0, late_reader, 0);
  r = wr(fd, 5); /* blocks until the reader took the counter */
  pthread_join(t, 0);
  r = rd(fd, &v);
  printf("blocked writer woken by a read: reader got 2^64-2 %d, then %s value %llu\n", got == UINT64_MAX - 1, err(r),
         (unsigned long long)v);

  r = close(fd);
  printf("close: %d", r);
  r = close(nb);
  printf(" %d", r);
  r = close(sem);
  printf(" %d\n", r);
  printf("read after close: %s\n", err(rd(nb, &v)));
  printf("done\n");
  return 0;
}
