/* Differential conformance of readiness: epoll, poll and select on pipes, socketpairs, loopback
 * TCP, UDP, unix sockets and a regular file. One line per case (return value, errno name, event
 * names); no fds, addresses or timings, so the output is the same on every run. Built natively
 * with gcc -pthread it prints Linux's answers (test/libos/net/conform-poll.test.ts asserts them
 * under occlum-ts). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include "net_util.h"

static const char *ename(int e) {
  switch (e) {
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    case ELOOP: return "ELOOP";
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    case ENOSYS: return "ENOSYS";
    case ENOTSUP: return "ENOTSUP";
    case ENOMEM: return "ENOMEM";
    case EINPROGRESS: return "EINPROGRESS";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case ENOTCONN: return "ENOTCONN";
    default: return "E?";
  }
}

/* "name: ret" or "name: -1 ENAME" */
static void res(const char *name, int r) {
  if (r < 0) printf("%s: %d %s\n", name, r, ename(errno));
  else printf("%s: %d\n", name, r);
}

/* epoll event bits by name, in a fixed order */
static const char *evnames(uint32_t e) {
  static char buf[128];
  static const struct { uint32_t bit; const char *name; } names[] = {
    {EPOLLIN, "IN"}, {EPOLLPRI, "PRI"}, {EPOLLOUT, "OUT"}, {EPOLLERR, "ERR"}, {EPOLLHUP, "HUP"},
    {EPOLLRDNORM, "RDNORM"}, {EPOLLRDBAND, "RDBAND"}, {EPOLLWRNORM, "WRNORM"}, {EPOLLWRBAND, "WRBAND"},
    {EPOLLMSG, "MSG"}, {EPOLLRDHUP, "RDHUP"},
  };
  buf[0] = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (e & names[i].bit) {
      if (buf[0]) strcat(buf, "|");
      strcat(buf, names[i].name);
      e &= ~names[i].bit;
    }
  }
  if (e) sprintf(buf + strlen(buf), "%s0x%x", buf[0] ? "|" : "", e);
  if (!buf[0]) strcpy(buf, "0");
  return buf;
}

/* poll bits by name; POLLRDHUP where the libc defines it */
static const char *pnames(short e) {
  static char buf[128];
  static const struct { short bit; const char *name; } names[] = {
    {POLLIN, "IN"}, {POLLPRI, "PRI"}, {POLLOUT, "OUT"}, {POLLERR, "ERR"}, {POLLHUP, "HUP"}, {POLLNVAL, "NVAL"},
    {POLLRDNORM, "RDNORM"}, {POLLWRNORM, "WRNORM"},
#ifdef POLLRDBAND
    {POLLRDBAND, "RDBAND"}, {POLLWRBAND, "WRBAND"},
#endif
#ifdef POLLRDHUP
    {POLLRDHUP, "RDHUP"},
#endif
  };
  buf[0] = 0;
  unsigned short u = (unsigned short)e;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    unsigned short b = (unsigned short)names[i].bit;
    if (u & b) {
      if (buf[0]) strcat(buf, "|");
      strcat(buf, names[i].name);
      u &= ~b;
    }
  }
  if (u) sprintf(buf + strlen(buf), "%s0x%x", buf[0] ? "|" : "", u);
  if (!buf[0]) strcpy(buf, "0");
  return buf;
}

static int add(int ep, int fd, uint32_t events, uint64_t data) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.u64 = data;
  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.u64 = data;
  return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* epoll_wait(ep, max, timeout) printed as "name: n [data=events ...]" (events in returned order) */
static void ewait(const char *name, int ep, int max, int timeout) {
  struct epoll_event got[16];
  memset(got, 0, sizeof got);
  int n = epoll_wait(ep, got, max, timeout);
  if (n < 0) {
    printf("%s: -1 %s\n", name, ename(errno));
    return;
  }
  printf("%s: %d", name, n);
  for (int i = 0; i < n; i++) printf(" %llu=%s", (unsigned long long)got[i].data.u64, evnames(got[i].events));
  printf("\n");
}

