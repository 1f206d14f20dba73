/*
 * Differential conformance of BSD sockets: one line per case (return value, errno name, values
 * read back), never addresses that vary, fds or timings. Built natively with gcc this is the
 * Linux reference; test/libos/net/conform-sock.test.ts asserts the same output under occlum-ts.
 * Loopback only; ports are ephemeral and printed only as comparisons.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static const char *en(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(EBADF) E(EINVAL) E(ENOTSOCK) E(ENOTCONN) E(EISCONN) E(EPIPE) E(EADDRINUSE) E(EOPNOTSUPP)
    E(ECONNREFUSED) E(ENOPROTOOPT) E(EAGAIN) E(EAFNOSUPPORT) E(EPROTONOSUPPORT) E(EDESTADDRREQ)
    E(EINPROGRESS) E(EALREADY) E(EFAULT) E(EPROTOTYPE) E(EADDRNOTAVAIL) E(ENOENT) E(ESOCKTNOSUPPORT)
    E(ECONNRESET) E(EMSGSIZE)
#undef E
    default: {
      static char b[32];
      snprintf(b, sizeof b, "errno%d", e);
      return b;
    }
  }
}

/* "name: ret" or "name: -1 ERRNO". */
static long show(const char *name, long r) {
  if (r < 0) printf("%s: %ld %s\n", name, r, en(errno));
  else printf("%s: %ld\n", name, r);
  fflush(stdout);
  return r;
}
#define T(name, expr) (errno = 0, show(name, (long)(expr)))

static int geti(int fd, int level, int opt, const char *name) {
  int v = -7;
  socklen_t len = sizeof v;
  errno = 0;
  int r = getsockopt(fd, level, opt, &v, &len);
  if (r < 0) printf("%s: -1 %s\n", name, en(errno));
  else printf("%s: %d len=%u\n", name, v, (unsigned)len);
  return v;
}
static void seti(int fd, int level, int opt, int v, const char *name) {
  char b[96];
  snprintf(b, sizeof b, "set %s=%d", name, v);
  T(b, setsockopt(fd, level, opt, &v, sizeof v));
}

static const char *fam(int f) {
  return f == AF_INET ? "AF_INET" : f == AF_INET6 ? "AF_INET6" : f == AF_UNIX ? "AF_UNIX" : "AF_?";
}

/* getsockname / getpeername as "family addr port" (port 0 or "port>0"). */
static void name_of(int fd, int peer, const char *what) {
  struct sockaddr_storage ss;
  memset(&ss, 0xAA, sizeof ss);
  socklen_t len = sizeof ss;
  errno = 0;
  int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) : getsockname(fd, (struct sockaddr *)&ss, &len);
  if (r < 0) {
    printf("%s: -1 %s\n", what, en(errno));
    return;
  }
  char buf[64] = "?";
  int port = -1;
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    port = ntohs(a->sin6_port);
  } else if (ss.ss_family == AF_UNIX) {
    snprintf(buf, sizeof buf, "len=%u", (unsigned)len);
    port = 0;
  }
  /* the length as "sizeof": wasix-libc's sockaddr_in6 is 32 bytes (16-byte aligned), Linux's 28 */
  size_t want = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : 0;
  char l[16];
  if (want) snprintf(l, sizeof l, "%s", len == want ? "sizeof" : "?");
  else snprintf(l, sizeof l, "%u", (unsigned)len);
  printf("%s: %s %s port%s len=%s\n", what, fam(ss.ss_family), buf, port == 0 ? "=0" : port > 0 ? ">0" : "?", l);
}

static int port_of(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -1;
  return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) : ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static struct sockaddr_in lo4(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}
static struct sockaddr_in6 lo6(int port) {
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  a.sin6_addr = in6addr_loopback;
  return a;
}
#define SA(x) ((struct sockaddr *)&(x))

static void common_opts(int fd, const char *tag) {
  char n[64];
#define G(opt) (snprintf(n, sizeof n, "%s " #opt, tag), geti(fd, SOL_SOCKET, opt, n))
  G(SO_ERROR);
  G(SO_ACCEPTCONN);
  G(SO_REUSEADDR);
  G(SO_KEEPALIVE);
#undef G
  int t = -1;
  socklen_t len = sizeof t;
  getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &len);
  printf("%s SO_TYPE: %s len=%u\n", tag, t == SOCK_STREAM ? "STREAM" : t == SOCK_DGRAM ? "DGRAM" : "?", (unsigned)len);
#ifdef SO_DOMAIN
  int d = -1;
  len = sizeof d;
  getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &len);
  printf("%s SO_DOMAIN: %s\n", tag, fam(d));
