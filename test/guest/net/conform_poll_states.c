/* Differential conformance of readiness, part 3 of 3: UDP, a reused fd number, a full pipe, epoll
 * inside epoll, more ready fds than the libc's 64-event buffer, the signal mask of
 * epoll_pwait/ppoll/pselect, TCP connect/refused/reset states, more epoll edge cases, unix
 * listeners, and EFAULT for pointers the kernel cannot copy. Same output rules as
 * conform_poll_epoll.c; runs after conform_poll_select.c and ends with "done". */
#include "conform_poll.h"

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
  /* pending already (blocked outside), unblocked by the call's mask: EINTR at once, atomically
     (a mask swapped before the wait would run the handler first, then wait the whole timeout) */
  struct timespec t0, t1;
  for (int k = 0; k < 3; k++) {
    alarms = 0;
    raise(SIGALRM);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    r = k == 0 ? epoll_pwait(ep, ev, 1, 2000, &none)
      : k == 1 ? ppoll(&f, 1, &(struct timespec){2, 0}, &none)
      : pselect(p[0] + 1, &rd, NULL, NULL, &(struct timespec){2, 0}, &none);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("%s with the signal pending: %d %s alarms %d at once %d\n", k == 0 ? "epoll_pwait" : k == 1 ? "ppoll" : "pselect",
           r, r < 0 ? ename(errno) : "-", (int)alarms, ms < 1000);
  }
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
