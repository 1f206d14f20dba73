/* gen N: writes N bytes of a deterministic pattern to stdout, in 64 KiB writes. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  unsigned long long n = argc > 1 ? strtoull(argv[1], NULL, 10) : 0;
  static unsigned char buf[65536];
  unsigned int x = 12345;
  unsigned long long done = 0;
  while (done < n) {
    size_t k = n - done < sizeof buf ? (size_t)(n - done) : sizeof buf;
    for (size_t i = 0; i < k; i++) { x = x * 1103515245u + 12345u; buf[i] = (unsigned char)(x >> 16); }
    size_t off = 0;
    while (off < k) {
      ssize_t w = write(1, buf + off, k - off);
      if (w < 0) { perror("gen: write"); return 1; }
      off += (size_t)w;
    }
    done += k;
  }
  return 0;
}
