// Faults on purpose, chosen by argv[1]: "oob" (load outside memory: SIGSEGV), "unreachable"
// (__builtin_trap: SIGILL), "div" (integer division by zero: SIGFPE), "badptr" (a syscall given
// a pointer outside memory: the kernel traps, SIGSEGV), "stack" (infinite recursion).
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

__attribute__((noinline)) int deep_fault(volatile int *p) { return *p; }

__attribute__((noinline)) int recurse(volatile int n) {
  volatile char pad[256];
  pad[0] = (char)n;
  return recurse(n + 1) + pad[0];
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "oob";
  printf("about to fault: %s\n", mode);
  fflush(stdout);
  if (strcmp(mode, "oob") == 0) return deep_fault((volatile int *)0xfffffff0u);
  if (strcmp(mode, "unreachable") == 0) __builtin_trap();
  if (strcmp(mode, "div") == 0) {
    volatile int z = 0;
    return 10 / z;
  }
  if (strcmp(mode, "badptr") == 0) {
    __wasi_size_t n;
    return __wasi_fd_write(1, (const __wasi_ciovec_t *)0xfffffff0u, 1, &n);
  }
  if (strcmp(mode, "stack") == 0) return recurse(0);
  return 0;
}
