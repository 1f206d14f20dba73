// How many processors the program sees: sysconf(_SC_NPROCESSORS_ONLN) and _CONF (WASIX
// thread_parallelism in wasix-libc), which threaded programs use to size their pools, and the
// "processor" entries of /proc/cpuinfo, which others parse instead.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  int cpuinfo = -1;
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f) {
    char line[256];
    cpuinfo = 0;
    while (fgets(line, sizeof line, f)) cpuinfo += strncmp(line, "processor", 9) == 0;
    fclose(f);
  }
  printf("online=%ld conf=%ld cpuinfo=%d\n", sysconf(_SC_NPROCESSORS_ONLN), sysconf(_SC_NPROCESSORS_CONF), cpuinfo);
  return 0;
}
