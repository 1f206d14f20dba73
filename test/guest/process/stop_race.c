/*
 * A stop that lands between a thread's wake-up and its next call: the child's main thread wakes
 * a thread waiting on a futex and stops the process at once (kill(getpid(), SIGSTOP)), before the
 * woken thread has run; that thread's next call is a 300 ms nanosleep. On Linux a stop never
 * makes a call fail: the sleep runs its whole length once the parent continues the child, and
 * returns 0. The futex is the libc's own kind (WASIX futex_wait/futex_wake here, whose wake hands
 * the waiter its result directly; Linux's futex on Linux). Prints what the child saw; the parent
 * continues it 100 ms after waitpid reported the stop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __wasi__
#include <wasi/api_wasix.h>
#else
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

extern char **environ;
static _Alignas(4) volatile unsigned word; /* 0: wait; 1: go */
static volatile int waiting;

static void wait_word(void) {
  while (word == 0) {
#ifdef __wasi__
    __wasi_option_timestamp_t none;
    memset(&none, 0, sizeof none);
    none.tag = __WASI_OPTION_NONE;
    __wasi_bool_t woken;
    __wasi_futex_wait((uint32_t *)&word, 0, &none, &woken);
#else
    syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
#endif
  }
}

static void wake_word(void) {
  word = 1;
#ifdef __wasi__
  __wasi_bool_t woken;
  __wasi_futex_wake((uint32_t *)&word, &woken);
#else
  syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
#endif
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *sleeper(void *arg) {
  (void)arg;
  waiting = 1;
  wait_word();
  double t0 = now_ms();
  struct timespec d = {0, 300000000L};
  int r = nanosleep(&d, NULL);
  int e = errno;
  double slept = now_ms() - t0;
  printf("child: nanosleep %d %s, slept its 300 ms: %d\n", r, r ? (e == EINTR ? "EINTR" : "E?") : "", slept >= 295);
  return NULL;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1) {
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    while (!waiting) {
      struct timespec n = {0, 1000000L};
      nanosleep(&n, NULL);
    }
    struct timespec n = {0, 20000000L};
    nanosleep(&n, NULL); /* time to park */
    wake_word();
    kill(getpid(), SIGSTOP); /* the woken thread has not run yet (here; on Linux it may have) */
    pthread_join(t, NULL);
    return 0;
  }
  char *args[] = {argv[0], "child", NULL};
  pid_t pid;
  if (posix_spawn(&pid, argv[0], NULL, NULL, args, environ) != 0) return 1;
  int st;
  waitpid(pid, &st, WUNTRACED);
  printf("parent: child %s\n", WIFSTOPPED(st) ? "stopped" : "not stopped");
  struct timespec n = {0, 100000000L};
  nanosleep(&n, NULL);
  kill(pid, SIGCONT);
  waitpid(pid, &st, 0);
  printf("parent: child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return 0;
}
