#include <sched.h>
#include <stdio.h>
#include <time.h>
static long long now_ns(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec; }
int main(void) {
  long long t0 = now_ns();
  for (int i = 0; i < 100000; i++) sched_yield();
  printf("yield ns/op=%lld\n", (now_ns() - t0) / 100000);
  return 0;
}
