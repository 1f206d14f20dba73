/* Smoke guest for the wasip1 toolchain: prints its arguments and one environment variable. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  printf("hello from wasip1, argc=%d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  const char *who = getenv("SMOKE_WHO");
  printf("SMOKE_WHO=%s\n", who ? who : "(unset)");
  return 0;
}
