/* recv of host data that the kernel reads straight into the socket's receive ring: a blocking
 * server takes one connection and reads it to EOF in odd amounts, peeking (MSG_PEEK) before each
 * read and checking the read starts with the peeked bytes; some reads find data waiting, others
 * block until the host sends more. Prints "bytes N hash H peeks P" (FNV-1a over the stream) and,
 * after EOF, what one more recv and a MSG_PEEK recv return.
 *
 *   recv_direct            prints "listening PORT", serves one connection
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_util.h"

static char buf[700 * 1024];

int main(void) {
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
