/* WASIX futex_wait with a timeout, straight through the ABI: times out (woken=false) and wakes. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api_wasix.h>

#include "futex_wasix.h"

static _Alignas(4) volatile uint32_t word = 7;

static void *waker(void *arg) {
  (void)arg;
  usleep(10000);
  word = 8;
  __wasi_bool_t w = 0;
  __wasi_futex_wake((uint32_t *)&word, &w);
  return NULL;
}

int main(void) {
  __wasi_bool_t woken = 1;
  __wasi_option_timestamp_t t = after_ns(20000000); /* 20 ms, nobody wakes */
  int e1 = __wasi_futex_wait((uint32_t *)&word, 7, &t, &woken);
  int timed_out = e1 == 0 && woken == 0;

  __wasi_bool_t woken2 = 0;
  t = after_ns(1000000);
  int e2 = __wasi_futex_wait((uint32_t *)&word, 6, &t, &woken2); /* value differs: at once */

  pthread_t th;
  pthread_create(&th, NULL, waker, NULL);
  __wasi_bool_t woken3 = 0;
  t = after_ns(0); /* forever */
  int e3 = 0;
  while (word == 7 && e3 == 0) e3 = __wasi_futex_wait((uint32_t *)&word, 7, &t, &woken3);
  pthread_join(th, NULL);
  __wasi_bool_t none = 1;
  __wasi_futex_wake_all((uint32_t *)&word, &none);
  printf("timeout=%d mismatch=%d/%d woken=%d/%d nobody=%d\n", timed_out, e2, woken2, e3, woken3, none);
  return 0;
}
