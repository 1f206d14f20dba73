/* wc: lines, words and bytes of stdin, as "lines words bytes". */
#include <ctype.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  static unsigned char buf[65536];
  unsigned long long lines = 0, words = 0, bytes = 0;
  int inword = 0;
  ssize_t r;
  while ((r = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < r; i++) {
      if (buf[i] == '\n') lines++;
      if (isspace(buf[i])) inword = 0;
      else if (!inword) { inword = 1; words++; }
    }
    bytes += (unsigned long long)r;
  }
  if (r < 0) { perror("wc"); return 1; }
  printf("%llu %llu %llu\n", lines, words, bytes);
  return 0;
}
