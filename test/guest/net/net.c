/* Socket tests for the WASIX socket rows: one program, one mode per argv[1]. Loops are bounded. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <spawn.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_util.h"

static int listener(const char *ip, int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(s);
  int one = 1;
  CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  CHECK(bind(s, (struct sockaddr *)&a, sizeof a));
  CHECK(listen(s, 16));
  socklen_t len = sizeof a;
  CHECK(getsockname(s, (struct sockaddr *)&a, &len));
  printf("listening %d\n", ntohs(a.sin_port));
  fflush(stdout);
  return s;
}

static int echo_one(int c) {
  char buf[4096];
  long total = 0;
  for (int i = 0; i < 100000; i++) {
    ssize_t n = recv(c, buf, sizeof buf, 0);
    if (n < 0) { printf("FAIL recv: %s\n", strerror(errno)); return -1; }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = send(c, buf + off, n - off, 0);
      if (w < 0) { printf("FAIL send: %s\n", strerror(errno)); return -1; }
      off += w;
    }
    total += n;
  }
  return (int)total;
}

static int echo_server(int nclients) {
  int s = listener("127.0.0.1", 0);
  for (int k = 0; k < nclients; k++) {
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int c = accept(s, (struct sockaddr *)&peer, &len);
    CHECK(c);
    char ip[64];
    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
    int n = echo_one(c);
    printf("client %d from %s echoed %d\n", k, ip, n);
    fflush(stdout);
    close(c);
  }
  close(s);
  return 0;
}

/* The port a socket is bound to. */
static int port_of(int s) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  CHECK(getsockname(s, (struct sockaddr *)&a, &len));
  return ntohs(a.sin_port);
}

static int connect_to(const char *ip, int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(s);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
    printf("connect: %s\n", errno == ECONNREFUSED ? "ECONNREFUSED" : strerror(errno));
    close(s);
    return -1;
  }
  return s;
}

static int client(int port, const char *msg) {
  int s = connect_to("127.0.0.1", port);
  if (s < 0) return 1;
  struct sockaddr_in peer;
  socklen_t len = sizeof peer;
  CHECK(getpeername(s, (struct sockaddr *)&peer, &len));
  CHECK(send(s, msg, strlen(msg), 0));
  shutdown(s, SHUT_WR);
  char buf[256];
  size_t got = 0;
  for (int i = 0; i < 1000 && got < sizeof buf - 1; i++) {
    ssize_t n = recv(s, buf + got, sizeof buf - 1 - got, 0);
    CHECK(n);
    if (n == 0) break;
    got += n;
  }
  buf[got] = 0;
  printf("peer port %d reply: %s\n", ntohs(peer.sin_port), buf);
  close(s);
  return 0;
}

static int udp(void) {
  int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(a); CHECK(b);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  CHECK(bind(a, (struct sockaddr *)&sa, sizeof sa));
  socklen_t len = sizeof sa;
  CHECK(getsockname(a, (struct sockaddr *)&sa, &len));
  CHECK(sendto(b, "ping", 4, 0, (struct sockaddr *)&sa, sizeof sa));
  char buf[64];
  struct sockaddr_in from;
  len = sizeof from;
  ssize_t n = recvfrom(a, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
  CHECK(n);
  CHECK(sendto(a, "pong", 4, 0, (struct sockaddr *)&from, len));
  ssize_t m = recvfrom(b, buf + n, sizeof buf - n, 0, NULL, NULL);
  CHECK(m);
  buf[n + m] = 0;
  printf("udp %s\n", buf);
  return 0;
}

static int nbconnect(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(s);
  CHECK(fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK));
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  int r = connect(s, (struct sockaddr *)&a, sizeof a);
  printf("connect %s\n", r == 0 ? "at once" : errno == EINPROGRESS ? "EINPROGRESS" : strerror(errno));
  struct pollfd p = {.fd = s, .events = POLLOUT};
  int n = poll(&p, 1, 5000);
  int err = -1;
  socklen_t len = sizeof err;
  CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len));
  printf("poll %d out %d so_error %d\n", n, (p.revents & POLLOUT) != 0, err);
  CHECK(send(s, "nb", 2, 0));
  shutdown(s, SHUT_WR);
  char buf[16];
  p.events = POLLIN;
  CHECK(poll(&p, 1, 5000));
  ssize_t k = recv(s, buf, sizeof buf - 1, 0);
  CHECK(k);
  buf[k] = 0;
  printf("reply %s\n", buf);
  return 0;
}

