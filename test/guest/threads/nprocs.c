// How many processors the program sees: sysconf(_SC_NPROCESSORS_ONLN) and _CONF (WASIX
// thread_parallelism in wasix-libc), which threaded programs use to size their pools.
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("online=%ld conf=%ld\n", sysconf(_SC_NPROCESSORS_ONLN), sysconf(_SC_NPROCESSORS_CONF));
  return 0;
}
