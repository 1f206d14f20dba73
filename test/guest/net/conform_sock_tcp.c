/*
 * Differential conformance of BSD sockets, part 1 of 3: TCP over IPv4 and IPv6 (the options
 * servers set, optlen rules, the errno of each misuse, peek/dontwait/shutdown on a connection,
 * refused and non-blocking connects, v6-only and dual-stack). Built natively with gcc this is
 * the Linux reference; test/libos/net/conform-sock.test.ts asserts the same output under
 * occlum-ts. Parts 2 (conform_sock_udp_unix.c) and 3 (conform_sock_misc.c) run after it, and
 * the three outputs in order are the whole reference. Loopback only; ports are ephemeral and
 * printed only as comparisons.
 */
#include "conform_sock.h"

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

/* Keepalive tuning (TCP_KEEPIDLE/KEEPINTVL/KEEPCNT): defaults, bounds, inherited by accept. */
static void keepalive_tuning(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  geti(s, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE default");
  geti(s, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL default");
  geti(s, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT default");
  seti(s, IPPROTO_TCP, TCP_KEEPIDLE, 30, "TCP_KEEPIDLE 30");
  geti(s, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE");
  seti(s, IPPROTO_TCP, TCP_KEEPIDLE, 0, "TCP_KEEPIDLE 0");
  seti(s, IPPROTO_TCP, TCP_KEEPIDLE, 32768, "TCP_KEEPIDLE 32768");
  seti(s, IPPROTO_TCP, TCP_KEEPIDLE, 32767, "TCP_KEEPIDLE 32767");
  seti(s, IPPROTO_TCP, TCP_KEEPINTVL, 10, "TCP_KEEPINTVL 10");
  seti(s, IPPROTO_TCP, TCP_KEEPINTVL, 0, "TCP_KEEPINTVL 0");
  seti(s, IPPROTO_TCP, TCP_KEEPINTVL, 32768, "TCP_KEEPINTVL 32768");
  geti(s, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL");
  seti(s, IPPROTO_TCP, TCP_KEEPCNT, 5, "TCP_KEEPCNT 5");
  seti(s, IPPROTO_TCP, TCP_KEEPCNT, 128, "TCP_KEEPCNT 128");
  seti(s, IPPROTO_TCP, TCP_KEEPCNT, -1, "TCP_KEEPCNT -1");
  geti(s, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT");
  short small = 9;
  T("TCP_KEEPIDLE optlen 2", setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &small, sizeof small));
  int v = -7;
  socklen_t len = 2;
  int r = getsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &v, &len);
  printf("TCP_KEEPCNT get len 2: %d len=%u low half %d\n", r, (unsigned)len, v & 0xffff);
  /* an accepted socket starts with its listener's values */
  struct sockaddr_in a = lo4(0);
  socklen_t al = sizeof a;
  T("bind", bind(s, (struct sockaddr *)&a, sizeof a));
  T("listen", listen(s, 1));
  T("getsockname", getsockname(s, (struct sockaddr *)&a, &al));
  int c = socket(AF_INET, SOCK_STREAM, 0);
  T("connect", connect(c, (struct sockaddr *)&a, sizeof a));
  int acc = accept(s, NULL, NULL);
  geti(acc, IPPROTO_TCP, TCP_KEEPIDLE, "accepted TCP_KEEPIDLE");
  geti(acc, IPPROTO_TCP, TCP_KEEPINTVL, "accepted TCP_KEEPINTVL");
  geti(acc, IPPROTO_TCP, TCP_KEEPCNT, "accepted TCP_KEEPCNT");
  geti(c, IPPROTO_TCP, TCP_KEEPIDLE, "connected TCP_KEEPIDLE");
  close(acc);
  close(c);
  close(s);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  seti(u, IPPROTO_TCP, TCP_KEEPIDLE, 30, "UDP TCP_KEEPIDLE");
  geti(u, IPPROTO_TCP, TCP_KEEPIDLE, "UDP TCP_KEEPIDLE get");
  close(u);
  int x = socket(AF_UNIX, SOCK_STREAM, 0);
  seti(x, IPPROTO_TCP, TCP_KEEPIDLE, 30, "unix TCP_KEEPIDLE");
  close(x);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  tcp_v4();
  tcp_v6();
  keepalive_tuning();
  return 0;
}
