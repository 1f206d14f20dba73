// Per-call cost of a few syscalls, timed inside the guest so that only the calls are measured:
//   syscalls <write|clock|open|yield|fdstat> <iterations>
// prints "<mode> <iterations> <ns per call>".
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

static __wasi_timestamp_t now(void) {
  __wasi_timestamp_t t = 0;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
  return t;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *mode = argv[1];
  long n = atol(argv[2]);
  __wasi_errno_t err = 0;
  __wasi_timestamp_t t0 = 0, t1 = 0;
  if (strcmp(mode, "write") == 0) {
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0) return 3;
    uint8_t byte = 'x';
    __wasi_ciovec_t iov = {&byte, 1};
    __wasi_size_t nw;
    t0 = now();
    for (long i = 0; i < n; i++) err |= __wasi_fd_write((__wasi_fd_t)fd, &iov, 1, &nw);
    t1 = now();
  } else if (strcmp(mode, "clock") == 0) {
    __wasi_timestamp_t t;
    t0 = now();
    for (long i = 0; i < n; i++) err |= __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
    t1 = now();
  } else if (strcmp(mode, "open") == 0) {
    int fd = open("/tmp/bench-open.txt", O_WRONLY | O_CREAT, 0644);
    if (fd < 0) return 3;
    close(fd);
    __wasi_rights_t r = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET;
    t0 = now();
    for (long i = 0; i < n; i++) {
      __wasi_fd_t f;
      err |= __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "tmp/bench-open.txt", 0, r, r, 0, &f);
      err |= __wasi_fd_close(f);
    }
    t1 = now();
  } else if (strcmp(mode, "yield") == 0) {
    t0 = now();
    for (long i = 0; i < n; i++) err |= __wasi_sched_yield();
    t1 = now();
  } else if (strcmp(mode, "fdstat") == 0) {
    __wasi_fdstat_t st;
    t0 = now();
    for (long i = 0; i < n; i++) err |= __wasi_fd_fdstat_get(1, &st);
    t1 = now();
  } else {
    return 2;
  }
  if (err) {
    printf("error %d\n", err);
    return 1;
  }
  printf("%s %ld %.1f\n", mode, n, (double)(t1 - t0) / (double)n);
  return 0;
}
