// Device files through the root preopen: /dev/null, /dev/zero, /dev/urandom, and /dev/stdout,
// /dev/stderr, /dev/stdin, which name this process's own fds 0-2 (through procfs's fd table view).
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "check.h"

int main(void) {
  char buf[64];
  int fd = open("/dev/null", O_RDWR);
  CHECK(fd >= 0);
  CHECK(write(fd, "gone", 4) == 4);
  CHECK(read(fd, buf, sizeof buf) == 0);
  close(fd);

  fd = open("/dev/zero", O_RDONLY);
  memset(buf, 1, sizeof buf);
  CHECK(read(fd, buf, 16) == 16 && buf[0] == 0 && buf[15] == 0);
  close(fd);

  fd = open("/dev/urandom", O_RDONLY);
  CHECK(read(fd, buf, 32) == 32);
  close(fd);

  fd = open("/dev/stdout", O_WRONLY);
  CHECK(fd >= 0);
  CHECK(write(fd, "via /dev/stdout\n", 16) == 16);
  close(fd);
  fd = open("/dev/stderr", O_WRONLY);
  CHECK(fd >= 0);
  CHECK(write(fd, "via /dev/stderr\n", 16) == 16);
  close(fd);
  // the originals still work after closing the reopened descriptions
  CHECK(write(1, "still stdout\n", 13) == 13);

  fd = open("/dev/stdin", O_RDONLY);
  CHECK(fd >= 0);
  ssize_t n = read(fd, buf, sizeof buf);
  CHECK(n == 6 && memcmp(buf, "input\n", 6) == 0);
  close(fd);
  DONE("devices");
}
