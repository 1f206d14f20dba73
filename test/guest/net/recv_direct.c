/* recv of host data that the kernel reads straight into the socket's receive ring: a blocking
 * server takes one connection and reads it to EOF in odd amounts, peeking (MSG_PEEK) before each
 * read and checking the read starts with the peeked bytes; some reads find data waiting, others
 * block until the host sends more. Prints "bytes N hash H peeks P" (FNV-1a over the stream) and,
 * after EOF, what one more recv and a MSG_PEEK recv return.
 *
 *   recv_direct            prints "listening PORT", serves one connection
 *   recv_direct sink       the same stream read as a bulk server reads it: a non-blocking socket in
 *                          an epoll loop, 256 KiB recvs until EAGAIN; prints "bytes N hash H"
 *   recv_direct sink slow  a reader that lags: one 64 KiB recv per (level-triggered) epoll_wait,
 *                          then a 1 ms sleep (the host keeps reading meanwhile)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_util.h"

static char buf[700 * 1024];

static int sink(int slow) {
  int c = accept_one_loopback4();
  CHECK(fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK));
  int ep = epoll_create1(0);
  CHECK(ep);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = c};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
  uint32_t h = 2166136261u;
  long long total = 0;
  for (;;) {
    struct epoll_event out;
    int n = epoll_wait(ep, &out, 1, 30000);
    CHECK(n);
    if (n == 0) { printf("FAIL idle\n"); return 1; }
    ssize_t k;
    while ((k = recv(c, buf, slow ? 64 * 1024 : 256 * 1024, 0)) > 0) {
      for (ssize_t i = 0; i < k; i++) h = (h ^ (unsigned char)buf[i]) * 16777619u;
      total += k;
      if (slow) {
        usleep(1000);
        break;
      }
    }
    if (k > 0) continue;
    if (k == 0) break;
    if (errno != EAGAIN) CHECK(k);
  }
  printf("bytes %lld hash %u\n", total, h);
  close(c);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "sink")) return sink(argc > 2 && !strcmp(argv[2], "slow"));
  int c = accept_one_loopback4();
  static const size_t sizes[] = {1, 3, 4093, 70000, 600 * 1024, 17, 65536, 5};
  uint32_t h = 2166136261u;
  long long total = 0;
  long peeks = 0;
  for (int k = 0;; k++) {
    size_t want = sizes[k % 8];
    char peek[9];
    size_t pw = want < sizeof peek ? want : sizeof peek;
    ssize_t p = recv(c, peek, pw, MSG_PEEK);
    CHECK(p);
    if (p == 0) break;
    peeks++;
    ssize_t n = recv(c, buf, want, 0);
    CHECK(n);
    if (n < p || memcmp(buf, peek, p) != 0) {
      fprintf(stderr, "recv_direct: read at %lld does not start with the peeked bytes\n", total);
      return 1;
    }
    for (ssize_t i = 0; i < n; i++) h = (h ^ (unsigned char)buf[i]) * 16777619u;
    total += n;
  }
  printf("bytes %lld hash %u peeks %ld\n", total, h, peeks);
  char one;
  printf("after eof %zd %zd\n", recv(c, &one, 1, 0), recv(c, &one, 1, MSG_PEEK));
  close(c);
  return 0;
}