static int epoll_server(int nclients) {
  int s = listener("127.0.0.1", 0);
  int ep = epoll_create1(0);
  CHECK(ep);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
  int done = 0, accepted = 0;
  for (int iter = 0; iter < 100000 && done < nclients; iter++) {
    struct epoll_event evs[8];
    int n = epoll_wait(ep, evs, 8, 10000);
    CHECK(n);
    if (n == 0) { printf("FAIL epoll timeout\n"); return 1; }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == s) {
        int c = accept(s, NULL, NULL);
        CHECK(c);
        accepted++;
        struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
        CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce));
      } else {
        char buf[1024];
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        CHECK(k);
        if (k == 0) {
          /* Every other client is closed without EPOLL_CTL_DEL: the last close drops the interest. */
          if (done % 2 == 0) CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
          close(fd);
          done++;
        } else {
          CHECK(send(fd, buf, k, 0));
        }
      }
    }
  }
  printf("epoll served %d of %d\n", done, accepted);
  return 0;
}

static int gai(const char *host) {
  struct addrinfo hints = {0}, *res;
  hints.ai_socktype = SOCK_STREAM;
  int r = getaddrinfo(host, "80", &hints, &res);
  if (r != 0) { printf("getaddrinfo %s: %s\n", host, gai_strerror(r)); return 1; }
  for (struct addrinfo *p = res; p; p = p->ai_next) {
    char ip[64];
    void *addr = p->ai_family == AF_INET ? (void *)&((struct sockaddr_in *)p->ai_addr)->sin_addr : (void *)&((struct sockaddr_in6 *)p->ai_addr)->sin6_addr;
    int port = ntohs(p->ai_family == AF_INET ? ((struct sockaddr_in *)p->ai_addr)->sin_port : ((struct sockaddr_in6 *)p->ai_addr)->sin6_port);
    inet_ntop(p->ai_family, addr, ip, sizeof ip);
    printf("%s %s %d\n", host, ip, port);
  }
  freeaddrinfo(res);
  return 0;
}

extern char **environ;

/* Server and client both in the LibOS: listen, posix_spawn a client process, select() for the
 * pending connection, echo it, reap the client. */
