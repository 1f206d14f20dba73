/* Writes argv[1] bytes of a counting pattern to stdout in 4 KiB write(2) calls, then reports
 * on stderr how many bytes the writes returned (a short or failed write is reported too). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long total = argc > 1 ? atol(argv[1]) : 1 << 20;
  unsigned char buf[4096];
  long done = 0;
  while (done < total) {
    long n = total - done < (long)sizeof buf ? total - done : (long)sizeof buf;
    for (long i = 0; i < n; i++) buf[i] = (unsigned char)((done + i) * 7 + ((done + i) >> 12));
    ssize_t w = write(1, buf, (size_t)n);
    if (w < 0) {
      fprintf(stderr, "write failed after %ld bytes: %s\n", done, strerror(errno));
      return 2;
    }
    done += w;
  }
  fprintf(stderr, "wrote %ld\n", done);
  return 0;
}
