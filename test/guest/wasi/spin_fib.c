// Computes for ever through recursion alone: no loop in fib and no syscall (after one line of
// output), so only the loader's per-call fuel checks (fuel-passing clones) let other guests and
// the event loop run, and let a kill end it.
#include <stdio.h>

__attribute__((noinline)) static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(void) {
  printf("spinning\n");
  fflush(stdout);
  volatile unsigned sink = fib(90); // ~10^18 calls
  return (int)sink;
}
