/* Socket stress tests: many concurrent connections through epoll, and a large checksummed
 * transfer between two LibOS processes. One mode per argv[1]; loops are bounded by the counts given.
 *
 *   stress epoll-many N     echo server: serves N connections, all open at once at some point;
 *                           prints "listening PORT", then "served N max-open M"
 *   stress transfer MIB     listens, posix_spawns "stress send PORT MIB", receives MIB MiB and
 *                           prints both sides' FNV-1a hashes and byte counts
 *   stress send PORT MIB    (the child) sends MIB MiB of a pseudo-random stream in 128 KiB writes
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_util.h"

extern char **environ;

static int epoll_many(int n) {
  int port;
  int s = listen_loopback4(1024, &port);
  printf("listening %d\n", port);
  fflush(stdout);
  int ep = epoll_create1(0);
  CHECK(ep);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
  int open = 0, max_open = 0, served = 0, accepted = 0;
  /* Each connection costs at most a few wakeups (accept, data, EOF): the bound is generous. */
  for (long iter = 0; iter < 100L * n && served < n; iter++) {
    struct epoll_event evs[64];
    int k = epoll_wait(ep, evs, 64, 20000);
    CHECK(k);
    if (k == 0) { printf("FAIL epoll timeout, served %d open %d\n", served, open); return 1; }
    for (int i = 0; i < k; i++) {
      int fd = evs[i].data.fd;
      if (fd == s) {
        int c = accept(s, NULL, NULL);
        CHECK(c);
        CHECK(fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK));
        struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
        CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce));
        accepted++;
        if (++open > max_open) max_open = open;
        continue;
      }
      char buf[512];
      ssize_t r = recv(fd, buf, sizeof buf, 0);
      if (r < 0 && errno == EAGAIN) continue;
      CHECK(r);
      if (r == 0) {
        CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
        close(fd);
        open--;
        served++;
      } else {
        CHECK(send(fd, buf, r, 0));
      }
    }
  }
  printf("served %d accepted %d max-open %d\n", served, accepted, max_open);
  return served == n ? 0 : 1;
}

/* FNV-1a, 64 bits, over the byte stream (chunking does not change it). */
static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL
#define CHUNK (128 * 1024)

static int sender(int port, long mib) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(s);
  struct sockaddr_in a = loopback4(port);
  CHECK(connect(s, (struct sockaddr *)&a, sizeof a));
  static unsigned char buf[CHUNK];
  uint64_t x = 0x9e3779b97f4a7c15ULL, h = FNV_INIT;
  long long total = (long long)mib << 20, sent = 0;
  while (sent < total) {
    for (int i = 0; i < CHUNK; i += 8) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17; /* xorshift64 */
      memcpy(buf + i, &x, 8);
    }
    size_t n = total - sent < CHUNK ? (size_t)(total - sent) : CHUNK;
    h = fnv(h, buf, n);
    for (size_t off = 0; off < n;) {
      ssize_t w = send(s, buf + off, n - off, 0);
      CHECK(w);
      off += w;
    }
    sent += n;
  }
  CHECK(shutdown(s, SHUT_WR));
  char c;
  CHECK(recv(s, &c, 1, 0)); /* the receiver's close */
  printf("sent %lld hash %016llx\n", sent, (unsigned long long)h);
  return 0;
}

static int transfer(const char *mib) {
  int p;
  int s = listen_loopback4(4, &p);
  char port[16];
  snprintf(port, sizeof port, "%d", p);
  char *argv[] = {"/bin/stress", "send", port, (char *)mib, NULL};
  pid_t pid;
  if (posix_spawn(&pid, "/bin/stress", NULL, NULL, argv, environ) != 0) { printf("FAIL spawn\n"); return 1; }
  int c = accept(s, NULL, NULL);
  CHECK(c);
  static unsigned char buf[256 * 1024];
  uint64_t h = FNV_INIT;
  long long got = 0;
  for (;;) {
    ssize_t r = recv(c, buf, sizeof buf, 0);
    CHECK(r);
    if (r == 0) break;
    h = fnv(h, buf, r);
    got += r;
  }
  close(c);
  int st = 0;
  CHECK(waitpid(pid, &st, 0));
  printf("received %lld hash %016llx\n", got, (unsigned long long)h);
  fflush(stdout);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  if (!strcmp(argv[1], "epoll-many")) return epoll_many(atoi(argv[2]));
  if (!strcmp(argv[1], "transfer")) return transfer(argv[2]);
  if (!strcmp(argv[1], "send") && argc > 3) return sender(atoi(argv[2]), atol(argv[3]));
  return 2;
}
