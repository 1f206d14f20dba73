/*
 * Differential conformance of BSD sockets, part 2 of 3: UDP over IPv4 (errno of misuse,
 * truncation, MSG_TRUNC/PEEK, connect and disconnect) and AF_UNIX (stream and datagram
 * socketpairs, named stream sockets on a path). Built natively with gcc this is the Linux
 * reference; test/libos/net/conform-sock.test.ts asserts the same output under occlum-ts.
 */
#include "conform_sock.h"

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

/* A connected UDP socket's local address, and SHUT_RD: EOF only for a call that would block. */
static void udp_connected(void) {
  int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in x = lo4(0), y;
  socklen_t l = sizeof x;
  T("udp bind a", bind(a, (struct sockaddr *)&x, sizeof x));
  T("udp getsockname a", getsockname(a, (struct sockaddr *)&x, &l));
  T("udp connect b to a", connect(b, (struct sockaddr *)&x, sizeof x));
  l = sizeof y;
  T("udp getsockname b", getsockname(b, (struct sockaddr *)&y, &l));
  printf("udp b local after connect: %s port>0 %d\n", inet_ntoa(y.sin_addr), ntohs(y.sin_port) > 0);
  T("udp connect a to b", connect(a, (struct sockaddr *)&y, sizeof y));
  char buf[8];
  T("udp shutdown SHUT_RD", shutdown(a, SHUT_RD));
  T("udp recv dontwait after SHUT_RD", recv(a, buf, sizeof buf, MSG_DONTWAIT));
  T("udp recv blocking after SHUT_RD", recv(a, buf, sizeof buf, 0));
  T("udp send to the shut socket", send(b, "hi", 2, 0));
  usleep(20000);
  T("udp recv it after SHUT_RD", recv(a, buf, sizeof buf, MSG_DONTWAIT));
  struct sockaddr_in un = {0};
  un.sin_family = AF_UNSPEC;
  T("udp disconnect b", connect(b, (struct sockaddr *)&un, sizeof un));
  l = sizeof y;
  T("udp getsockname b", getsockname(b, (struct sockaddr *)&y, &l));
  printf("udp b local after disconnect: %s\n", inet_ntoa(y.sin_addr));
  close(a);
  close(b);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  udp();
  unix_socks();
  udp_connected();
  return 0;
}
