/* Differential test of the IP-level and other int socket options WASIX cannot name (IP_TOS,
 * IP_TTL, IPV6_UNICAST_HOPS, IPV6_TCLASS, SO_PRIORITY, SO_RCVLOWAT, SO_SNDLOWAT, TCP_CORK,
 * TCP_USER_TIMEOUT, TCP_DEFER_ACCEPT, TCP_QUICKACK): defaults, valid and invalid values, Linux's coupling and rounding rules,
 * short buffers, wrong levels, and what an accepted socket inherits. Prints what Linux prints
 * (test/libos/net/conform-sockopt.test.ts has the native output). */
#include "conform_sock.h"
#include <pthread.h>
#include <time.h>

/* errno names: the two libcs' strerror texts differ */
#define strerror en

static void get(int s, const char *n, int lvl, int opt) {
  int v = -99;
  socklen_t l = sizeof v;
  int r = getsockopt(s, lvl, opt, &v, &l);
  if (r) printf("  get %s: %s\n", n, strerror(errno));
  else printf("  get %s: %d len %u\n", n, v, (unsigned)l);
}

static void set(int s, const char *n, int lvl, int opt, int v) {
  int r = setsockopt(s, lvl, opt, &v, sizeof v);
  printf("  set %s=%d: %s\n", n, v, r ? strerror(errno) : "ok");
}

