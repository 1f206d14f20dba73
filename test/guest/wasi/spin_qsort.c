// Sorts for ever with libc's qsort and no syscall (after one line of output): the comparator is
// reached through qsort's wrapper and the function table, whose calls the loader no longer
// charges (call-graph.ts: indirect calls reach only functions of their type), so only the loop
// checks and the entry charges of qsort's looping helpers (one call of fuel each) let other
// guests and the event loop run, and let a kill end it.
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
  return x < y ? -1 : x > y;
}

int main(void) {
  static unsigned v[4096];
  unsigned x = 1;
  printf("sorting\n");
  fflush(stdout);
  for (;;) {
    for (int i = 0; i < 4096; i++) v[i] = x = x * 1103515245u + 12345u;
    qsort(v, 4096, sizeof v[0], cmp);
  }
}
