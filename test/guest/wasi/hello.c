// Smallest end-to-end guest: argv, environment, stdout, exit status.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  printf("hello from %s argc=%d\n", argv[0], argc);
  for (int i = 1; i < argc; i++) printf("arg[%d]=%s\n", i, argv[i]);
  const char *occlum = getenv("OCCLUM");
  printf("OCCLUM=%s\n", occlum ? occlum : "(unset)");
  return argc > 1 && argv[1][0] == 'x' ? 200 : 0;
}