/* get, then set each value and get again */
#define SWEEP(s, lvl, opt, ...)                                  \
  do {                                                           \
    int vs_[] = {__VA_ARGS__};                                   \
    get(s, #opt, lvl, opt);                                      \
    for (unsigned i_ = 0; i_ < sizeof vs_ / sizeof *vs_; i_++) { \
      set(s, #opt, lvl, opt, vs_[i_]);                           \
      get(s, #opt, lvl, opt);                                    \
    }                                                            \
  } while (0)

static void sweep(int dom, int type) {
  int s = socket(dom, type, 0);
  printf("%s %s\n", dom == AF_INET6 ? "inet6" : "inet", type == SOCK_DGRAM ? "dgram" : "stream");
  SWEEP(s, IPPROTO_IP, IP_TOS, 0x10, 0x13, 256, -1);
  SWEEP(s, IPPROTO_IP, IP_TTL, 1, 255, 0, 256, -1);
  if (dom == AF_INET6) {
    SWEEP(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 1, 255, 0, 256, -2, -1);
    SWEEP(s, IPPROTO_IPV6, IPV6_TCLASS, 0x10, 255, 256, -2, -1);
  } else {
    set(s, "IPV6_TCLASS", IPPROTO_IPV6, IPV6_TCLASS, 16);
    get(s, "IPV6_TCLASS", IPPROTO_IPV6, IPV6_TCLASS);
    set(s, "IPV6_UNICAST_HOPS", IPPROTO_IPV6, IPV6_UNICAST_HOPS, 5);
  }
  /* IP_TOS sets SO_PRIORITY from its TOS bits; an unchanged TOS leaves it */
  SWEEP(s, SOL_SOCKET, SO_PRIORITY, 3, 7, -1);
  set(s, "IP_TOS", IPPROTO_IP, IP_TOS, 0x08);
  get(s, "SO_PRIORITY", SOL_SOCKET, SO_PRIORITY);
  set(s, "SO_PRIORITY", SOL_SOCKET, SO_PRIORITY, 1);
  set(s, "IP_TOS", IPPROTO_IP, IP_TOS, 0x08);
  get(s, "SO_PRIORITY", SOL_SOCKET, SO_PRIORITY);
  set(s, "IP_TOS", IPPROTO_IP, IP_TOS, 0x04);
  get(s, "SO_PRIORITY", SOL_SOCKET, SO_PRIORITY);
  SWEEP(s, SOL_SOCKET, SO_SNDLOWAT, 10);
  SWEEP(s, SOL_SOCKET, SO_RCVLOWAT, 10, 0, -5);
  if (type == SOCK_STREAM) {
    set(s, "SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, 8192);
    SWEEP(s, SOL_SOCKET, SO_RCVLOWAT, 3000, -5);
  }
  if (type == SOCK_STREAM) {
    SWEEP(s, IPPROTO_TCP, TCP_USER_TIMEOUT, 3000, 0, -1);
    SWEEP(s, IPPROTO_TCP, TCP_CORK, 1, 5, 0);
    SWEEP(s, IPPROTO_TCP, TCP_DEFER_ACCEPT, 5, 1, 2, 3, 8, 100, 1000, 0, -1);
    SWEEP(s, IPPROTO_TCP, TCP_QUICKACK, 0, 5, 0, 1);
  } else {
    set(s, "TCP_USER_TIMEOUT", IPPROTO_TCP, TCP_USER_TIMEOUT, 5);
    set(s, "TCP_QUICKACK", IPPROTO_TCP, TCP_QUICKACK, 1);
  }
  close(s);
}

/* Short buffers: IPv4's options read as one byte into a shorter buffer and are set from one. */
static void bytes(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  printf("bytes\n");
  unsigned char c = 77;
  socklen_t l = 1;
  printf("  set IP_TTL from 1 byte: %s\n", setsockopt(s, IPPROTO_IP, IP_TTL, &c, 1) ? strerror(errno) : "ok");
  c = 0;
  int r = getsockopt(s, IPPROTO_IP, IP_TTL, &c, &l);
  printf("  get IP_TTL into 1 byte: %s %u len %u\n", r ? strerror(errno) : "ok", c, (unsigned)l);
  short h = 0;
  l = 2;
  r = getsockopt(s, IPPROTO_IP, IP_TOS, &h, &l);
  printf("  get IP_TOS into 2 bytes: %s len %u\n", r ? strerror(errno) : "ok", (unsigned)l);
  printf("  set TCP_USER_TIMEOUT from 2 bytes: %s\n", setsockopt(s, IPPROTO_TCP, TCP_USER_TIMEOUT, &h, 2) ? strerror(errno) : "ok");
  printf("  set SO_PRIORITY from 2 bytes: %s\n", setsockopt(s, SOL_SOCKET, SO_PRIORITY, &h, 2) ? strerror(errno) : "ok");
  close(s);
}

/* AF_UNIX: SO_PRIORITY is a socket-level option there too; IP levels are not. */
static void unix_stream(void) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  printf("unix stream\n");
  SWEEP(s, SOL_SOCKET, SO_PRIORITY, 2);
  get(s, "SO_SNDLOWAT", SOL_SOCKET, SO_SNDLOWAT);
  set(s, "IP_TOS", IPPROTO_IP, IP_TOS, 16);
  get(s, "IP_TOS", IPPROTO_IP, IP_TOS);
  close(s);
}

static void sleep_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, 0);
}

/* SO_RCVLOWAT on a stream: poll and blocking receives wait for that many bytes. */
static int lowat_tx;
static void *send_later(void *arg) {
  (void)arg;
  sleep_ms(30);
  send(lowat_tx, "gh", 2, 0);
  sleep_ms(30);
  send(lowat_tx, "ij", 2, 0);
  return 0;
}

static void lowat(int a, int b, const char *what) {
  int v = 4;
  char buf[16];
  setsockopt(b, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof v);
  send(a, "ab", 2, 0);
  sleep_ms(20);
  struct pollfd p = {b, POLLIN, 0};
  int pr = poll(&p, 1, 50);
  int n = (int)recv(b, buf, sizeof buf, MSG_DONTWAIT | MSG_PEEK);
  printf("%s: 2 of 4 bytes: poll %d, a non-blocking peek %d\n", what, pr, n);
  send(a, "cd", 2, 0);
  sleep_ms(20);
  pr = poll(&p, 1, 50);
  n = (int)recv(b, buf, sizeof buf, 0);
  printf("%s: 4 bytes: poll %d, recv %d\n", what, pr, n);
  send(a, "ef", 2, 0);
  sleep_ms(20);
  n = (int)recv(b, buf, 2, 0);
  printf("%s: a recv of 2 with 2 there: %d\n", what, n);
  pthread_t t;
  lowat_tx = a;
  pthread_create(&t, 0, send_later, 0);
  n = (int)recv(b, buf, sizeof buf, 0);
  pthread_join(t, 0);
  printf("%s: a blocking recv while 2, then 2 more arrive: %d\n", what, n);
  send(a, "k", 1, 0);
  shutdown(a, SHUT_WR);
  n = (int)recv(b, buf, sizeof buf, 0);
  printf("%s: the end of the stream ends the wait: %d\n", what, n);
}

/* TCP_CORK: a partial segment waits for the cork to come off, 200 ms at most, or a shutdown. */
static void cork(int c, int s) {
  int on = 1, off = 0;
  char buf[100];
  struct pollfd p = {s, POLLIN, 0};
  setsockopt(c, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
  get(c, "TCP_CORK", IPPROTO_TCP, TCP_CORK);
  send(c, "0123456789", 10, 0);
  int pr = poll(&p, 1, 50);
  printf("cork: 10 bytes corked: poll %d\n", pr);
  setsockopt(c, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
  pr = poll(&p, 1, 1000);
  printf("cork: uncorked: poll %d recv %d\n", pr, (int)recv(s, buf, sizeof buf, 0));
  setsockopt(c, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
  send(c, "abc", 3, 0);
  pr = poll(&p, 1, 20);
  printf("cork: corked again: poll %d\n", pr);
  sleep_ms(300);
  pr = poll(&p, 1, 0);
  printf("cork: after 300 ms: poll %d recv %d\n", pr, (int)recv(s, buf, sizeof buf, 0));
  send(c, "xy", 2, 0);
  shutdown(c, SHUT_WR);
  pr = poll(&p, 1, 1000);
  printf("cork: a shutdown sends what was held: poll %d recv %d\n", pr, (int)recv(s, buf, sizeof buf, 0));
}

static void lowat_cases(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  int one = 1;
  if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &al)) return;
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr *)&a, sizeof a)) return;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int s = accept(l, 0, 0);
  lowat(c, s, "tcp");
  close(s);
  close(c);
  c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr *)&a, sizeof a)) return;
  s = accept(l, 0, 0);
  cork(c, s);
  close(s);
  close(c);
  close(l);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return;
  lowat(sv[0], sv[1], "unix");
  close(sv[0]);
  close(sv[1]);
}