static void epoll_ctl_errors(void) {
  int ep = epoll_create1(0);
  CHECK(ep);
  int p[2];
  CHECK(pipe(p));
  res("ctl add", add(ep, p[0], EPOLLIN, 1));
  res("ctl add twice", add(ep, p[0], EPOLLIN, 1));
  res("ctl mod unregistered", mod(ep, p[1], EPOLLOUT, 2));
  res("ctl del unregistered", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
  res("ctl epfd not epoll", add(p[0], p[1], EPOLLOUT, 2));
  res("ctl add itself", add(ep, ep, EPOLLIN, 3));
  int f = open("/tmp/conform_poll.txt", O_CREAT | O_RDWR | O_TRUNC, 0600);
  CHECK(f);
  res("ctl regular file", add(ep, f, EPOLLIN, 4));
  res("ctl bad fd", add(ep, 999, EPOLLIN, 5));
  res("ctl bad epfd", add(999, p[0], EPOLLIN, 5));
  res("ctl bad op", epoll_ctl(ep, 77, p[0], NULL) < 0 ? -1 : 0);
  {
    struct epoll_event ev = {.events = EPOLLIN};
    res("ctl bad op with event", epoll_ctl(ep, 77, p[0], &ev));
  }
  res("ctl del NULL event", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  res("ctl del again", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  res("ctl mod after del", mod(ep, p[0], EPOLLIN, 1));
  res("ctl add exclusive", add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 6));
  res("ctl mod exclusive", mod(ep, p[0], EPOLLIN, 6));
  res("ctl del exclusive", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  res("ctl add exclusive oneshot", add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 6));
  res("ctl add", add(ep, p[0], EPOLLIN, 1));
  res("ctl mod to exclusive", mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 6));
  res("epoll_create1 bad flags", epoll_create1(12345));
  int c = epoll_create(0);
  res("epoll_create 0", c < 0 ? c : 0);
  c = epoll_create(1);
  res("epoll_create 1", c < 0 ? c : 0);
  if (c >= 0) close(c);
  c = epoll_create1(EPOLL_CLOEXEC);
  res("epoll_create1 cloexec", c < 0 ? c : 0);
  if (c >= 0) {
    int fl = fcntl(c, F_GETFD);
    printf("cloexec flag: %d\n", fl >= 0 && (fl & FD_CLOEXEC) ? 1 : 0);
    close(c);
  }
  /* nested epolls: a loop of two is ELOOP */
  int e2 = epoll_create1(0);
  CHECK(e2);
  res("ctl add epoll in epoll", add(ep, e2, EPOLLIN, 7));
  res("ctl add loop", add(e2, ep, EPOLLIN, 8));
  close(e2);
  {
    struct epoll_event got[1];
    volatile int minus1 = -1;
    res("wait maxevents -1", epoll_wait(ep, got, minus1, 0));
    res("wait maxevents 0", epoll_wait(ep, got, 0, 0));
    res("wait bad epfd", epoll_wait(999, got, 1, 0));
    res("wait epfd not epoll", epoll_wait(p[0], got, 1, 0));
  }
  ewait("wait timeout 0", ep, 4, 0);
  ewait("wait timeout 10", ep, 4, 10);
  close(f);
  unlink("/tmp/conform_poll.txt");
  close(p[0]);
  close(p[1]);
  close(ep);
}

static void epoll_triggers(void) {
  int ep = epoll_create1(0);
  CHECK(ep);
  int lt[2], et[2], os[2];
  CHECK(pipe(lt));
  CHECK(pipe(et));
  CHECK(pipe(os));
  CHECK(add(ep, lt[0], EPOLLIN, 1));
  CHECK(add(ep, et[0], EPOLLIN | EPOLLET, 2));
  CHECK(add(ep, os[0], EPOLLIN | EPOLLONESHOT, 3));
  ewait("trig empty", ep, 8, 0);
  CHECK(write(lt[1], "a", 1));
  CHECK(write(et[1], "a", 1));
  CHECK(write(os[1], "a", 1));
  ewait("trig first", ep, 8, 0);
  ewait("trig second", ep, 8, 0);
  CHECK(write(et[1], "b", 1));
  CHECK(write(os[1], "b", 1));
  ewait("trig more data", ep, 8, 0);
  ewait("trig more data again", ep, 8, 0);
  res("oneshot mod", mod(ep, os[0], EPOLLIN | EPOLLONESHOT, 33));
  ewait("trig after mod", ep, 8, 0);
  ewait("trig after mod again", ep, 8, 0);
  res("oneshot mod out", mod(ep, os[0], EPOLLOUT, 34));
  ewait("trig oneshot mod out", ep, 8, 0);
  char buf[8];
  CHECK(read(lt[0], buf, sizeof buf));
  ewait("trig lt drained", ep, 8, 0);
  /* ET on a socketpair: once per new data */
  int sp[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
  CHECK(add(ep, sp[0], EPOLLIN | EPOLLET, 4));
  ewait("et sock empty", ep, 8, 0);
  CHECK(write(sp[1], "x", 1));
  ewait("et sock data", ep, 8, 0);
  ewait("et sock again", ep, 8, 0);
  CHECK(write(sp[1], "y", 1));
  ewait("et sock new data", ep, 8, 0);
  /* ET with IN|OUT: a new event re-reports OUT as well */
  CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, sp[0], NULL));
  CHECK(add(ep, sp[0], EPOLLIN | EPOLLOUT | EPOLLET, 5));
  ewait("et inout first", ep, 8, 0);
  ewait("et inout again", ep, 8, 0);
  CHECK(write(sp[1], "z", 1));
  ewait("et inout new data", ep, 8, 0);
  close(sp[0]);
  close(sp[1]);
  /* DEL/close: closing the only fd of a registered file drops it; a dup keeps it */
  int d = dup(et[0]);
  CHECK(d);
  close(et[0]);
  CHECK(write(et[1], "c", 1));
  ewait("closed fd with dup", ep, 8, 0);
  res("del closed fd", epoll_ctl(ep, EPOLL_CTL_DEL, et[0], NULL));
  close(d);
  ewait("closed last fd", ep, 8, 0);
  close(lt[0]); close(lt[1]); close(et[1]); close(os[0]); close(os[1]);
  close(ep);
}

