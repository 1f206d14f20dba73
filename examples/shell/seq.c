/* seq [first] last: the numbers first..last, one a line. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  long first = 1, last;
  if (argc < 2) { fprintf(stderr, "usage: seq [first] last\n"); return 2; }
  if (argc > 2) { first = atol(argv[1]); last = atol(argv[2]); }
  else last = atol(argv[1]);
  for (long i = first; i <= last; i++) printf("%ld\n", i);
  return 0;
}
