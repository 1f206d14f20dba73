/*
 * Direct resumes (futex_wait and sched_yield completed by the waker, src/libos/syscall/dispatch.ts)
 * interleaved with the slow path they fall back to: many hand-overs through timed WASIX futex
 * waits (each with a timer that the wake must clear), waits that time out (woken = false) between
 * them, a signal that interrupts a parked thread (its handler yields and waits itself, reusing the
 * same imports), direct hand-overs again after that, and finally exit() from one thread while
 * others are parked in futex_wait or looping on sched_yield (the process ends with its code).
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api_wasix.h>

#include "futex_wasix.h"

#define ROUNDS 50
#define HANDS 40

static _Alignas(4) volatile uint32_t turn;   /* ping-pong: whose turn (0 main, 1 peer) */
static _Alignas(4) volatile uint32_t lonely; /* nobody ever wakes it */
static _Alignas(4) volatile uint32_t gate;   /* the interrupted thread waits here */
static _Alignas(4) volatile uint32_t never;  /* the last waiters park here for good */
static volatile int parked_ready, handler_hits, handler_woken = -1, handler_err = -1;
static int bad_flags, timeouts_ok, peer_hands;

/* Wait until `turn` is `mine`, with a long timeout that must never fire. */
static void wait_turn(uint32_t mine) {
  __wasi_option_timestamp_t t = after_ns(10ull * 1000000000ull);
  while (turn != mine) {
    __wasi_bool_t woken = 7;
    uint32_t seen = turn;
    if (seen == mine) break;
    if (__wasi_futex_wait((uint32_t *)&turn, seen, &t, &woken) != 0 || woken != 1) bad_flags++;
  }
}

static void give_turn(uint32_t to) {
  turn = to;
  __wasi_bool_t w;
  __wasi_futex_wake((uint32_t *)&turn, &w);
}

static void *peer(void *arg) {
  (void)arg;
  for (int i = 0; i < ROUNDS * HANDS; i++) {
    wait_turn(1);
    peer_hands++;
    if (i % 7 == 0) sched_yield();
    give_turn(0);
  }
  return NULL;
}

static void on_usr1(int sig) {
  (void)sig;
  handler_hits++;
  sched_yield();
  __wasi_option_timestamp_t t = after_ns(1000000);
  __wasi_bool_t woken = 7;
  handler_err = __wasi_futex_wait((uint32_t *)&lonely, 0, &t, &woken);
  handler_woken = woken;
}

static void *gated(void *arg) {
  (void)arg;
  __wasi_option_timestamp_t none = after_ns(0);
  parked_ready = 1;
  while (gate == 0) {
    __wasi_bool_t woken = 7;
    __wasi_futex_wait((uint32_t *)&gate, 0, &none, &woken);
  }
  /* Direct hand-overs after the slow path. */
  for (int i = 0; i < HANDS; i++) {
    wait_turn(1);
    give_turn(0);
  }
  return NULL;
}

static void *yielder(void *arg) {
  (void)arg;
  for (;;) sched_yield();
  return NULL;
}

static void *sleeper(void *arg) {
  (void)arg;
  __wasi_option_timestamp_t none = after_ns(0);
  for (;;) {
    __wasi_bool_t woken;
    __wasi_futex_wait((uint32_t *)&never, 0, &none, &woken);
  }
  return NULL;
}

int main(void) {
  pthread_t p;
  pthread_create(&p, NULL, peer, NULL);
  for (int r = 0; r < ROUNDS; r++) {
    __wasi_option_timestamp_t t = after_ns(200000); /* 0.2 ms, nobody wakes it */
    __wasi_bool_t woken = 7;
    if (__wasi_futex_wait((uint32_t *)&lonely, 0, &t, &woken) == 0 && woken == 0) timeouts_ok++;
    for (int h = 0; h < HANDS; h++) {
      give_turn(1);
      wait_turn(0);
    }
  }
  pthread_join(p, NULL);
  printf("hands=%d timeouts=%d bad=%d\n", peer_hands, timeouts_ok, bad_flags);

  signal(SIGUSR1, on_usr1);
  pthread_t g;
  pthread_create(&g, NULL, gated, NULL);
  while (!parked_ready) sched_yield();
  usleep(2000);
  pthread_kill(g, SIGUSR1);
  usleep(2000);
  gate = 1;
  __wasi_bool_t w;
  __wasi_futex_wake_all((uint32_t *)&gate, &w);
  for (int i = 0; i < HANDS; i++) {
    give_turn(1);
    wait_turn(0);
  }
  pthread_join(g, NULL);
  printf("handler=%d err=%d woken=%d bad=%d\n", handler_hits, handler_err, handler_woken, bad_flags);
  fflush(stdout);

  pthread_t th;
  for (int i = 0; i < 3; i++) pthread_create(&th, NULL, yielder, NULL);
  for (int i = 0; i < 2; i++) pthread_create(&th, NULL, sleeper, NULL);
  usleep(3000);
  exit(7);
}