static void epoll_hangups(void) {
  int ep = epoll_create1(0);
  CHECK(ep);
  int p[2];
  CHECK(pipe(p));
  CHECK(add(ep, p[1], EPOLLOUT, 1));
  ewait("pipe writer fresh", ep, 8, 0);
  CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
  CHECK(add(ep, p[0], EPOLLIN | EPOLLRDHUP, 2));
  CHECK(write(p[1], "x", 1));
  close(p[1]);
  ewait("pipe reader, writer closed, data", ep, 8, 0);
  char buf[8];
  CHECK(read(p[0], buf, sizeof buf));
  ewait("pipe reader, writer closed, empty", ep, 8, 0);
  close(p[0]);
  CHECK(pipe(p));
  CHECK(add(ep, p[0], 0, 3));
  close(p[1]);
  ewait("pipe reader events 0, writer closed", ep, 8, 0);
  close(p[0]);
  CHECK(pipe(p));
  CHECK(add(ep, p[1], EPOLLOUT, 4));
  close(p[0]);
  ewait("pipe writer, reader closed", ep, 8, 0);
  close(p[1]);
  CHECK(pipe(p));
  CHECK(add(ep, p[1], 0, 5));
  close(p[0]);
  ewait("pipe writer events 0, reader closed", ep, 8, 0);
  close(p[1]);

  int s[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
  CHECK(add(ep, s[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP, 6));
  ewait("sockpair fresh", ep, 8, 0);
  CHECK(shutdown(s[1], SHUT_WR));
  ewait("sockpair peer shut wr", ep, 8, 0);
  CHECK(shutdown(s[0], SHUT_WR));
  ewait("sockpair both shut wr", ep, 8, 0);
  close(s[0]);
  close(s[1]);
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
  CHECK(add(ep, s[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP, 7));
  CHECK(write(s[1], "q", 1));
  close(s[1]);
  ewait("sockpair peer closed", ep, 8, 0);
  CHECK(shutdown(s[0], SHUT_RD));
  close(s[0]);
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
  CHECK(add(ep, s[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP, 8));
  CHECK(shutdown(s[0], SHUT_RD));
  ewait("sockpair self shut rd", ep, 8, 0);
  close(s[0]);
  close(s[1]);
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
  CHECK(add(ep, s[0], EPOLLIN | EPOLLOUT, 9));
  CHECK(shutdown(s[0], SHUT_RDWR));
  ewait("sockpair self shut rdwr", ep, 8, 0);
  close(s[0]);
  close(s[1]);
  CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, s));
  CHECK(add(ep, s[0], EPOLLIN | EPOLLOUT, 10));
  ewait("dgram pair fresh", ep, 8, 0);
  CHECK(write(s[1], "q", 1));
  ewait("dgram pair data", ep, 8, 0);
  close(s[0]);
  close(s[1]);
  close(ep);
}

static void epoll_nested_and_rotation(void) {
  int inner = epoll_create1(0), outer = epoll_create1(0);
  CHECK(inner);
  CHECK(outer);
  int p[2];
  CHECK(pipe(p));
  CHECK(add(inner, p[0], EPOLLIN, 1));
  CHECK(add(outer, inner, EPOLLIN | EPOLLOUT, 2));
  ewait("nested idle", outer, 8, 0);
  CHECK(write(p[1], "x", 1));
  ewait("nested ready", outer, 8, 0);
  ewait("inner ready", inner, 8, 0);
  char buf[8];
  CHECK(read(p[0], buf, sizeof buf));
  ewait("nested drained", outer, 8, 0);
  close(p[0]);
  close(p[1]);
  close(inner);
  close(outer);

  int ep = epoll_create1(0);
  CHECK(ep);
  int q[4][2];
  for (int i = 0; i < 4; i++) {
    CHECK(pipe(q[i]));
    CHECK(add(ep, q[i][0], EPOLLIN, 10 + i));
    CHECK(write(q[i][1], "x", 1));
  }
  /* maxevents 1 and 3 over 4 ready level-triggered fds: every fd gets its turn */
  struct epoll_event got[4];
  int seen[4] = {0};
  int total = 0;
  for (int k = 0; k < 4; k++) {
    int n = epoll_wait(ep, got, 1, 0);
    if (n == 1 && got[0].data.u64 >= 10 && got[0].data.u64 < 14) seen[got[0].data.u64 - 10]++;
    total += n;
  }
  printf("rotation maxevents 1 x4: total %d each %d %d %d %d\n", total, seen[0], seen[1], seen[2], seen[3]);
  memset(seen, 0, sizeof seen);
  total = 0;
  for (int k = 0; k < 4; k++) {
    int n = epoll_wait(ep, got, 3, 0);
    for (int i = 0; i < n; i++) if (got[i].data.u64 >= 10 && got[i].data.u64 < 14) seen[got[i].data.u64 - 10]++;
    total += n;
  }
  printf("rotation maxevents 3 x4: total %d each %d %d %d %d\n", total, seen[0], seen[1], seen[2], seen[3]);
  for (int i = 0; i < 4; i++) {
    close(q[i][0]);
    close(q[i][1]);
  }
  close(ep);
}

static void epoll_tcp(void) {
  int ep = epoll_create1(0);
  CHECK(ep);
  int port;
  int l = listen_loopback4(4, &port);
  CHECK(add(ep, l, EPOLLIN | EPOLLOUT, 1));
  ewait("tcp listener idle", ep, 8, 0);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(c);
  CHECK(add(ep, c, EPOLLIN | EPOLLOUT | EPOLLRDHUP, 2));
  ewait("tcp unconnected socket", ep, 8, 0);
  CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL));
  struct sockaddr_in a = loopback4(port);
  CHECK(connect(c, (struct sockaddr *)&a, sizeof a));
  ewait("tcp listener pending", ep, 8, 1000);
  int s = accept(l, NULL, NULL);
  CHECK(s);
  ewait("tcp listener accepted", ep, 8, 0);
  CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, l, NULL));
  CHECK(add(ep, c, EPOLLIN | EPOLLOUT | EPOLLRDHUP, 2));
  ewait("tcp client connected", ep, 8, 0);
  CHECK(write(s, "hi", 2));
  CHECK(mod(ep, c, EPOLLIN | EPOLLRDHUP, 2));
  ewait("tcp client data", ep, 8, 1000);
  char buf[8];
  CHECK(read(c, buf, sizeof buf));
  ewait("tcp client drained", ep, 8, 0);
  CHECK(shutdown(s, SHUT_WR));
  ewait("tcp peer shut wr", ep, 8, 1000);
  CHECK(mod(ep, c, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, 2));
  ewait("tcp peer shut wr, all", ep, 8, 0);
  close(s);
  close(c);
  close(l);
  close(ep);
}