/* What an accepted socket starts with: the listener's values, but not TCP_DEFER_ACCEPT. */
static void inherit(void) {
  printf("accepted\n");
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  set(l, "IP_TOS", IPPROTO_IP, IP_TOS, 0x20);
  set(l, "IP_TTL", IPPROTO_IP, IP_TTL, 33);
  set(l, "TCP_USER_TIMEOUT", IPPROTO_TCP, TCP_USER_TIMEOUT, 1234);
  set(l, "TCP_DEFER_ACCEPT", IPPROTO_TCP, TCP_DEFER_ACCEPT, 3);
  if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &al)) {
    printf("  FAIL listener: %s\n", strerror(errno));
    return;
  }
  get(l, "SO_PRIORITY", SOL_SOCKET, SO_PRIORITY);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr *)&a, sizeof a)) {
    printf("  FAIL connect: %s\n", strerror(errno));
    return;
  }
  /* TCP_DEFER_ACCEPT holds the connection back until it has data */
  if (write(c, "x", 1) != 1) printf("  FAIL write: %s\n", strerror(errno));
  int s = accept(l, NULL, NULL);
  if (s < 0) {
    printf("  FAIL accept: %s\n", strerror(errno));
    return;
  }
  get(s, "IP_TOS", IPPROTO_IP, IP_TOS);
  get(s, "IP_TTL", IPPROTO_IP, IP_TTL);
  get(s, "SO_PRIORITY", SOL_SOCKET, SO_PRIORITY);
  get(s, "TCP_USER_TIMEOUT", IPPROTO_TCP, TCP_USER_TIMEOUT);
  get(s, "TCP_DEFER_ACCEPT", IPPROTO_TCP, TCP_DEFER_ACCEPT);
  printf(" the connecting socket\n");
  get(c, "IP_TOS", IPPROTO_IP, IP_TOS);
  get(c, "IP_TTL", IPPROTO_IP, IP_TTL);
  /* a value set on a connected socket */
  set(c, "IP_TOS", IPPROTO_IP, IP_TOS, 0x10);
  get(c, "IP_TOS", IPPROTO_IP, IP_TOS);
  close(s);
  close(c);
  close(l);
}

int main(void) {
  sweep(AF_INET, SOCK_STREAM);
  sweep(AF_INET, SOCK_DGRAM);
  sweep(AF_INET6, SOCK_STREAM);
  sweep(AF_INET6, SOCK_DGRAM);
  bytes();
  unix_stream();
  inherit();
  lowat_cases();
  return 0;
}
