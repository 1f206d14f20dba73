// Computes forever without a syscall (after one line of output): only preemption lets other
// guests and the event loop run, and only a kill ends it.
#include <stdio.h>

int main(void) {
  printf("spinning\n");
  fflush(stdout);
  volatile unsigned long x = 0;
  for (;;) x++;
}
