/* UDP receive queues against the kernel heap budget: N receivers bound on 127.0.0.1 that never
 * read while one sender sends each of them K datagrams of 8 KiB (more than SO_RCVBUF), then
 * everything queued is drained and counted. Prints the counts; all loops are bounded. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_util.h"
#define DGRAM 8192

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10, k = argc > 2 ? atoi(argv[2]) : 40;
  if (n < 1 || n > 64) return 2;
  static char buf[DGRAM];
  int rx[64];
  struct sockaddr_in addrs[64];
  for (int i = 0; i < n; i++) {
    rx[i] = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(rx[i]);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    CHECK(bind(rx[i], (struct sockaddr *)&a, sizeof a));
    socklen_t len = sizeof a;
    CHECK(getsockname(rx[i], (struct sockaddr *)&a, &len));
    addrs[i] = a;
  }
  int tx = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(tx);
  int sent = 0, enobufs = 0;
  for (int j = 0; j < k; j++) {
    for (int i = 0; i < n; i++) {
      if (sendto(tx, buf, sizeof buf, 0, (struct sockaddr *)&addrs[i], sizeof addrs[i]) == DGRAM) sent++;
      else if (errno == ENOBUFS) enobufs++;
      else CHECK(-1);
    }
    usleep(1000); /* let the host deliver: sends in flight are kernel memory too */
  }
  usleep(200000);
  int received = 0;
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < 1000; j++) {
      ssize_t r = recv(rx[i], buf, sizeof buf, MSG_DONTWAIT);
      if (r < 0) break;
      received++;
    }
  }
  printf("sent %d enobufs %d received %d\n", sent, enobufs, received);
  for (int i = 0; i < n; i++) close(rx[i]);
  close(tx);
  return 0;
}
