/* cat [file...]: copy files (or stdin) to stdout. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int copy(int fd, const char *name) {
  static char buf[65536];
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0) { fprintf(stderr, "cat: %s: %s\n", name, strerror(errno)); return 1; }
    if (r == 0) return 0;
    for (ssize_t off = 0; off < r;) {
      ssize_t w = write(1, buf + off, (size_t)(r - off));
      if (w < 0) { perror("cat: write"); return 1; }
      off += w;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 2) return copy(0, "-");
  int bad = 0;
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) { fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno)); bad = 1; continue; }
    bad |= copy(fd, argv[i]);
    close(fd);
  }
  return bad;
}
