/*
 * Shared by the socket conformance programs (conform_sock_tcp.c, conform_sock_udp_unix.c,
 * conform_sock_misc.c): errno names, the one-line-per-case printers and loopback addresses.
 * Every case prints its return value, errno name and values read back, never addresses that
 * vary, fds or timings, so the Linux output can be compared line by line. `static inline` so a
 * program that leaves a helper unused builds without warnings.
 */
#ifndef CONFORM_SOCK_H
#define CONFORM_SOCK_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
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

static inline const char *en(int e) {
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
static inline long show(const char *name, long r) {
  if (r < 0) printf("%s: %ld %s\n", name, r, en(errno));
  else printf("%s: %ld\n", name, r);
  fflush(stdout);
  return r;
}
#define T(name, expr) (errno = 0, show(name, (long)(expr)))

static inline int geti(int fd, int level, int opt, const char *name) {
  int v = -7;
  socklen_t len = sizeof v;
  errno = 0;
  int r = getsockopt(fd, level, opt, &v, &len);
  if (r < 0) printf("%s: -1 %s\n", name, en(errno));
  else printf("%s: %d len=%u\n", name, v, (unsigned)len);
  return v;
}
static inline void seti(int fd, int level, int opt, int v, const char *name) {
  char b[96];
  snprintf(b, sizeof b, "set %s=%d", name, v);
  T(b, setsockopt(fd, level, opt, &v, sizeof v));
}

static inline const char *fam(int f) {
  return f == AF_INET ? "AF_INET" : f == AF_INET6 ? "AF_INET6" : f == AF_UNIX ? "AF_UNIX" : "AF_?";
}

/* getsockname / getpeername as "family addr port" (port 0 or "port>0"). */
static inline void name_of(int fd, int peer, const char *what) {
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

static inline int port_of(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -1;
  return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) : ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static inline struct sockaddr_in lo4(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}
static inline struct sockaddr_in6 lo6(int port) {
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  a.sin6_addr = in6addr_loopback;
  return a;
}
#define SA(x) ((struct sockaddr *)&(x))

static inline void common_opts(int fd, const char *tag) {
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

#endif
