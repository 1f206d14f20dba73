/* Shared by the network test guests: the failure check, IPv4 loopback sockets, Unix addresses. */
#ifndef NET_UTIL_H
#define NET_UTIL_H
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#define CHECK(x) do { if ((x) < 0) { printf("FAIL %s: %s\n", #x, strerror(errno)); fflush(stdout); exit(1); } } while (0)

static inline struct sockaddr_in loopback4(int port) {
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  return a;
}

/* A TCP socket listening on 127.0.0.1 at a port the kernel picks; *port gets it (if not NULL). */
static inline int listen_loopback4(int backlog, int *port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(s);
  struct sockaddr_in a = loopback4(0);
  CHECK(bind(s, (struct sockaddr *)&a, sizeof a));
  CHECK(listen(s, backlog));
  socklen_t len = sizeof a;
  CHECK(getsockname(s, (struct sockaddr *)&a, &len));
  if (port) *port = ntohs(a.sin_port);
  return s;
}
/* Listens on an ephemeral loopback port, prints "listening <port>" for the test, accepts one peer. */
static inline int accept_one_loopback4(void) {
  int port;
  int s = listen_loopback4(4, &port);
  printf("listening %d\n", port);
  fflush(stdout);
  int c = accept(s, NULL, NULL);
  CHECK(c);
  return c;
}
/* A Unix socket address for `path` (cut to fit sun_path). */
static inline struct sockaddr_un unix_addr(const char *path) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  return a;
}
#endif
