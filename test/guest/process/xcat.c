/* xcat: copies stdin to stdout (a pipeline middle stage). */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  static char buf[65536];
  for (;;) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r < 0) { perror("xcat: read"); return 1; }
    if (r == 0) return 0;
    ssize_t off = 0;
    while (off < r) {
      ssize_t w = write(1, buf + off, (size_t)(r - off));
      if (w < 0) { perror("xcat: write"); return 1; }
      off += w;
    }
  }
}
