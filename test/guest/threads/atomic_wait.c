/*
 * Raw memory.atomic.wait32/notify between threads, as wasi-sdk / Rust wasip1-threads binaries
 * wait: the loader rewrites them into kernel futex calls (a real atomic wait would block the JS
 * thread and deadlock the coroutines). Ping-pong ROUNDS times, then the not-equal and timed-out
 * results.
 */
#include <pthread.h>
#include <stdio.h>

#define ROUNDS 1000
static _Alignas(4) int turn = 0;
static _Alignas(4) int never = 0;

static void *pong(void *arg) {
  (void)arg;
  for (int i = 0; i < ROUNDS; i++) {
    while (__atomic_load_n(&turn, __ATOMIC_SEQ_CST) != 1) __builtin_wasm_memory_atomic_wait32(&turn, 0, -1);
    __atomic_store_n(&turn, 0, __ATOMIC_SEQ_CST);
    __builtin_wasm_memory_atomic_notify(&turn, 1);
  }
  return NULL;
}

int main(void) {
  pthread_t th;
  pthread_create(&th, NULL, pong, NULL);
  int waits = 0;
  for (int i = 0; i < ROUNDS; i++) {
    __atomic_store_n(&turn, 1, __ATOMIC_SEQ_CST);
    __builtin_wasm_memory_atomic_notify(&turn, 1);
    while (__atomic_load_n(&turn, __ATOMIC_SEQ_CST) != 0) {
      __builtin_wasm_memory_atomic_wait32(&turn, 1, -1);
      waits++;
    }
  }
  pthread_join(th, NULL);
  int ne = __builtin_wasm_memory_atomic_wait32(&never, 5, -1);
  int to = __builtin_wasm_memory_atomic_wait32(&never, 0, 10 * 1000 * 1000);
  int woken = __builtin_wasm_memory_atomic_notify(&never, 1);
  printf("rounds=%d waited=%d not_equal=%d timed_out=%d notify_none=%d\n", ROUNDS, waits > 0, ne, to, woken);
  return 0;
}
