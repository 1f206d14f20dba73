/* Network benchmark program: the same source runs under occlum-ts (occlum-cc, POSIX mode) and
 * natively (gcc). One epoll server loop, as a small real server is written, and two clients.
 *
 *   netbench server MODE NCONN      MODE sink | echo | http; prints "listening PORT", serves until
 *                                   NCONN connections have closed, then prints "served N bytes B"
 *   netbench bulk PORT STREAMS MIB WRITE   STREAMS connections send MIB MiB in total in WRITE-byte
 *                                   writes, half-close, wait for the server's close; prints
 *                                   "bulk BYTES SECONDS"
 *   netbench pingpong PORT N        one connection, N round trips of one byte; "pingpong N SECONDS"
 *
 * Loops are bounded by the byte / connection counts the caller gives.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHECK(x) do { if ((x) < 0) { fprintf(stderr, "netbench: %s: %s\n", #x, strerror(errno)); exit(1); } } while (0)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nonblock(int fd) {
  CHECK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
}

/* ---- server ---------------------------------------------------------------------------------- */

enum { SINK, ECHO, HTTP };
#define MAX_FD 65536
#define REQ_MAX 8192

/* Per-connection state of the http mode: bytes of an incomplete request. */
struct conn { char *req; int len; };
static struct conn conns[MAX_FD];

static const char RESPONSE[] =
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

/* Write all of `buf` to a non-blocking socket, waiting in poll when its buffer is full. */
static int send_all(int fd, const char *buf, size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t w = send(fd, buf + off, n - off, 0);
    if (w < 0) {
      if (errno != EAGAIN) return -1;
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      poll(&p, 1, 1000);
      continue;
    }
    off += w;
  }
  return 0;
}

/* Answer every complete request in the connection's buffer (pipelined requests batch). */
static int http_input(int fd, const char *data, ssize_t n) {
  struct conn *c = &conns[fd];
  if (!c->req) c->req = malloc(REQ_MAX);
  if (c->len + n > REQ_MAX) return -1;
  memcpy(c->req + c->len, data, n);
  c->len += n;
  static char out[64 * (sizeof RESPONSE - 1)];
  size_t outn = 0;
  int start = 0;
  for (int i = 3; i < c->len; i++) {
    if (c->req[i] == '\n' && c->req[i - 1] == '\r' && c->req[i - 2] == '\n' && c->req[i - 3] == '\r') {
      if (outn + sizeof RESPONSE - 1 > sizeof out) {
        if (send_all(fd, out, outn) < 0) return -1;
        outn = 0;
      }
      memcpy(out + outn, RESPONSE, sizeof RESPONSE - 1);
      outn += sizeof RESPONSE - 1;
      start = i + 1;
    }
  }
  memmove(c->req, c->req + start, c->len - start);
  c->len -= start;
  return outn ? send_all(fd, out, outn) : 0;
}

static int server(const char *mode_name, int nconn) {
  int mode = !strcmp(mode_name, "sink") ? SINK : !strcmp(mode_name, "echo") ? ECHO : HTTP;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(s);
  int one = 1;
  CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  CHECK(bind(s, (struct sockaddr *)&a, sizeof a));
  CHECK(listen(s, 1024));
  socklen_t len = sizeof a;
  CHECK(getsockname(s, (struct sockaddr *)&a, &len));
  printf("listening %d\n", ntohs(a.sin_port));
  fflush(stdout);
  int ep = epoll_create1(0);
  CHECK(ep);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
  static char buf[256 * 1024];
  long long bytes = 0;
  int closed = 0;
  while (closed < nconn) {
    struct epoll_event evs[64];
    int n = epoll_wait(ep, evs, 64, 60000);
    CHECK(n);
    if (n == 0) { fprintf(stderr, "netbench: idle for 60 s\n"); return 1; }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == s) {
        int c = accept(s, NULL, NULL);
        CHECK(c);
        if (c >= MAX_FD) { close(c); closed++; continue; }
        nonblock(c);
        CHECK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
        struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
        CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce));
        continue;
      }
      ssize_t k = recv(fd, buf, sizeof buf, 0);
      if (k < 0 && errno == EAGAIN) continue;
      int fail = k < 0;
      if (k > 0) {
        bytes += k;
        if (mode == ECHO) fail = send_all(fd, buf, k) < 0;
        else if (mode == HTTP) fail = http_input(fd, buf, k) < 0;
      }
      if (k == 0 || fail) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
        free(conns[fd].req);
        conns[fd].req = NULL;
        conns[fd].len = 0;
        closed++;
      }
    }
  }
  printf("served %d bytes %lld\n", closed, bytes);
  return 0;
}

/* ---- clients --------------------------------------------------------------------------------- */

static int connect_port(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(s);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  CHECK(connect(s, (struct sockaddr *)&a, sizeof a));
  int one = 1;
  CHECK(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
  return s;
}

static int bulk(int port, int streams, long long mib, int wsize) {
  if (streams < 1 || streams > 64 || wsize < 1) return 2;
  long long per = mib * 1024 * 1024 / streams;
  char *block = malloc(wsize);
  for (int i = 0; i < wsize; i++) block[i] = (char)(i * 7);
  int fds[64];
  long long left[64];
  int eof[64];
  double t0 = now();
  for (int i = 0; i < streams; i++) {
    fds[i] = connect_port(port);
    nonblock(fds[i]);
    left[i] = per;
    eof[i] = 0;
  }
  int done = 0;
  while (done < streams) {
    struct pollfd p[64];
    for (int i = 0; i < streams; i++) {
      p[i].fd = eof[i] ? -1 : fds[i];
      p[i].events = left[i] > 0 ? POLLOUT : POLLIN;
      p[i].revents = 0;
    }
    CHECK(poll(p, streams, 60000));
    for (int i = 0; i < streams; i++) {
      if (p[i].revents == 0) continue;
      if (left[i] > 0) {
        ssize_t w = send(fds[i], block, left[i] < wsize ? left[i] : wsize, 0);
        if (w < 0 && errno != EAGAIN) { perror("netbench: send"); return 1; }
        if (w > 0) left[i] -= w;
        if (left[i] == 0) shutdown(fds[i], SHUT_WR);
      } else {
        char b[4096];
        ssize_t r = recv(fds[i], b, sizeof b, 0);
        if (r < 0 && errno == EAGAIN) continue;
        eof[i] = 1;
        done++;
        close(fds[i]);
      }
    }
  }
  printf("bulk %lld %.6f\n", per * streams, now() - t0);
  return 0;
}

static int pingpong(int port, int n) {
  int s = connect_port(port);
  char c = 'x';
  double t0 = now();
  for (int i = 0; i < n; i++) {
    if (send(s, &c, 1, 0) != 1) { perror("netbench: send"); return 1; }
    if (recv(s, &c, 1, 0) != 1) { perror("netbench: recv"); return 1; }
  }
  double t = now() - t0;
  close(s);
  printf("pingpong %d %.6f\n", n, t);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *m = argv[1];
  if (!strcmp(m, "server") && argc >= 4) return server(argv[2], atoi(argv[3]));
  if (!strcmp(m, "bulk") && argc >= 6) return bulk(atoi(argv[2]), atoi(argv[3]), atoll(argv[4]), atoi(argv[5]));
  if (!strcmp(m, "pingpong") && argc >= 4) return pingpong(atoi(argv[2]), atoi(argv[3]));
  return 2;
}
