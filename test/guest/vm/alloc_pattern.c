/* A known allocation pattern for the sizing report: waits 20 ms (start-up is over once the
 * program first blocks), then grows its memory by argv[1] wasm pages at once (memory.grow, as
 * sbrk does) and prints the sizes. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  int pages = argc > 1 ? atoi(argv[1]) : 16;
  struct timespec ts = {0, 20 * 1000000L};
  nanosleep(&ts, NULL);
  size_t before = __builtin_wasm_memory_size(0);
  long r = __builtin_wasm_memory_grow(0, pages);
  printf("before %zu grow %ld after %zu\n", before, r, (size_t)__builtin_wasm_memory_size(0));
  return 0;
}
