/* cksum: "<bytes> <fnv1a-64 hex>" of stdin (a sha-like digest without the cost). */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  static unsigned char buf[65536];
  unsigned long long h = 1469598103934665603ull, n = 0;
  ssize_t r;
  while ((r = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < r; i++) { h ^= buf[i]; h *= 1099511628211ull; }
    n += (unsigned long long)r;
  }
  if (r < 0) { perror("cksum"); return 1; }
  printf("%llu %016llx\n", n, h);
  return 0;
}
