/* epoll_data comes back whole, as Linux returns it: a 64-bit data.u64, data.ptr = NULL, a data word
 * whose low half is zero, and data.fd, each on its own pipe, through epoll_wait and epoll_pwait
 * (the caller's array is filled with 0xab first, so a half-written word shows). Also: EINVAL for
 * maxevents 0, EBADF for a bad epoll fd, 0 after a timeout with nothing ready. The same source
 * prints the same lines on Linux. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define CHECK(x) do { if ((x) < 0) { printf("FAIL %s: %s\n", #x, strerror(errno)); return 1; } } while (0)

static int by_data(const void *a, const void *b) {
  uint64_t x = ((const struct epoll_event *)a)->data.u64, y = ((const struct epoll_event *)b)->data.u64;
  return x < y ? -1 : x > y;
}

int main(void) {
  int ep = epoll_create1(0);
  CHECK(ep);
  int p[4][2];
  for (int i = 0; i < 4; i++) CHECK(pipe(p[i]));
  const uint64_t words[3] = {0x123456789abcdef0ull, 0, 1ull << 32};
  for (int i = 0; i < 4; i++) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    if (i < 3) ev.data.u64 = words[i];
    else ev.data.fd = p[i][0];
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[i][0], &ev));
  }
  struct epoll_event got[8];
  memset(got, 0xab, sizeof got);
  printf("before: %d\n", epoll_wait(ep, got, 8, 0));
  for (int i = 0; i < 4; i++) CHECK(write(p[i][1], "x", 1));
  for (int round = 0; round < 2; round++) {
    memset(got, 0xab, sizeof got);
    int n = round == 0 ? epoll_wait(ep, got, 8, 1000) : epoll_pwait(ep, got, 8, 1000, NULL);
    CHECK(n);
    qsort(got, n, sizeof got[0], by_data);
    printf("%s: %d\n", round == 0 ? "epoll_wait" : "epoll_pwait", n);
    for (int i = 0; i < n; i++) {
      uint64_t d = got[i].data.u64;
      const char *what = d == words[0] ? "u64" : d == 0 ? "ptr NULL" : d == words[2] ? "low half 0" : d == (uint64_t)(uint32_t)p[3][0] ? "fd" : "WRONG";
      printf("  events=0x%x %s\n", got[i].events, what);
    }
  }
  errno = 0;
  int r = epoll_wait(ep, got, 0, 0);
  printf("maxevents 0: %d %s\n", r, errno == EINVAL ? "EINVAL" : strerror(errno));
  errno = 0;
  r = epoll_wait(p[0][1] + 100, got, 8, 0);
  printf("bad epfd: %d %s\n", r, errno == EBADF ? "EBADF" : strerror(errno));
  for (int i = 0; i < 4; i++) {
    char c;
    CHECK(read(p[i][0], &c, 1));
  }
  printf("timeout: %d\n", epoll_pwait(ep, got, 8, 10, NULL));
  return 0;
}