#endif
#ifdef SO_PROTOCOL
  int p = -1;
  len = sizeof p;
  getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, &len);
  printf("%s SO_PROTOCOL: %s\n", tag, p == IPPROTO_TCP ? "TCP" : p == IPPROTO_UDP ? "UDP" : p == 0 ? "0" : "?");
#endif
}

static void tcp_v4(void) {
  printf("== tcp4\n");
  int s = socket(AF_INET, SOCK_STREAM, 0);
  common_opts(s, "tcp");
  geti(s, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT");
  geti(s, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
  name_of(s, 0, "getsockname unbound");
  name_of(s, 1, "getpeername unconnected");
  T("send unconnected", send(s, "x", 1, MSG_NOSIGNAL));
  T("write unconnected", write(s, "x", 1));
  char c;
  T("recv unconnected", recv(s, &c, 1, MSG_DONTWAIT));
  T("read unconnected", read(s, &c, 1));
  T("accept not listening", accept(s, NULL, NULL));
  {
    /* Linux marks the socket shut down even as it fails with ENOTCONN: a fresh one */
    int t = socket(AF_INET, SOCK_STREAM, 0);
    T("shutdown unconnected", shutdown(t, SHUT_RDWR));
    close(t);
  }

  seti(s, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  geti(s, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");
  seti(s, SOL_SOCKET, SO_REUSEADDR, 0, "SO_REUSEADDR");
  geti(s, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");
  seti(s, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
  geti(s, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT");
  seti(s, SOL_SOCKET, SO_REUSEPORT, 0, "SO_REUSEPORT");
  seti(s, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
  geti(s, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE");
  seti(s, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
  geti(s, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
  seti(s, IPPROTO_TCP, TCP_NODELAY, 5, "TCP_NODELAY");
  geti(s, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
  seti(s, SOL_SOCKET, SO_RCVBUF, 8192, "SO_RCVBUF");
  geti(s, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF");
  seti(s, SOL_SOCKET, SO_SNDBUF, 16384, "SO_SNDBUF");
  geti(s, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");
  seti(s, SOL_SOCKET, SO_SNDBUF, 1, "SO_SNDBUF");
  geti(s, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");

  /* optlen handling */
  int v = 1;
  T("setsockopt short optlen", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2));
  T("setsockopt optlen 0", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, 0));
  {
    int w = 0x7f7f7f7f;
    socklen_t len = 2;
    int r = getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &w, &len);
    printf("getsockopt short optlen: %d len=%u low16=%d\n", r, (unsigned)len, (int)(w & 0xffff));
    len = 64;
    char big[64];
    r = getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, big, &len);
    printf("getsockopt long optlen: %d len=%u\n", r, (unsigned)len);
  }
  /* SO_LINGER */
  {
    struct linger l = {7, 7};
    socklen_t len = sizeof l;
    int r = getsockopt(s, SOL_SOCKET, SO_LINGER, &l, &len);
    printf("SO_LINGER default: %d onoff=%d linger=%d len=%u\n", r, l.l_onoff, l.l_linger, (unsigned)len);
    l.l_onoff = 1;
    l.l_linger = 5;
    T("set SO_LINGER 1,5", setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l));
    memset(&l, 0, sizeof l);
    len = sizeof l;
    r = getsockopt(s, SOL_SOCKET, SO_LINGER, &l, &len);
    printf("SO_LINGER: %d onoff=%d linger=%d len=%u\n", r, l.l_onoff, l.l_linger, (unsigned)len);
    T("set SO_LINGER short", setsockopt(s, SOL_SOCKET, SO_LINGER, &l, 4));
    l.l_onoff = 0;
    l.l_linger = 0;
    T("set SO_LINGER 0,0", setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l));
  }
  /* SO_RCVTIMEO */
  {
    struct timeval tv = {1, 500000};
    T("set SO_RCVTIMEO 1.5s", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    memset(&tv, 0, sizeof tv);
    socklen_t len = sizeof tv;
    int r = getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
    printf("SO_RCVTIMEO: %d %ld.%06ld len=%u\n", r, (long)tv.tv_sec, (long)tv.tv_usec, (unsigned)len);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    T("set SO_RCVTIMEO 0", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  }
  /* unknown options / levels */
  {
    int w = 1;
    socklen_t len = sizeof w;
    T("getsockopt unknown SOL_SOCKET", getsockopt(s, SOL_SOCKET, 12345, &w, &len));
    T("setsockopt unknown SOL_SOCKET", setsockopt(s, SOL_SOCKET, 12345, &w, sizeof w));
    T("getsockopt unknown TCP", getsockopt(s, IPPROTO_TCP, 9999, &w, &len));
    T("setsockopt IPV6_V6ONLY on v4", setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &w, sizeof w));
    T("set SO_ACCEPTCONN", setsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &w, sizeof w));
    T("set SO_TYPE", setsockopt(s, SOL_SOCKET, SO_TYPE, &w, sizeof w));
    T("setsockopt unknown TCP", setsockopt(s, IPPROTO_TCP, 9999, &w, sizeof w));
    T("setsockopt unknown level", setsockopt(s, 777, 1, &w, sizeof w));
    T("getsockopt unknown level", getsockopt(s, 777, 1, &w, &len));
    T("TCP_NODELAY short optlen", setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &w, 1));
  }

  struct sockaddr_in a = lo4(0);
  T("bind", bind(s, SA(a), sizeof a));
  name_of(s, 0, "getsockname bound");
  T("bind twice", bind(s, SA(a), sizeof a));
  int port = port_of(s);
  T("listen", listen(s, 8));
  T("listen again", listen(s, 8));
  geti(s, SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN listening");
  T("recv on listening", recv(s, &c, 1, MSG_DONTWAIT));
  T("send on listening", send(s, "x", 1, MSG_NOSIGNAL));
  name_of(s, 1, "getpeername listening");
  T("connect on listening", connect(s, SA(a), sizeof a));
  {
    int fl = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, fl | O_NONBLOCK);
    T("accept nothing pending", accept(s, NULL, NULL));
    fcntl(s, F_SETFL, fl);
  }

  int s2 = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in b = lo4(port);
  T("bind in use", bind(s2, SA(b), sizeof b));
  seti(s2, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  T("bind in use REUSEADDR (listening)", bind(s2, SA(b), sizeof b));
  close(s2);

  int cl = socket(AF_INET, SOCK_STREAM, 0);
  T("connect", connect(cl, SA(b), sizeof b));
  T("connect twice", connect(cl, SA(b), sizeof b));
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  int sv = accept(s, SA(peer), &plen);
  show("accept", sv >= 0 ? 0 : -1);
  printf("accept peer: %s port==client:%d len=%u\n", fam(peer.sin_family), ntohs(peer.sin_port) == port_of(cl), (unsigned)plen);
  name_of(cl, 1, "getpeername connected");
  name_of(sv, 0, "getsockname accepted");
  printf("accepted port==listener: %d\n", port_of(sv) == port);
  common_opts(sv, "accepted");
  geti(sv, IPPROTO_TCP, TCP_NODELAY, "accepted TCP_NODELAY");
  {
    struct sockaddr_in tiny;
    socklen_t len = 4;
    memset(&tiny, 0, sizeof tiny);
    int r = getsockname(cl, SA(tiny), &len);
    printf("getsockname short len: %d len=%u family=%s\n", r, (unsigned)len, fam(tiny.sin_family));
  }

  char buf[64];
  T("send 0 bytes", send(cl, "", 0, 0));
  T("recv peek dontwait empty", recv(sv, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT));
  T("recv dontwait empty", recv(sv, buf, sizeof buf, MSG_DONTWAIT));
  T("send hello", send(cl, "hello", 5, 0));
  usleep(50000);
  T("recv peek", recv(sv, buf, sizeof buf, MSG_PEEK));
  T("recv peek dontwait 2", recv(sv, buf, 2, MSG_PEEK | MSG_DONTWAIT));
  T("recv 0 bytes", recv(sv, buf, 0, 0));
  memset(buf, 0, sizeof buf);
  T("recv", recv(sv, buf, sizeof buf, 0));
  printf("data: %s\n", buf);
  T("sendto connected tcp with addr", sendto(cl, "ab", 2, 0, SA(b), sizeof b));
  usleep(50000);
  T("recv ab", recv(sv, buf, sizeof buf, 0));
  T("shutdown SHUT_WR", shutdown(cl, SHUT_WR));
  T("peer read EOF", read(sv, buf, sizeof buf));
  T("peer read EOF again", recv(sv, buf, sizeof buf, MSG_DONTWAIT));
  T("send after SHUT_WR", send(cl, "x", 1, MSG_NOSIGNAL));
  T("peer writes back", send(sv, "back", 4, 0));
  usleep(50000);
  T("read after own SHUT_WR", recv(cl, buf, sizeof buf, 0));
  T("shutdown SHUT_WR twice", shutdown(cl, SHUT_WR));
  T("shutdown bad how", shutdown(cl, 7));
  geti(cl, SOL_SOCKET, SO_ERROR, "SO_ERROR connected");
  close(sv);
  usleep(50000);
  T("read after peer close", recv(cl, buf, sizeof buf, 0));
  close(cl);

  /* connect to a closed port */
  int dead = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in z = lo4(0);
  bind(dead, SA(z), sizeof z);
  int dport = port_of(dead);
  close(dead);
  int r = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in d = lo4(dport);
  T("connect refused", connect(r, SA(d), sizeof d));
  geti(r, SOL_SOCKET, SO_ERROR, "SO_ERROR after refused");
  close(r);
  /* the same, non-blocking: EINPROGRESS, then SO_ERROR */
  r = socket(AF_INET, SOCK_STREAM, 0);
  fcntl(r, F_SETFL, O_NONBLOCK);
  errno = 0;
  int cr = connect(r, SA(d), sizeof d);
  printf("nonblocking connect refused: %s\n", cr == 0 ? "0" : (errno == EINPROGRESS || errno == ECONNREFUSED) ? "EINPROGRESS|ECONNREFUSED" : en(errno));
  if (cr < 0 && errno == EINPROGRESS) {
    struct pollfd p = {r, POLLOUT, 0};
    poll(&p, 1, 2000);
    int e = -1;
    socklen_t len = sizeof e;
    getsockopt(r, SOL_SOCKET, SO_ERROR, &e, &len);
    printf("SO_ERROR nonblocking: %s\n", en(e));
  } else {
    printf("SO_ERROR nonblocking: ECONNREFUSED\n");
  }
  geti(r, SOL_SOCKET, SO_ERROR, "SO_ERROR read twice");
  close(r);
  /* non-blocking connect to a live listener: EINPROGRESS then connected, then EISCONN */
  r = socket(AF_INET, SOCK_STREAM, 0);
  fcntl(r, F_SETFL, O_NONBLOCK);
  errno = 0;
  cr = connect(r, SA(b), sizeof b);
  printf("nonblocking connect: %s\n", cr == 0 ? "0" : errno == EINPROGRESS ? "EINPROGRESS" : en(errno));
  {
    struct pollfd p = {r, POLLOUT, 0};
    poll(&p, 1, 2000);
    geti(r, SOL_SOCKET, SO_ERROR, "SO_ERROR after connect");
    T("connect again after completion", connect(r, SA(b), sizeof b));
  }
  close(r);
  close(s);
}

static void tcp_v6(void) {
  printf("== tcp6\n");
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  show("socket v6", s >= 0 ? 0 : -1);
  geti(s, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY default");
  seti(s, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
  geti(s, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY");
  name_of(s, 0, "getsockname v6 unbound");
  struct sockaddr_in6 a = lo6(0);
  T("bind ::1", bind(s, SA(a), sizeof a));
  name_of(s, 0, "getsockname v6 bound");
  seti(s, IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY after bind");
  struct sockaddr_in v4 = lo4(port_of(s));
  T("bind v6 socket to v4 addr", bind(socket(AF_INET6, SOCK_STREAM, 0), SA(v4), sizeof v4));
  int s4 = socket(AF_INET, SOCK_STREAM, 0);
  T("bind v4 socket to v6 addr", bind(s4, SA(a), sizeof a));
  T("bind v4 short addrlen", bind(s4, SA(v4), 4));
  close(s4);
  T("listen v6", listen(s, 4));
  int c = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 b = lo6(port_of(s));
  T("connect v6", connect(c, SA(b), sizeof b));
  int sv = accept(s, NULL, NULL);
  show("accept v6", sv >= 0 ? 0 : -1);
  name_of(sv, 1, "getpeername v6");
  geti(sv, IPPROTO_IPV6, IPV6_V6ONLY, "accepted IPV6_V6ONLY");
  close(sv);
  close(c);
  close(s);
  /* a dual-stack socket */
  s = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 any = lo6(0);
  any.sin6_addr = in6addr_any;
  T("bind [::]", bind(s, SA(any), sizeof any));
  T("listen [::]", listen(s, 4));
  c = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = lo4(port_of(s));
  T("v4 connect to dual-stack", connect(c, SA(to), sizeof to));
  sv = accept(s, NULL, NULL);
  name_of(sv, 1, "dual-stack peer");
  name_of(sv, 0, "dual-stack local");
  close(sv);
  close(c);
  close(s);
}

static void udp(void) {
  printf("== udp\n");
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  common_opts(u, "udp");
  name_of(u, 0, "udp getsockname unbound");
  name_of(u, 1, "udp getpeername unconnected");
  T("udp listen", listen(u, 1));
  T("udp accept", accept(u, NULL, NULL));
  {
    /* a failed send still binds a port and a failed shutdown still shuts: fresh sockets */
    int t = socket(AF_INET, SOCK_DGRAM, 0);
    T("udp shutdown unconnected", shutdown(t, SHUT_RDWR));
    close(t);
    t = socket(AF_INET, SOCK_DGRAM, 0);
    T("udp send unconnected", send(t, "x", 1, 0));
    close(t);
  }
  int w = 1;
  T("udp TCP_NODELAY", setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &w, sizeof w));
  seti(u, SOL_SOCKET, SO_RCVBUF, 4096, "udp SO_RCVBUF");
  geti(u, SOL_SOCKET, SO_RCVBUF, "udp SO_RCVBUF");
  struct sockaddr_in a = lo4(0);
  T("udp bind", bind(u, SA(a), sizeof a));
  name_of(u, 0, "udp getsockname bound");
  T("udp bind twice", bind(u, SA(a), sizeof a));
  int v = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in ua = lo4(port_of(u));
  T("udp bind in use", bind(v, SA(ua), sizeof ua));
  T("udp sendto", sendto(v, "ping", 4, 0, SA(ua), sizeof ua));
  name_of(v, 0, "udp sender autobound");
  char buf[64];
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  memset(&from, 0, sizeof from);
  T("udp recvfrom", recvfrom(u, buf, sizeof buf, 0, SA(from), &fl));
  printf("udp from: %s port==sender:%d len=%u\n", fam(from.sin_family), ntohs(from.sin_port) == port_of(v), (unsigned)fl);
  /* truncation */
  T("udp sendto 10", sendto(v, "0123456789", 10, 0, SA(ua), sizeof ua));
  T("udp recv 4 of 10", recv(u, buf, 4, 0));
  T("udp recv after truncation", recv(u, buf, sizeof buf, MSG_DONTWAIT));
  T("udp sendto 10 again", sendto(v, "0123456789", 10, 0, SA(ua), sizeof ua));
  T("udp recv MSG_TRUNC 4", recv(u, buf, 4, MSG_TRUNC));
  T("udp sendto 10 for recvmsg", sendto(v, "0123456789", 10, 0, SA(ua), sizeof ua));
  {
    struct iovec io = {buf, 3};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    long r = recvmsg(u, &m, 0);
    printf("udp recvmsg: %ld MSG_TRUNC=%d\n", r, (m.msg_flags & MSG_TRUNC) != 0);
  }
  T("udp send 0 bytes", sendto(v, "", 0, 0, SA(ua), sizeof ua));
  T("udp recv 0-byte datagram", recv(u, buf, sizeof buf, 0));
  T("udp recv peek dontwait empty", recv(u, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT));
  T("udp sendto for peek", sendto(v, "peek", 4, 0, SA(ua), sizeof ua));
  usleep(20000);
  T("udp recv peek", recv(u, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT));
  T("udp recv after peek", recv(u, buf, sizeof buf, 0));
  /* connected UDP */
  T("udp connect", connect(v, SA(ua), sizeof ua));
  name_of(v, 1, "udp getpeername connected");
  T("udp send connected", send(v, "c1", 2, 0));
  T("udp recv c1", recv(u, buf, sizeof buf, 0));
  int third = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in ta = lo4(0);
  bind(third, SA(ta), sizeof ta);
  ta = lo4(port_of(third));
  T("udp sendto other addr while connected", sendto(v, "c2", 2, 0, SA(ta), sizeof ta));
  usleep(20000);
  T("udp third got it", recv(third, buf, sizeof buf, MSG_DONTWAIT));
  close(third);
  struct sockaddr_in unspec;
  memset(&unspec, 0, sizeof unspec);
  unspec.sin_family = AF_UNSPEC;
  T("udp disconnect (AF_UNSPEC)", connect(v, SA(unspec), sizeof unspec));
  name_of(v, 1, "udp getpeername after disconnect");
  T("udp shutdown connected", shutdown(v, SHUT_WR));
  T("udp send after SHUT_WR", sendto(v, "x", 1, MSG_NOSIGNAL, SA(ua), sizeof ua));
  close(v);
  close(u);
}

static void unix_socks(void) {
  printf("== unix\n");
  int sp[2];
  T("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
  common_opts(sp[0], "unix stream");
  int w = 1;
  T("unix TCP_NODELAY", setsockopt(sp[0], IPPROTO_TCP, TCP_NODELAY, &w, sizeof w));
  name_of(sp[0], 0, "socketpair getsockname");
  name_of(sp[0], 1, "socketpair getpeername");
  T("socketpair listen", listen(sp[0], 1));
  T("socketpair accept", accept(sp[0], NULL, NULL));
  T("socketpair connect again", connect(sp[0], SA(sp), 0));
  char buf[64];
  T("unix send 0", send(sp[0], "", 0, 0));
  T("unix recv dontwait empty", recv(sp[1], buf, sizeof buf, MSG_DONTWAIT));
  T("unix send abc", send(sp[0], "abc", 3, 0));
  T("unix recv peek", recv(sp[1], buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT));
  T("unix recv 2", recv(sp[1], buf, 2, 0));
  T("unix recv rest", recv(sp[1], buf, sizeof buf, 0));
  T("unix recv MSG_TRUNC stream", recv(sp[1], buf, sizeof buf, MSG_TRUNC | MSG_DONTWAIT));
  T("unix shutdown SHUT_WR", shutdown(sp[0], SHUT_WR));
  T("unix peer read EOF", read(sp[1], buf, sizeof buf));
  T("unix send after SHUT_WR", send(sp[0], "x", 1, MSG_NOSIGNAL));
  T("unix peer sends back", send(sp[1], "ok", 2, 0));
  T("unix read back", recv(sp[0], buf, sizeof buf, 0));
  T("unix shutdown SHUT_RD", shutdown(sp[1], SHUT_RD));
  T("unix read after SHUT_RD", recv(sp[1], buf, sizeof buf, MSG_DONTWAIT));
  close(sp[1]);
  T("unix read after peer close", recv(sp[0], buf, sizeof buf, 0));
  T("unix write after peer close", send(sp[0], "x", 1, MSG_NOSIGNAL));
  close(sp[0]);

  T("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sp));
  common_opts(sp[0], "unix dgram");
  T("unix dgram listen", listen(sp[0], 1));
  T("unix dgram send 10", send(sp[0], "0123456789", 10, 0));
  T("unix dgram recv 4", recv(sp[1], buf, 4, 0));
  T("unix dgram recv after trunc", recv(sp[1], buf, sizeof buf, MSG_DONTWAIT));
  T("unix dgram send 10 again", send(sp[0], "0123456789", 10, 0));
  T("unix dgram recv MSG_TRUNC", recv(sp[1], buf, 4, MSG_TRUNC));
  T("unix dgram send 0", send(sp[0], "", 0, 0));
  T("unix dgram recv 0", recv(sp[1], buf, sizeof buf, MSG_DONTWAIT));
  T("unix dgram recv empty", recv(sp[1], buf, sizeof buf, MSG_DONTWAIT));
  T("unix dgram shutdown", shutdown(sp[0], SHUT_RDWR));
  T("unix dgram send after shutdown", send(sp[0], "x", 1, MSG_NOSIGNAL));
  close(sp[0]);
  close(sp[1]);

  int u = socket(AF_UNIX, SOCK_STREAM, 0);
  name_of(u, 0, "unix unbound getsockname");
  name_of(u, 1, "unix getpeername unconnected");
  T("unix send unconnected", send(u, "x", 1, MSG_NOSIGNAL));
  T("unix recv unconnected", recv(u, buf, 1, MSG_DONTWAIT));
  {
    int t = socket(AF_UNIX, SOCK_STREAM, 0);
    T("unix shutdown unconnected", shutdown(t, SHUT_RDWR));
    close(t);
  }
  T("unix accept not listening", accept(u, NULL, NULL));
  struct sockaddr_un ua;
  memset(&ua, 0, sizeof ua);
  ua.sun_family = AF_UNIX;
  strcpy(ua.sun_path, "/tmp/conform_sock.s");
  unlink(ua.sun_path);
  T("unix connect no such path", connect(u, SA(ua), sizeof ua));
  T("unix bind", bind(u, SA(ua), sizeof ua));
  T("unix bind twice", bind(u, SA(ua), sizeof ua));
  int u2 = socket(AF_UNIX, SOCK_STREAM, 0);
  T("unix bind in use", bind(u2, SA(ua), sizeof ua));
  T("unix connect to non-listening", connect(u2, SA(ua), sizeof ua));
  T("unix listen", listen(u, 2));
  geti(u, SOL_SOCKET, SO_ACCEPTCONN, "unix SO_ACCEPTCONN");
  T("unix connect", connect(u2, SA(ua), sizeof ua));
  T("unix connect twice", connect(u2, SA(ua), sizeof ua));
  int a = accept(u, NULL, NULL);
  show("unix accept", a >= 0 ? 0 : -1);
  T("unix recv on listening", recv(u, buf, 1, MSG_DONTWAIT));
  int ud = socket(AF_UNIX, SOCK_DGRAM, 0);
  T("unix dgram connect to stream", connect(ud, SA(ua), sizeof ua));
  T("unix dgram send unconnected", send(ud, "x", 1, 0));
  close(ud);
  close(a);
  close(u2);
  close(u);
  unlink(ua.sun_path);
}

static void misc(void) {
  printf("== misc\n");
  T("socket bad domain", socket(12345, SOCK_STREAM, 0));
  T("socket bad type", socket(AF_INET, 12345, 0));
  T("socket stream/udp", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
  T("socket dgram/tcp", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
  int sp[2];
  T("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, sp));
  int p[2];
  pipe(p);
  int v = 1;
  socklen_t len = sizeof v;
  struct sockaddr_in a = lo4(0);
  char c;
  T("getsockopt on pipe", getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &len));
  T("setsockopt on pipe", setsockopt(p[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
  T("bind on pipe", bind(p[0], SA(a), sizeof a));
  T("listen on pipe", listen(p[0], 1));
  T("accept on pipe", accept(p[0], NULL, NULL));
  T("connect on pipe", connect(p[0], SA(a), sizeof a));
  T("shutdown on pipe", shutdown(p[0], SHUT_RD));
  T("send on pipe", send(p[1], "x", 1, 0));
  T("recv on pipe", recv(p[0], &c, 1, MSG_DONTWAIT));
  len = sizeof a;
  T("getsockname on pipe", getsockname(p[0], SA(a), &len));
  T("getpeername on pipe", getpeername(p[0], SA(a), &len));
  close(p[0]);
  close(p[1]);
  int bad = 987;
  len = sizeof v;
  T("getsockopt bad fd", getsockopt(bad, SOL_SOCKET, SO_TYPE, &v, &len));
  T("setsockopt bad fd", setsockopt(bad, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
  T("bind bad fd", bind(bad, SA(a), sizeof a));
  T("listen bad fd", listen(bad, 1));
  T("accept bad fd", accept(bad, NULL, NULL));
  T("connect bad fd", connect(bad, SA(a), sizeof a));
  T("shutdown bad fd", shutdown(bad, SHUT_RD));
  T("send bad fd", send(bad, "x", 1, 0));
  T("sendto bad fd", sendto(bad, "x", 1, 0, SA(a), sizeof a));
  T("recv bad fd", recv(bad, &c, 1, 0));
  T("recvfrom bad fd", recvfrom(bad, &c, 1, 0, NULL, NULL));
  len = sizeof a;
  T("getsockname bad fd", getsockname(bad, SA(a), &len));
  T("getpeername bad fd", getpeername(bad, SA(a), &len));
}

static void more(void) {
  printf("== more\n");
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  printf("SOCK_NONBLOCK: %d\n", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0);
  printf("SOCK_CLOEXEC: %d\n", (fcntl(s, F_GETFD) & FD_CLOEXEC) != 0);
  char c;
  T("nonblocking recv unconnected", recv(s, &c, 1, 0));
  struct sockaddr_in a = lo4(0);
  T("bind nonblocking", bind(s, SA(a), sizeof a));
  T("listen backlog 0", listen(s, 0));
  {
    /* a bound on the wait should SOCK_NONBLOCK be lost (the line above says so): no hang */
    struct timeval tv = {1, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  T("accept4 nothing pending", accept4(s, NULL, NULL, SOCK_NONBLOCK));
  int port = port_of(s);
  struct sockaddr_in b = lo4(port);
  int c1 = socket(AF_INET, SOCK_STREAM, 0);
  T("connect to backlog-0 listener", connect(c1, SA(b), sizeof b));
  name_of(c1, 0, "client autobound");
  struct pollfd p = {s, POLLIN, 0};
  poll(&p, 1, 2000);
  int a1 = accept4(s, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  show("accept4", a1 >= 0 ? 0 : -1);
  printf("accept4 NONBLOCK: %d CLOEXEC: %d\n", (fcntl(a1, F_GETFL) & O_NONBLOCK) != 0, (fcntl(a1, F_GETFD) & FD_CLOEXEC) != 0);
  T("accept4 bad flags", accept4(s, NULL, NULL, 0x10000000));
  T("accepted recv nonblocking", recv(a1, &c, 1, 0));
  {
    struct timeval tv = {0, 100000};
    T("set SO_RCVTIMEO 0.1s", setsockopt(c1, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    T("recv timeout", recv(c1, &c, 1, 0));
    tv.tv_usec = 500000; /* a whole number of jiffies at any HZ: Linux rounds to them */
    T("set SO_SNDTIMEO 0.5s", setsockopt(c1, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
    memset(&tv, 0, sizeof tv);
    socklen_t len = sizeof tv;
    int r = getsockopt(c1, SOL_SOCKET, SO_SNDTIMEO, &tv, &len);
    printf("SO_SNDTIMEO: %d %ld.%06ld\n", r, (long)tv.tv_sec, (long)tv.tv_usec);
    T("set SO_RCVTIMEO short", setsockopt(c1, SOL_SOCKET, SO_RCVTIMEO, &tv, 4));
  }
  {
    struct linger l = {9, 9};
    socklen_t len = 4;
    int r = getsockopt(c1, SOL_SOCKET, SO_LINGER, &l, &len);
    printf("SO_LINGER short len: %d len=%u onoff=%d\n", r, (unsigned)len, l.l_onoff);
  }
  T("send 3", send(a1, "abc", 3, 0));
  usleep(50000);
  char buf[16];
  T("recv MSG_WAITALL 3", recv(c1, buf, 3, MSG_WAITALL));
  T("sendto unconnected tcp with addr", sendto(socket(AF_INET, SOCK_STREAM, 0), "x", 1, MSG_NOSIGNAL, SA(b), sizeof b));
  int v6 = socket(AF_INET6, SOCK_STREAM, 0);
  T("tcp6 connect to sockaddr_in", connect(v6, SA(b), sizeof b));
  close(v6);
  int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 l6 = lo6(0);
  T("udp6 bind ::1", bind(u6, SA(l6), sizeof l6));
  name_of(u6, 0, "udp6 getsockname");
  int u6b = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 t6 = lo6(port_of(u6));
  T("udp6 sendto", sendto(u6b, "six", 3, 0, SA(t6), sizeof t6));
  struct sockaddr_in6 f6;
  socklen_t fl = sizeof f6;
  T("udp6 recvfrom", recvfrom(u6, buf, sizeof buf, 0, SA(f6), &fl));
  printf("udp6 from: %s port==sender:%d len==sizeof:%d\n", fam(f6.sin6_family), ntohs(f6.sin6_port) == port_of(u6b), fl == sizeof f6);
  T("udp6 IPV6_V6ONLY", geti(u6, IPPROTO_IPV6, IPV6_V6ONLY, "udp6 IPV6_V6ONLY"));
  close(u6);
  close(u6b);
  int d = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in da = lo4(0);
  bind(d, SA(da), sizeof da);
  T("udp recv nonblocking MSG_DONTWAIT", recv(d, buf, sizeof buf, MSG_DONTWAIT));
  T("udp SHUT_RD unconnected", shutdown(d, SHUT_RD));
  {
    /* blocking, bounded: a shut-down socket answers at once; 1 s later would be EAGAIN */
    struct timeval tv = {1, 0};
    setsockopt(d, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  T("udp recv after SHUT_RD", recv(d, buf, sizeof buf, 0));
  close(d);
  close(a1);
  close(c1);
  close(s);
}

static void extra(void) {
  printf("== extra\n");
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int v = 1;
  socklen_t len = sizeof v;
  T("getsockopt IPV6_V6ONLY on v4", getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len));
  char c;
  T("recv MSG_OOB nothing urgent", recv(s, &c, 1, MSG_OOB));
  close(s);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  seti(u, SOL_SOCKET, SO_KEEPALIVE, 1, "udp SO_KEEPALIVE");
  geti(u, SOL_SOCKET, SO_KEEPALIVE, "udp SO_KEEPALIVE");
  struct linger l = {1, 3};
  T("udp set SO_LINGER", setsockopt(u, SOL_SOCKET, SO_LINGER, &l, sizeof l));
  close(u);
  int sp[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
  seti(sp[0], SOL_SOCKET, SO_SNDBUF, 65536, "unix SO_SNDBUF");
  geti(sp[0], SOL_SOCKET, SO_SNDBUF, "unix SO_SNDBUF");
  seti(sp[0], SOL_SOCKET, SO_REUSEADDR, 1, "unix SO_REUSEADDR");
  geti(sp[0], SOL_SOCKET, SO_REUSEADDR, "unix SO_REUSEADDR");
  close(sp[0]);
  close(sp[1]);
  /* two SO_REUSEADDR sockets bound (not listening) to one port; then SO_REUSEPORT listeners */
  int a = socket(AF_INET, SOCK_STREAM, 0), b = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(a, SOL_SOCKET, SO_REUSEPORT, &v, sizeof v);
  setsockopt(b, SOL_SOCKET, SO_REUSEPORT, &v, sizeof v);
  struct sockaddr_in x = lo4(0);
  T("REUSEPORT bind a", bind(a, SA(x), sizeof x));
  x = lo4(port_of(a));
  T("REUSEPORT listen a", listen(a, 4));
  T("REUSEPORT bind b same port", bind(b, SA(x), sizeof x));
  T("REUSEPORT listen b", listen(b, 4));
  close(a);
  close(b);
  int n = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in far = lo4(0);
  inet_pton(AF_INET, "192.0.2.1", &far.sin_addr);
  T("bind non-local address", bind(n, SA(far), sizeof far));
  close(n);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  tcp_v4();
  tcp_v6();
  udp();
  unix_socks();
  misc();
  more();
  extra();
  printf("done\n");
  return 0;
}
