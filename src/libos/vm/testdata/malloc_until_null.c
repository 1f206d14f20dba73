/* Allocates 60 KiB blocks until malloc returns NULL; returns how many it got (vm guest test). */
#include <stdlib.h>

static char *volatile sink; /* keeps the compiler from eliding the allocations */

__attribute__((export_name("probe"))) int probe(void) {
  int n = 0;
  for (;;) {
    char *p = malloc(60 * 1024);
    if (p == NULL) return n;
    p[0] = 1;
    sink = p;
    n++;
  }
}