static void poll_cases(void) {
  int p[2];
  CHECK(pipe(p));
  struct pollfd f[4];
  f[0] = (struct pollfd){.fd = p[0], .events = POLLIN};
  f[1] = (struct pollfd){.fd = p[1], .events = POLLOUT};
  f[2] = (struct pollfd){.fd = -1, .events = POLLIN, .revents = 0x7};
  f[3] = (struct pollfd){.fd = 999, .events = POLLIN};
  int r = poll(f, 4, 0);
  printf("poll pipe: %d %s", r, pnames(f[0].revents));
  printf(" %s", pnames(f[1].revents));
  printf(" %s", pnames(f[2].revents));
  printf(" %s\n", pnames(f[3].revents));
  CHECK(write(p[1], "x", 1));
  f[0].events = POLLIN | POLLOUT | POLLPRI;
  r = poll(f, 2, 0);
  printf("poll data: %d %s", r, pnames(f[0].revents));
  printf(" %s\n", pnames(f[1].revents));
  f[0].events = 0;
  r = poll(f, 1, 0);
  printf("poll events 0: %d %s\n", r, pnames(f[0].revents));
  f[0].events = POLLRDNORM;
  r = poll(f, 1, 0);
  /* (wasix-libc's POLLRDNORM is POLLIN: print the bit asked for, not the names) */
  printf("poll rdnorm: %d %d\n", r, (f[0].revents & POLLRDNORM) != 0);
  f[1].events = POLLWRNORM;
  r = poll(&f[1], 1, 0);
  printf("poll wrnorm: %d %d\n", r, (f[1].revents & POLLWRNORM) != 0);
  close(p[1]);
  f[0].events = POLLIN;
  r = poll(f, 1, 0);
  printf("poll writer closed, data: %d %s\n", r, pnames(f[0].revents));
  char buf[8];
  CHECK(read(p[0], buf, sizeof buf));
  r = poll(f, 1, 0);
  printf("poll writer closed, empty: %d %s\n", r, pnames(f[0].revents));
  f[0].events = 0;
  r = poll(f, 1, 0);
  printf("poll writer closed, events 0: %d %s\n", r, pnames(f[0].revents));
  close(p[0]);
  CHECK(pipe(p));
  close(p[0]);
  f[0] = (struct pollfd){.fd = p[1], .events = POLLOUT};
  r = poll(f, 1, 0);
  printf("poll reader closed: %d %s\n", r, pnames(f[0].revents));
  f[0].events = 0;
  r = poll(f, 1, 0);
  printf("poll reader closed, events 0: %d %s\n", r, pnames(f[0].revents));
  close(p[1]);
  CHECK(pipe(p));
  f[0] = (struct pollfd){.fd = p[0], .events = POLLIN};
  r = poll(f, 1, 10);
  printf("poll timeout 10: %d %s\n", r, pnames(f[0].revents));
  res("poll nfds 0", poll(NULL, 0, 0));
  res("poll nfds 0 timeout 10", poll(NULL, 0, 10));
  f[0] = (struct pollfd){.fd = -1, .events = POLLIN};
  res("poll only fd -1", poll(f, 1, 0));
  f[0] = (struct pollfd){.fd = 999, .events = 0};
  r = poll(f, 1, 0);
  printf("poll bad fd events 0: %d %s\n", r, pnames(f[0].revents));
  close(p[0]);
  close(p[1]);

  int s[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
  f[0] = (struct pollfd){.fd = s[0], .events = POLLIN | POLLOUT};
  r = poll(f, 1, 0);
  printf("poll sockpair fresh: %d %s\n", r, pnames(f[0].revents));
  CHECK(write(s[1], "x", 1));
  r = poll(f, 1, 0);
  printf("poll sockpair data: %d %s\n", r, pnames(f[0].revents));
#ifdef POLLRDHUP
  f[0].events = POLLIN | POLLRDHUP;
#endif
  CHECK(shutdown(s[1], SHUT_WR));
  r = poll(f, 1, 0);
  printf("poll sockpair peer shut wr: %d %s\n", r, pnames(f[0].revents));
  close(s[1]);
  f[0].events = POLLIN | POLLOUT;
  r = poll(f, 1, 0);
  printf("poll sockpair peer closed: %d %s\n", r, pnames(f[0].revents));
  close(s[0]);

  int port;
  int l = listen_loopback4(4, &port);
  f[0] = (struct pollfd){.fd = l, .events = POLLIN | POLLOUT};
  r = poll(f, 1, 0);
  printf("poll listener idle: %d %s\n", r, pnames(f[0].revents));
  int c = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(c);
  f[1] = (struct pollfd){.fd = c, .events = POLLIN | POLLOUT};
  r = poll(&f[1], 1, 0);
  printf("poll unconnected tcp: %d %s\n", r, pnames(f[1].revents));
  struct sockaddr_in a = loopback4(port);
  CHECK(connect(c, (struct sockaddr *)&a, sizeof a));
  r = poll(f, 1, 1000);
  printf("poll listener pending: %d %s\n", r, pnames(f[0].revents));
  int sv = accept(l, NULL, NULL);
  CHECK(sv);
  r = poll(&f[1], 1, 0);
  printf("poll tcp connected: %d %s\n", r, pnames(f[1].revents));
  close(sv);
  f[1].events = POLLIN;
  r = poll(&f[1], 1, 1000);
  printf("poll tcp peer closed: %d %s\n", r, pnames(f[1].revents));
  close(c);
  close(l);

  int fd = open("/tmp/conform_poll.txt", O_CREAT | O_RDWR | O_TRUNC, 0600);
  CHECK(fd);
  f[0] = (struct pollfd){.fd = fd, .events = POLLIN | POLLOUT};
  r = poll(f, 1, 0);
  printf("poll regular file: %d %s\n", r, pnames(f[0].revents));
  close(fd);
  unlink("/tmp/conform_poll.txt");
}

static void sel(const char *name, int nfds, int *rd, int *wr, int *ex, int n, int timeout_ms) {
  fd_set r, w, e;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_ZERO(&e);
  for (int i = 0; i < n; i++) {
    if (rd && rd[i] >= 0) FD_SET(rd[i], &r);
    if (wr && wr[i] >= 0) FD_SET(wr[i], &w);
    if (ex && ex[i] >= 0) FD_SET(ex[i], &e);
  }
  struct timeval tv = {0, timeout_ms * 1000};
  int k = select(nfds, &r, &w, &e, timeout_ms < 0 ? NULL : &tv);
  if (k < 0) {
    printf("%s: -1 %s\n", name, ename(errno));
    return;
  }
  printf("%s: %d r", name, k);
  for (int i = 0; i < n; i++) printf("%d", rd && rd[i] >= 0 ? FD_ISSET(rd[i], &r) != 0 : 0);
  printf(" w");
  for (int i = 0; i < n; i++) printf("%d", wr && wr[i] >= 0 ? FD_ISSET(wr[i], &w) != 0 : 0);
  printf(" e");
  for (int i = 0; i < n; i++) printf("%d", ex && ex[i] >= 0 ? FD_ISSET(ex[i], &e) != 0 : 0);
  printf("\n");
}

static void select_cases(void) {
  int p[2], s[2];
  CHECK(pipe(p));
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
  int hi = (p[0] > p[1] ? p[0] : p[1]);
  hi = s[0] > hi ? s[0] : hi;
  hi = s[1] > hi ? s[1] : hi;
  int all[4] = {p[0], p[1], s[0], s[1]};
  sel("select idle", hi + 1, all, all, all, 4, 0);
  CHECK(write(p[1], "x", 1));
  CHECK(write(s[1], "y", 1));
  sel("select data", hi + 1, all, all, all, 4, 0);
  sel("select nfds too small", p[0] + 1, all, all, all, 4, 0);
  sel("select reads only", hi + 1, all, NULL, NULL, 4, 10);
  res("select nothing timeout 0", select(0, NULL, NULL, NULL, &(struct timeval){0, 0}));
  res("select nothing timeout 10ms", select(0, NULL, NULL, NULL, &(struct timeval){0, 10000}));
  res("select negative nfds", select(-1, NULL, NULL, NULL, &(struct timeval){0, 0}));
  res("select bad timeout", select(0, NULL, NULL, NULL, &(struct timeval){0, -1}));
  {
    int q[2];
    CHECK(pipe(q));
    close(q[1]);
    int rd[1] = {q[0]};
    sel("select reader of closed pipe", q[0] + 1, rd, NULL, rd, 1, 0);
    close(q[0]);
    CHECK(pipe(q));
    close(q[0]);
    int wr[1] = {q[1]};
    sel("select writer of closed pipe", q[1] + 1, NULL, wr, wr, 1, 0);
    close(q[1]);
  }
  close(s[1]);
  {
    int rd[1] = {s[0]};
    char buf[4];
    CHECK(read(s[0], buf, sizeof buf));
    sel("select sockpair peer closed", s[0] + 1, rd, rd, rd, 1, 0);
  }
  int closed = s[1];
  {
    int rd[1] = {closed};
    sel("select closed fd read", closed + 1, rd, NULL, NULL, 1, 0);
    sel("select closed fd write", closed + 1, NULL, rd, NULL, 1, 0);
    sel("select closed fd except", closed + 1, NULL, NULL, rd, 1, 0);
  }
  {
    int port;
    int l = listen_loopback4(4, &port);
    int rd[1] = {l};
    sel("select listener idle", l + 1, rd, rd, rd, 1, 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(c);
    struct sockaddr_in a = loopback4(port);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a));
    sel("select listener pending", l + 1, rd, NULL, NULL, 1, 1000);
    int sv = accept(l, NULL, NULL);
    CHECK(sv);
    int cc[1] = {c};
    sel("select tcp connected", c + 1, cc, cc, cc, 1, 0);
    CHECK(write(sv, "z", 1));
    sel("select tcp data", c + 1, cc, NULL, NULL, 1, 1000);
    close(sv);
    close(c);
    close(l);
  }
  close(p[0]);
  close(p[1]);
  close(s[0]);
}