static int inproc(void) {
  int s = listener("127.0.0.1", 0);
  char port[16];
  snprintf(port, sizeof port, "%d", port_of(s));
  char *argv[] = {"/bin/net", "client", port, "inside", NULL};
  pid_t pid;
  if (posix_spawn(&pid, "/bin/net", NULL, NULL, argv, environ) != 0) { printf("FAIL spawn\n"); return 1; }
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(s, &rd);
  struct timeval tv = {10, 0};
  int n = select(s + 1, &rd, NULL, NULL, &tv);
  printf("select %d isset %d\n", n, FD_ISSET(s, &rd) ? 1 : 0);
  fflush(stdout);
  int c = accept(s, NULL, NULL);
  CHECK(c);
  int echoed = echo_one(c);
  close(c);
  int st = 0;
  CHECK(waitpid(pid, &st, 0));
  printf("server echoed %d, client exit %d\n", echoed, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return 0;
}

/* IPv6 loopback: bind [::1]:0, connect, exchange, check both names. */
static int ipv6(void) {
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  CHECK(s);
  struct sockaddr_in6 a = {0};
  a.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::1", &a.sin6_addr);
  CHECK(bind(s, (struct sockaddr *)&a, sizeof a));
  CHECK(listen(s, 4));
  socklen_t len = sizeof a;
  CHECK(getsockname(s, (struct sockaddr *)&a, &len));
  int c = socket(AF_INET6, SOCK_STREAM, 0);
  CHECK(c);
  CHECK(connect(c, (struct sockaddr *)&a, sizeof a));
  int d = accept(s, NULL, NULL);
  CHECK(d);
  CHECK(send(c, "six", 3, 0));
  char buf[8] = {0};
  CHECK(recv(d, buf, sizeof buf - 1, 0));
  struct sockaddr_in6 p;
  len = sizeof p;
  CHECK(getpeername(c, (struct sockaddr *)&p, &len));
  char ip[64];
  inet_ntop(AF_INET6, &p.sin6_addr, ip, sizeof ip);
  printf("v6 %s peer %s same port %d\n", buf, ip, p.sin6_port == a.sin6_port);
  return 0;
}

/* AF_UNIX: socketpair both ways. */
static int unixsock(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  CHECK(write(sv[0], "pair", 4));
  char buf[16] = {0};
  CHECK(read(sv[1], buf, sizeof buf - 1));
  printf("socketpair %s\n", buf);
  /* Named AF_UNIX addresses: test/guest/net/unix_named.c. */
  CHECK(write(sv[1], "back", 4));
  memset(buf, 0, sizeof buf);
  CHECK(read(sv[0], buf, sizeof buf - 1));
  printf("socketpair %s\n", buf);
  return 0;
}

/* recv/send flags and socket options over a connected loopback pair. */
static int flags(void) {
  int s = listener("127.0.0.1", 0);
  int c = connect_to("127.0.0.1", port_of(s));
  CHECK(c);
  int d = accept(s, NULL, NULL);
  socklen_t len;
  CHECK(d);
  char buf[16] = {0};
  ssize_t n = recv(d, buf, sizeof buf, MSG_DONTWAIT);
  printf("dontwait %zd %s\n", n, n < 0 && errno == EAGAIN ? "EAGAIN" : "?");
  CHECK(send(c, "peek", 4, 0));
  n = recv(d, buf, sizeof buf - 1, MSG_PEEK);
  CHECK(n);
  n = recv(d, buf, sizeof buf - 1, 0);
  CHECK(n);
  buf[n] = 0;
  printf("peek then read %s\n", buf);
  int one = 1, v = 0;
  CHECK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
  len = sizeof v;
  CHECK(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &len));
  int type = 0;
  len = sizeof type;
  CHECK(getsockopt(c, SOL_SOCKET, SO_TYPE, &type, &len));
  int rcv = 0;
  len = sizeof rcv;
  CHECK(getsockopt(c, SOL_SOCKET, SO_RCVBUF, &rcv, &len));
  printf("nodelay %d type %d rcvbuf>0 %d\n", v != 0, type, rcv > 0);
  struct timeval tv = {0, 50000};
  CHECK(setsockopt(d, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  n = recv(d, buf, sizeof buf, 0);
  printf("rcvtimeo %zd %s\n", n, n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? "EAGAIN" : strerror(errno));
  close(d);
  /* MSG_NOSIGNAL reaches the kernel through sdk/libc/sockets.c (scm_rights.c tests it); SIGPIPE is ignored too. */
  signal(SIGPIPE, SIG_IGN);
  for (int i = 0; i < 50; i++) {
    n = send(c, "xxxxxxxx", 8, MSG_NOSIGNAL);
    if (n < 0) break;
    usleep(2000);
  }
  printf("send after peer close %s\n", errno == EPIPE ? "EPIPE" : errno == ECONNRESET ? "ECONNRESET" : strerror(errno));
  return 0;
}

/* fstat of sockets: the inode type is S_IFSOCK (TCP listener and connection, UDP, AF_UNIX pair). */
static int fstat_sock(void) {
  int s = listener("127.0.0.1", 0);
  int c = connect_to("127.0.0.1", port_of(s));
  CHECK(c);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(u);
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  int fds[] = {s, c, u, sv[0]};
  const char *names[] = {"listener", "tcp", "udp", "unix"};
  for (int i = 0; i < 4; i++) {
    struct stat st;
    CHECK(fstat(fds[i], &st));
    printf("%s sock %d reg %d fifo %d\n", names[i], S_ISSOCK(st.st_mode), S_ISREG(st.st_mode), S_ISFIFO(st.st_mode));
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *m = argv[1];
  int arg = argc > 2 ? atoi(argv[2]) : 0;
  if (!strcmp(m, "echo-server")) return echo_server(arg);
  if (!strcmp(m, "client")) return client(arg, argc > 3 ? argv[3] : "hello");
  if (!strcmp(m, "udp")) return udp();
  if (!strcmp(m, "nbconnect")) return nbconnect(arg);
  if (!strcmp(m, "refused")) return connect_to("127.0.0.1", arg) < 0 ? 0 : 1;
  if (!strcmp(m, "epoll-server")) return epoll_server(arg);
  if (!strcmp(m, "gai")) return gai(argv[2]);
  if (!strcmp(m, "inproc")) return inproc();
  if (!strcmp(m, "ipv6")) return ipv6();
  if (!strcmp(m, "unix")) return unixsock();
  if (!strcmp(m, "flags")) return flags();
  if (!strcmp(m, "fstat")) return fstat_sock();
  return 2;
}
