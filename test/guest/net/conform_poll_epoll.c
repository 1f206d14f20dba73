/* Differential conformance of readiness, part 1 of 3: epoll. epoll_ctl's errors and flags,
 * level/edge-triggered and one-shot interests, hang-ups of pipes, socketpairs and loopback TCP,
 * nested epolls and maxevents rotation. One line per case (return value, errno name, event names);
 * no fds, addresses or timings, so the output is the same on every run. Built natively with
 * gcc -pthread it prints Linux's answers (test/libos/net/conform-poll.test.ts asserts them under
 * occlum-ts); conform_poll_select.c and conform_poll_states.c follow it. */
#include "conform_poll.h"

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

/* EPOLLEXCLUSIVE: of N epolls over one pipe, each with a thread blocked in epoll_wait, one wakes. */
#define XN 4
static int xpipe[2], xeps[XN], xgot[XN];
static pthread_barrier_t xbar;

static void *xwaiter(void *arg) {
  int i = (int)(long)arg;
  struct epoll_event e;
  pthread_barrier_wait(&xbar);
  xgot[i] = epoll_wait(xeps[i], &e, 1, 400);
  return NULL;
}

static int exclusive_round(unsigned flags) {
  CHECK(pipe(xpipe));
  for (int i = 0; i < XN; i++) {
    xeps[i] = epoll_create1(0);
    CHECK(add(xeps[i], xpipe[0], EPOLLIN | flags, (uint64_t)i));
  }
  pthread_barrier_init(&xbar, NULL, XN + 1);
  pthread_t t[XN];
  for (long i = 0; i < XN; i++) pthread_create(&t[i], NULL, xwaiter, (void *)i);
  pthread_barrier_wait(&xbar);
  usleep(100000); /* all blocked by now */
  CHECK(write(xpipe[1], "x", 1));
  int woken = 0;
  for (int i = 0; i < XN; i++) {
    pthread_join(t[i], NULL);
    woken += xgot[i] > 0;
  }
  for (int i = 0; i < XN; i++) close(xeps[i]);
  close(xpipe[0]);
  close(xpipe[1]);
  pthread_barrier_destroy(&xbar);
  return woken;
}

static void epoll_exclusive(void) {
  printf("4 epolls, not exclusive: woken %d\n", exclusive_round(0));
  printf("4 epolls, exclusive: woken %d\n", exclusive_round(EPOLLEXCLUSIVE));
  printf("4 epolls, exclusive edge-triggered: woken %d\n", exclusive_round(EPOLLEXCLUSIVE | EPOLLET));
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  epoll_ctl_errors();
  epoll_triggers();
  epoll_hangups();
  epoll_nested_and_rotation();
  epoll_tcp();
  epoll_exclusive();
  return 0;
}