/* Blocking waits, woken by another thread's write 50 ms later, or by a signal (EINTR). */
static int wake_fd;
static void *write_later(void *arg) {
  (void)arg;
  usleep(50000);
  if (write(wake_fd, "w", 1) != 1) printf("FAIL write_later\n");
  return NULL;
}

static void on_alarm(int sig) {
  (void)sig;
}

static void blocking_cases(void) {
  int p[2];
  pthread_t th;
  char buf[8];
  CHECK(pipe(p));
  wake_fd = p[1];
  struct pollfd f = {.fd = p[0], .events = POLLIN};
  pthread_create(&th, NULL, write_later, NULL);
  int r = poll(&f, 1, -1);
  printf("block poll woken: %d %s\n", r, pnames(f.revents));
  pthread_join(th, NULL);
  CHECK(read(p[0], buf, sizeof buf));
  pthread_create(&th, NULL, write_later, NULL);
  r = poll(&f, 1, 5000);
  printf("block poll timeout woken: %d %s\n", r, pnames(f.revents));
  pthread_join(th, NULL);
  CHECK(read(p[0], buf, sizeof buf));
  {
    struct timespec ts = {5, 0};
    pthread_create(&th, NULL, write_later, NULL);
    r = ppoll(&f, 1, &ts, NULL);
    printf("block ppoll woken: %d %s\n", r, pnames(f.revents));
    pthread_join(th, NULL);
    CHECK(read(p[0], buf, sizeof buf));
  }
  {
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    pthread_create(&th, NULL, write_later, NULL);
    r = select(p[0] + 1, &rd, NULL, NULL, NULL);
    printf("block select woken: %d %d\n", r, FD_ISSET(p[0], &rd) != 0);
    pthread_join(th, NULL);
    CHECK(read(p[0], buf, sizeof buf));
    struct timeval tv = {0, 20000};
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    r = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("block select timeout: %d %d tv %ld.%06ld\n", r, FD_ISSET(p[0], &rd) != 0, (long)tv.tv_sec, (long)tv.tv_usec);
  }
  {
    int ep = epoll_create1(0);
    CHECK(ep);
    CHECK(add(ep, p[0], EPOLLIN, 42));
    pthread_create(&th, NULL, write_later, NULL);
    ewait("block epoll_wait woken", ep, 8, -1);
    pthread_join(th, NULL);
    CHECK(read(p[0], buf, sizeof buf));
    CHECK(add(ep, p[1], EPOLLOUT | EPOLLET, 43));
    ewait("block epoll et writer", ep, 8, 0);
    ewait("block epoll et writer again", ep, 8, 10);
    close(ep);
  }
  /* a signal ends a blocked wait with EINTR (no SA_RESTART: poll, select and epoll_wait never restart) */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {0, 30000}};
  setitimer(ITIMER_REAL, &it, NULL);
  r = poll(&f, 1, 5000);
  printf("block poll signal: %d %s\n", r, r < 0 ? ename(errno) : "-");
  setitimer(ITIMER_REAL, &it, NULL);
  {
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    r = select(p[0] + 1, &rd, NULL, NULL, NULL);
    printf("block select signal: %d %s\n", r, r < 0 ? ename(errno) : "-");
  }
  {
    int ep = epoll_create1(0);
    CHECK(ep);
    CHECK(add(ep, p[0], EPOLLIN, 42));
    setitimer(ITIMER_REAL, &it, NULL);
    ewait("block epoll_wait signal", ep, 8, 5000);
    close(ep);
  }
  /* poll with the same fd twice: each entry gets its own events */
  struct pollfd two[2] = {{.fd = p[1], .events = POLLOUT}, {.fd = p[1], .events = POLLIN}};
  r = poll(two, 2, 0);
  printf("poll same fd twice: %d %s", r, pnames(two[0].revents));
  printf(" %s\n", pnames(two[1].revents));
  close(p[0]);
  close(p[1]);
}

static void udp_cases(void) {
  int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(a);
  CHECK(b);
  struct sockaddr_in la = loopback4(0);
  CHECK(bind(a, (struct sockaddr *)&la, sizeof la));
  socklen_t len = sizeof la;
  CHECK(getsockname(a, (struct sockaddr *)&la, &len));
  int ep = epoll_create1(0);
  CHECK(ep);
  CHECK(add(ep, a, EPOLLIN | EPOLLOUT, 1));
  ewait("udp fresh", ep, 8, 0);
  CHECK(mod(ep, a, EPOLLIN, 1));
  CHECK(sendto(b, "u", 1, 0, (struct sockaddr *)&la, sizeof la));
  ewait("udp datagram", ep, 8, 1000);
  struct pollfd f = {.fd = a, .events = POLLIN | POLLOUT};
  int r = poll(&f, 1, 0);
  printf("udp poll: %d %s\n", r, pnames(f.revents));
  char buf[8];
  CHECK(recv(a, buf, sizeof buf, 0));
  ewait("udp drained", ep, 8, 0);
  close(ep);
  close(a);
  close(b);
}

