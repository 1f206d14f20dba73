/* Allocates 64 KiB blocks until malloc returns NULL (touching each), then prints how much it got
 * and the size of its memory in wasm pages; sleeps argv[1] ms first if given (to stay alive). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
  size_t total = 0;
  void *volatile head = NULL; /* keeps every block live: clang may elide unused malloc/free pairs */
  for (;;) {
    char *p = malloc(65536);
    if (!p) break;
    memset(p, 1, 65536);
    *(void **)p = head;
    head = p;
    total += 65536;
  }
  printf("got %zu pages %zu\n", total, (size_t)__builtin_wasm_memory_size(0));
  fflush(stdout);
  if (argc > 1) {
    struct timespec ts = { atoi(argv[1]) / 1000, (atoi(argv[1]) % 1000) * 1000000L };
    nanosleep(&ts, NULL);
  }
  return 0;
}
