/*
 * Differential conformance of BSD sockets, part 3 of 3: socket() argument errors, ENOTSOCK and
 * EBADF from every call, SOCK_NONBLOCK/SOCK_CLOEXEC and accept4, timeouts, MSG_WAITALL, UDP over
 * IPv6, and options on the less usual socket kinds. Built natively with gcc this is the Linux
 * reference; test/libos/net/conform-sock.test.ts asserts the same output under occlum-ts. Its
 * last line, "done", ends the whole reference.
 */
#include "conform_sock.h"

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
  misc();
  more();
  extra();
  printf("done\n");
  return 0;
}