static void misc_cases(void) {
  int ep = epoll_create1(0);
  CHECK(ep);
  /* a closed fd's number reused by another file: the old interest is gone, ADD works */
  int p[2], q[2];
  CHECK(pipe(p));
  CHECK(add(ep, p[0], EPOLLIN, 1));
  int num = p[0];
  close(p[0]);
  CHECK(pipe(q));
  int again = q[0] == num ? add(ep, q[0], EPOLLIN, 2) : -2;
  res("reused fd number add", again);
  CHECK(write(q[1], "x", 1));
  ewait("reused fd number wait", ep, 8, 0);
  /* poll and select on an epoll fd: readable while an interest is ready */
  struct pollfd f = {.fd = ep, .events = POLLIN | POLLOUT};
  int r = poll(&f, 1, 0);
  printf("poll epoll ready: %d %s\n", r, pnames(f.revents));
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(ep, &rd);
  r = select(ep + 1, &rd, NULL, NULL, &(struct timeval){0, 0});
  printf("select epoll ready: %d %d\n", r, FD_ISSET(ep, &rd) != 0);
  char buf[4096];
  CHECK(read(q[0], buf, sizeof buf));
  r = poll(&f, 1, 0);
  printf("poll epoll idle: %d %s\n", r, pnames(f.revents));
  close(q[0]);
  close(q[1]);
  close(p[1]);
  /* a full pipe is not writable; reading a page makes it writable again */
  CHECK(pipe(p));
  CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK));
  CHECK(add(ep, p[1], EPOLLOUT, 3));
  memset(buf, 'z', sizeof buf);
  while (write(p[1], buf, sizeof buf) > 0) {}
  while (write(p[1], buf, 1) > 0) {}
  ewait("pipe full", ep, 8, 0);
  CHECK(read(p[0], buf, sizeof buf));
  ewait("pipe full, a page read", ep, 8, 0);
  close(p[0]);
  close(p[1]);
  /* ADD of a pipe whose writer is already gone reports HUP at once; DEL then ADD of a one-shot re-arms */
  CHECK(pipe(p));
  close(p[1]);
  CHECK(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 4));
  ewait("add after hangup", ep, 8, 0);
  ewait("add after hangup, oneshot spent", ep, 8, 0);
  CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  CHECK(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 5));
  ewait("oneshot del and add", ep, 8, 0);
  close(p[0]);
  /* an epoll inside another, closed: gone from the outer one */
  int inner = epoll_create1(0);
  CHECK(inner);
  CHECK(pipe(p));
  CHECK(add(inner, p[0], EPOLLIN, 6));
  CHECK(write(p[1], "x", 1));
  CHECK(add(ep, inner, EPOLLIN, 7));
  ewait("outer sees inner", ep, 8, 0);
  close(inner);
  ewait("outer after inner closed", ep, 8, 0);
  close(p[0]);
  close(p[1]);
  close(ep);
}

/* more ready fds than one batch of the libc's conversion buffer (64 events) */
static void many_cases(void) {
  enum { N = 70 };
  int p[N][2];
  int ep = epoll_create1(0);
  CHECK(ep);
  struct pollfd f[N];
  for (int i = 0; i < N; i++) {
    CHECK(pipe(p[i]));
    CHECK(add(ep, p[i][0], EPOLLIN, i));
    CHECK(write(p[i][1], "x", 1));
    f[i] = (struct pollfd){.fd = p[i][0], .events = POLLIN};
  }
  static struct epoll_event got[128];
  int n = epoll_wait(ep, got, 128, 0);
  unsigned long long sum = 0;
  for (int i = 0; i < n; i++) sum += got[i].data.u64;
  printf("many epoll_wait 128: %d sum %llu\n", n, sum);
  n = epoll_wait(ep, got, 100, 0);
  printf("many epoll_wait 100: %d\n", n);
  n = poll(f, N, 0);
  int in = 0;
  for (int i = 0; i < N; i++) in += f[i].revents == POLLIN;
  printf("many poll: %d in %d\n", n, in);
  fd_set rd;
  FD_ZERO(&rd);
  int hi = 0;
  for (int i = 0; i < N; i++) {
    FD_SET(p[i][0], &rd);
    if (p[i][0] > hi) hi = p[i][0];
  }
  n = select(hi + 1, &rd, NULL, NULL, &(struct timeval){0, 0});
  in = 0;
  for (int i = 0; i < N; i++) in += FD_ISSET(p[i][0], &rd) != 0;
  printf("many select: %d in %d\n", n, in);
  for (int i = 0; i < N; i++) {
    close(p[i][0]);
    close(p[i][1]);
  }
  close(ep);
}

/* The signal mask argument of epoll_pwait, ppoll and pselect applies during the wait only. */
static volatile sig_atomic_t alarms;
static void count_alarm(int sig) {
  (void)sig;
  alarms++;
}

static void sigmask_cases(void) {
  int p[2];
  CHECK(pipe(p));
  int ep = epoll_create1(0);
  CHECK(ep);
  CHECK(add(ep, p[0], EPOLLIN, 1));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = count_alarm;
  sigaction(SIGALRM, &sa, NULL);
  sigset_t alrm, none, old;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  sigemptyset(&none);
  struct itimerval it = {{0, 0}, {0, 30000}};
  struct epoll_event ev[1];
  struct pollfd f = {.fd = p[0], .events = POLLIN};
  fd_set rd;
  /* blocked outside, unblocked by the call's mask: the wait ends with EINTR */
  sigprocmask(SIG_BLOCK, &alrm, &old);
  alarms = 0;
  setitimer(ITIMER_REAL, &it, NULL);
  int r = epoll_pwait(ep, ev, 1, 5000, &none);
  printf("epoll_pwait unblocks: %d %s alarms %d\n", r, r < 0 ? ename(errno) : "-", (int)alarms);
  alarms = 0;
  setitimer(ITIMER_REAL, &it, NULL);
  r = ppoll(&f, 1, &(struct timespec){5, 0}, &none);
  printf("ppoll unblocks: %d %s alarms %d\n", r, r < 0 ? ename(errno) : "-", (int)alarms);
  alarms = 0;
  setitimer(ITIMER_REAL, &it, NULL);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  r = pselect(p[0] + 1, &rd, NULL, NULL, &(struct timespec){5, 0}, &none);
  printf("pselect unblocks: %d %s alarms %d\n", r, r < 0 ? ename(errno) : "-", (int)alarms);
  sigprocmask(SIG_SETMASK, &old, NULL);
  /* unblocked outside, blocked by the call's mask: the wait times out, the signal comes after */
  alarms = 0;
  setitimer(ITIMER_REAL, &it, NULL);
  r = epoll_pwait(ep, ev, 1, 100, &alrm);
  int during = alarms;
  usleep(1000);
  printf("epoll_pwait blocks: %d alarms during %d after %d\n", r, during, (int)alarms);
  alarms = 0;
  setitimer(ITIMER_REAL, &it, NULL);
  r = ppoll(&f, 1, &(struct timespec){0, 100000000}, &alrm);
  during = alarms;
  usleep(1000);
  printf("ppoll blocks: %d alarms during %d after %d\n", r, during, (int)alarms);
  alarms = 0;
  setitimer(ITIMER_REAL, &it, NULL);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  r = pselect(p[0] + 1, &rd, NULL, NULL, &(struct timespec){0, 100000000}, &alrm);
  during = alarms;
  usleep(1000);
  printf("pselect blocks: %d alarms during %d after %d\n", r, during, (int)alarms);
  sigset_t now;
  sigprocmask(SIG_SETMASK, NULL, &now);
  printf("mask restored: %d\n", sigismember(&now, SIGALRM));
  close(ep);
  close(p[0]);
  close(p[1]);
}

