// Prints its environment, one variable a line (occlum run's env.default + env.untrusted merge).
#include <stdio.h>

extern char **environ;

int main(void) {
  for (char **e = environ; *e; e++) printf("%s\n", *e);
  return 0;
}
