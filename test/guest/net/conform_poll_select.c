/* Differential conformance of readiness, part 2 of 3: poll() and select() (fd -1, POLLNVAL,
 * POLLHUP/POLLERR with events 0, POLLRDHUP, EBADF, timeouts) on pipes, socketpairs, loopback TCP
 * and a regular file, then blocking waits woken by another thread or ended by a signal. Same
 * output rules as conform_poll_epoll.c, which runs before it. */
#include "conform_poll.h"

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


/* Blocking waits, woken by another thread's write 50 ms later (write_later in conform_poll.h),
 * or by a signal (EINTR). */
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

/* POLLPRI is urgent data only: there is none here (no MSG_OOB), so it never fires on ordinary data. */
static void pri_cases(void) {
  int p[2], s[2];
  CHECK(pipe(p));
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
  CHECK(write(p[1], "x", 1));
  CHECK(send(s[1], "y", 1, 0));
  struct pollfd f = {.fd = p[0], .events = POLLPRI};
  int r = poll(&f, 1, 0);
  printf("poll PRI on a readable pipe: %d %s\n", r, pnames(f.revents));
  f.events = POLLIN | POLLPRI;
  r = poll(&f, 1, 0);
  printf("poll IN|PRI on a readable pipe: %d %s\n", r, pnames(f.revents));
  struct pollfd g = {.fd = s[0], .events = POLLPRI};
  r = poll(&g, 1, 0);
  printf("poll PRI on a readable socket: %d %s\n", r, pnames(g.revents));
  fd_set rd, ex;
  FD_ZERO(&rd);
  FD_ZERO(&ex);
  FD_SET(s[0], &rd);
  FD_SET(s[0], &ex);
  struct timeval tv = {0, 0};
  r = select(s[0] + 1, &rd, NULL, &ex, &tv);
  printf("select of a readable socket in rd and ex: %d rd %d ex %d\n", r, FD_ISSET(s[0], &rd) != 0, FD_ISSET(s[0], &ex) != 0);
  close(p[0]);
  close(p[1]);
  close(s[0]);
  close(s[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  poll_cases();
  select_cases();
  blocking_cases();
  pri_cases();
  return 0;
}