/* TCP states: non-blocking connect (to a listener, to a closed port), both sides shut, a reset. */
static void tcp_states(void) {
  int ep = epoll_create1(0);
  CHECK(ep);
  int port;
  int l = listen_loopback4(4, &port);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(c);
  CHECK(fcntl(c, F_SETFL, O_NONBLOCK));
  struct sockaddr_in a = loopback4(port);
  int r = connect(c, (struct sockaddr *)&a, sizeof a);
  printf("nb connect: %d %s\n", r, r < 0 ? (errno == EINPROGRESS ? "EINPROGRESS" : ename(errno)) : "-");
  CHECK(add(ep, c, EPOLLOUT | EPOLLIN | EPOLLRDHUP, 1));
  ewait("nb connect done", ep, 8, 1000);
  int err = -1;
  socklen_t len = sizeof err;
  CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
  printf("nb connect SO_ERROR: %d\n", err);
  int s = accept(l, NULL, NULL);
  CHECK(s);
  CHECK(shutdown(c, SHUT_WR));
  CHECK(shutdown(s, SHUT_WR));
  /* (waits for the peer's FIN first: on Linux loopback it is there already, here it may be on its way) */
  struct pollfd f = {.fd = c, .events = POLLRDHUP};
  r = poll(&f, 1, 1000);
  f.events = POLLIN | POLLOUT | POLLRDHUP;
  r = poll(&f, 1, 0);
  printf("tcp both shut wr poll: %d %s\n", r, pnames(f.revents));
  ewait("tcp both shut wr", ep, 8, 1000);
  close(c);
  /* the peer s sees its own side: it shut writing and got the FIN */
  CHECK(add(ep, s, EPOLLRDHUP, 2));
  ewait("tcp server after both shut, rdhup", ep, 8, 1000);
  CHECK(mod(ep, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP, 2));
  ewait("tcp server after both shut", ep, 8, 1000);
  close(s);
  /* a closed port: the connection is refused */
  int dead = listen_loopback4(1, &port);
  close(dead);
  c = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(c);
  CHECK(fcntl(c, F_SETFL, O_NONBLOCK));
  a = loopback4(port);
  r = connect(c, (struct sockaddr *)&a, sizeof a);
  printf("nb connect refused: %d %s\n", r, r < 0 ? (errno == EINPROGRESS ? "EINPROGRESS" : errno == ECONNREFUSED ? "ECONNREFUSED" : ename(errno)) : "-");
  f = (struct pollfd){.fd = c, .events = POLLOUT};
  r = poll(&f, 1, 1000);
  printf("nb connect refused poll: %d %s\n", r, pnames(f.revents));
  len = sizeof err;
  CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
  printf("nb connect refused SO_ERROR: %s\n", err == ECONNREFUSED ? "ECONNREFUSED" : err == 0 ? "0" : "other");
  r = poll(&f, 1, 0);
  printf("nb connect refused poll after SO_ERROR: %d %s\n", r, pnames(f.revents));
  close(c);
  /* a reset: the peer closes with unread data */
  c = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(c);
  a = loopback4(0);
  len = sizeof a;
  CHECK(getsockname(l, (struct sockaddr *)&a, &len));
  CHECK(connect(c, (struct sockaddr *)&a, sizeof a));
  s = accept(l, NULL, NULL);
  CHECK(s);
  CHECK(write(c, "unread", 6));
  usleep(20000);
  close(s);
  f = (struct pollfd){.fd = c, .events = POLLIN | POLLOUT | POLLRDHUP};
  r = poll(&f, 1, 1000);
  usleep(20000);
  r = poll(&f, 1, 1000);
  printf("tcp reset poll: %d %s\n", r, pnames(f.revents));
  char buf[8];
  r = read(c, buf, sizeof buf);
  printf("tcp reset read: %d %s\n", r, r < 0 ? (errno == ECONNRESET ? "ECONNRESET" : ename(errno)) : "-");
  r = poll(&f, 1, 0);
  printf("tcp reset poll after read: %d %s\n", r, pnames(f.revents));
  close(c);
  close(l);
  close(ep);
  /* negative timeouts other than -1 wait for ever too: woken by a thread */
  int p[2];
  pthread_t th;
  CHECK(pipe(p));
  wake_fd = p[1];
  f = (struct pollfd){.fd = p[0], .events = POLLIN};
  pthread_create(&th, NULL, write_later, NULL);
  r = poll(&f, 1, -5);
  printf("poll timeout -5: %d %s\n", r, pnames(f.revents));
  pthread_join(th, NULL);
  CHECK(read(p[0], buf, sizeof buf));
  ep = epoll_create1(0);
  CHECK(ep);
  CHECK(add(ep, p[0], EPOLLIN, 9));
  pthread_create(&th, NULL, write_later, NULL);
  ewait("epoll_wait timeout -5", ep, 8, -5);
  pthread_join(th, NULL);
  CHECK(read(p[0], buf, sizeof buf));
  pthread_create(&th, NULL, write_later, NULL);
  r = ppoll(&f, 1, NULL, NULL);
  printf("ppoll NULL timeout: %d %s\n", r, pnames(f.revents));
  pthread_join(th, NULL);
  close(ep);
  close(p[0]);
  close(p[1]);
}

