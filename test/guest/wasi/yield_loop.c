// Waits for a line on stdin (so two of them can be released at once), then prints "<tag><i>" and
// sched_yield()s, N times: two of these sharing one stdout show the run queue's round-robin.
#include <stdio.h>
#include <stdlib.h>
#include <wasi/api.h>

int main(int argc, char **argv) {
  const char *tag = argc > 1 ? argv[1] : "t";
  int n = argc > 2 ? atoi(argv[2]) : 5;
  char go[8];
  printf("%s-ready\n", tag);
  fflush(stdout);
  if (!fgets(go, sizeof go, stdin)) return 3;
  for (int i = 0; i < n; i++) {
    char line[32];
    int len = snprintf(line, sizeof line, "%s%d\n", tag, i);
    __wasi_ciovec_t iov = {(const uint8_t *)line, (size_t)len};
    __wasi_size_t w;
    if (__wasi_fd_write(1, &iov, 1, &w) != 0) return 1;
    if (__wasi_sched_yield() != 0) return 2;
  }
  return 0;
}
