/*
 * Deep recursion on a non-main thread (and on main): argv DEPTH THREADS [YIELDS]. Each of THREADS
 * threads (and then main) recurses DEPTH calls deep, yields YIELDS times at the bottom so that the
 * deep stacks are parked side by side (and the kernel's garbage collections walk them), and prints
 * a checksum that only an exact recursion gives. Every call keeps
 * three values live across the call, so each level has a wasm frame on the engine's stack (the
 * JSPI stack of the thread), not only in linear memory: the test picks DEPTH deeper than a
 * thread's initial JSPI stack segment.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

static long depth = 4000;
static long yields = 1;

__attribute__((noinline)) static unsigned long rec(long n, unsigned long a, unsigned long b) {
  if (n == 0) {
    for (long i = 0; i < yields; i++) sched_yield(); /* park with the whole depth on this stack */
    return a ^ b;
  }
  unsigned long r = rec(n - 1, a * 31 + (unsigned long)n, b ^ (a >> 3));
  return r * (a | 1) + (b & 0x7f); /* a and b live across the call, not an accumulator: no tail call */
}

static void *worker(void *arg) {
  long id = (long)arg;
  return (void *)rec(depth, (unsigned long)id + 1, 7);
}

int main(int argc, char **argv) {
  if (argc > 1) depth = atol(argv[1]);
  int threads = argc > 2 ? atoi(argv[2]) : 2;
  if (argc > 3) yields = atol(argv[3]);
  pthread_t th[64];
  if (threads > 64) threads = 64;
  for (long i = 0; i < threads; i++) {
    if (pthread_create(&th[i], NULL, worker, (void *)i) != 0) { printf("create failed\n"); return 1; }
  }
  unsigned long sum = 0;
  for (int i = 0; i < threads; i++) {
    void *r;
    pthread_join(th[i], &r);
    sum += (unsigned long)r;
  }
  sum += rec(depth, 1000, 7);
  printf("depth=%ld threads=%d sum=%lu\n", depth, threads, sum);
  return 0;
}