static void *write_later_epoll(void *arg) {
  return write_later(arg);
}

static void more_epoll(void) {
  int ep = epoll_create1(0);
  CHECK(ep);
  int p[2];
  char buf[4096];
  /* ET on a pipe writer: full, then a page read is one new OUT */
  CHECK(pipe(p));
  CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK));
  CHECK(add(ep, p[1], EPOLLOUT | EPOLLET, 1));
  ewait("et writer fresh", ep, 8, 0);
  memset(buf, 'z', sizeof buf);
  while (write(p[1], buf, sizeof buf) > 0) {}
  while (write(p[1], buf, 1) > 0) {}
  ewait("et writer full", ep, 8, 0);
  CHECK(read(p[0], buf, sizeof buf));
  ewait("et writer page read", ep, 8, 0);
  ewait("et writer page read again", ep, 8, 0);
  close(p[0]);
  ewait("et writer reader closed", ep, 8, 0);
  close(p[1]);
  /* DEL of a ready interest: not reported; MOD changes the data of a ready one */
  CHECK(pipe(p));
  CHECK(write(p[1], "x", 1));
  CHECK(add(ep, p[0], EPOLLIN, 2));
  CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  ewait("del ready", ep, 8, 0);
  CHECK(add(ep, p[0], EPOLLIN, 3));
  CHECK(mod(ep, p[0], EPOLLIN, 4));
  ewait("mod data", ep, 8, 0);
  CHECK(mod(ep, p[0], EPOLLOUT, 5));
  ewait("mod to out on a reader", ep, 8, 0);
  CHECK(mod(ep, p[0], EPOLLIN | EPOLLET | EPOLLONESHOT, 6));
  ewait("et oneshot", ep, 8, 0);
  CHECK(write(p[1], "y", 1));
  ewait("et oneshot new data", ep, 8, 0);
  CHECK(mod(ep, p[0], EPOLLIN | EPOLLET, 7));
  ewait("et mod re-arms with data", ep, 8, 0);
  close(p[0]);
  close(p[1]);
  /* a socketpair whose buffer is full is not writable; draining it makes it writable */
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK));
  CHECK(add(ep, sv[0], EPOLLOUT, 8));
  while (write(sv[0], buf, sizeof buf) > 0) {}
  ewait("sockpair full", ep, 8, 0);
  CHECK(fcntl(sv[1], F_SETFL, O_NONBLOCK));
  while (read(sv[1], buf, sizeof buf) > 0) {}
  ewait("sockpair drained", ep, 8, 100);
  close(sv[0]);
  close(sv[1]);
  /* poll() on an epoll fd blocks until an interest becomes ready (a thread writes) */
  int inner = epoll_create1(0);
  CHECK(inner);
  CHECK(pipe(p));
  CHECK(add(inner, p[0], EPOLLIN, 9));
  wake_fd = p[1];
  pthread_t th;
  pthread_create(&th, NULL, write_later_epoll, NULL);
  struct pollfd f = {.fd = inner, .events = POLLIN};
  int r = poll(&f, 1, 5000);
  printf("poll on epoll woken: %d %s\n", r, pnames(f.revents));
  pthread_join(th, NULL);
  CHECK(read(p[0], buf, sizeof buf));
  /* and an epoll inside an epoll, blocked in epoll_wait */
  CHECK(add(ep, inner, EPOLLIN, 10));
  pthread_create(&th, NULL, write_later_epoll, NULL);
  ewait("nested epoll woken", ep, 8, 5000);
  pthread_join(th, NULL);
  close(inner);
  close(p[0]);
  close(p[1]);
  /* a unix listener: readable with a pending connection */
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(l);
  struct sockaddr_un ua;
  memset(&ua, 0, sizeof ua);
  ua.sun_family = AF_UNIX;
  strcpy(ua.sun_path, "/tmp/conform_poll.sock");
  unlink(ua.sun_path);
  CHECK(bind(l, (struct sockaddr *)&ua, sizeof ua));
  CHECK(listen(l, 4));
  f = (struct pollfd){.fd = l, .events = POLLIN | POLLOUT};
  r = poll(&f, 1, 0);
  printf("unix listener idle: %d %s\n", r, pnames(f.revents));
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(c);
  f = (struct pollfd){.fd = c, .events = POLLIN | POLLOUT};
  r = poll(&f, 1, 0);
  printf("unix unconnected: %d %s\n", r, pnames(f.revents));
  CHECK(connect(c, (struct sockaddr *)&ua, sizeof ua));
  f = (struct pollfd){.fd = l, .events = POLLIN | POLLOUT};
  r = poll(&f, 1, 1000);
  printf("unix listener pending: %d %s\n", r, pnames(f.revents));
  int a = accept(l, NULL, NULL);
  CHECK(a);
  f = (struct pollfd){.fd = c, .events = POLLIN | POLLOUT};
  r = poll(&f, 1, 0);
  printf("unix connected: %d %s\n", r, pnames(f.revents));
  close(a);
  r = poll(&f, 1, 0);
  printf("unix peer closed: %d %s\n", r, pnames(f.revents));
  close(c);
  close(l);
  unlink(ua.sun_path);
  close(ep);
}

/* Pointers the kernel cannot copy: EFAULT, the process lives on. */
static void fault_cases(void) {
  void *bad = (void *)(uintptr_t)0xfffffff0u;
  int p[2];
  CHECK(pipe(p));
  int ep = epoll_create1(0);
  CHECK(ep);
  CHECK(add(ep, p[1], EPOLLOUT, 1));
  res("poll bad pointer", poll(bad, 4, 0));
  struct pollfd *volatile null = NULL; /* (volatile: gcc warns of a literal NULL) */
  res("poll NULL with nfds 1", poll(null, 1, 0));
  res("epoll_wait bad pointer", epoll_wait(ep, bad, 4, 0));
  res("epoll_ctl bad event", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], bad));
  res("select bad readfds", select(p[0] + 1, bad, NULL, NULL, &(struct timeval){0, 0}));
  close(ep);
  close(p[0]);
  close(p[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  epoll_ctl_errors();
  epoll_triggers();
  epoll_hangups();
  epoll_nested_and_rotation();
  epoll_tcp();
  poll_cases();
  select_cases();
  blocking_cases();
  udp_cases();
  misc_cases();
  many_cases();
  sigmask_cases();
  tcp_states();
  more_epoll();
  fault_cases();
  printf("done\n");
  return 0;
}
