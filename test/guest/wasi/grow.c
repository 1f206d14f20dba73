// Grows memory well past its initial size between syscalls and then hands the kernel pointers
// into the new pages: the kernel must see the grown memory (its views are refreshed), and a
// pointer just past the end must still trap.
#include <stdlib.h>
#include <string.h>
#include "check.h"

int main(void) {
  size_t big = 48u << 20;
  char *p = malloc(big);
  CHECK(p != NULL);
  if (!p) DONE("grow");
  char *tail = p + big - 16;
  memcpy(tail, "tail-of-memory\n", 15);
  __wasi_size_t n = 0;
  __wasi_ciovec_t iov = {(const uint8_t *)tail, 15};
  OK(__wasi_fd_write(1, &iov, 1, &n));
  CHECK(n == 15);
  OK(__wasi_random_get((uint8_t *)p + big - 4096, 4096));
  __wasi_fd_t fd = open_at("tmp/grow.bin", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0);
  __wasi_ciovec_t w = {(const uint8_t *)p + big - 4096, 4096};
  OK(__wasi_fd_write(fd, &w, 1, &n));
  CHECK(n == 4096);
  __wasi_iovec_t r = {(uint8_t *)p, 4096};
  OK(__wasi_fd_pread(fd, &r, 1, 0, &n));
  CHECK(n == 4096 && memcmp(p, p + big - 4096, 4096) == 0);
  __wasi_fd_close(fd);
  DONE("grow");
}
