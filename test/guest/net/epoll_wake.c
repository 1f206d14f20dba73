/* Blocked epoll_wait calls and what ends them (the kernel completes a woken call directly from the
 * wake-up): data from the host (a TCP socket's read callback wakes the call), a second wait on the
 * same epoll after that, data written by another guest thread into a socketpair, a signal (EINTR
 * after the handler ran), a timeout, and the peer's close (EPOLLIN|EPOLLRDHUP), each with its
 * data word intact. Before each wait that the host must end it prints
 * "waiting N"; the host then sends one byte (or closes, for the last).
 *
 *   epoll_wake             prints "listening PORT", serves one connection
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "net_util.h"

/* All 64 bits of epoll_data come back (sdk/libc/epoll.c; test/guest/net/epoll_data.c has the rest). */
#define TAG 0x123456789abcdef0ull

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) {
  (void)sig;
  alarms++;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int pair[2];
static void *writer(void *arg) {
  (void)arg;
  usleep(20000);
  if (write(pair[1], "p", 1) != 1) printf("FAIL writer\n");
  return NULL;
}

/* One wait the host ends: print the events and the data, read what came. */
static void host_wait(int ep, int c, int n) {
  printf("waiting %d\n", n);
  fflush(stdout);
  struct epoll_event ev[4];
  int k = epoll_wait(ep, ev, 4, -1);
  CHECK(k);
  char b[8];
  ssize_t r = recv(c, b, sizeof b, 0);
  printf("woken %d: %d event(s) events=0x%x data=0x%llx read=%zd\n", n, k, ev[0].events, (unsigned long long)ev[0].data.u64, r);
  fflush(stdout);
}

int main(void) {
  int c = accept_one_loopback4();
  int ep = epoll_create1(0);
  CHECK(ep);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = TAG};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));

  host_wait(ep, c, 1);
  host_wait(ep, c, 2); /* the same epoll blocks again after a completed wait */

  /* Woken by another guest thread (not a host callback). */
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
  int ep2 = epoll_create1(0);
  CHECK(ep2);
  struct epoll_event pe = {.events = EPOLLIN, .data.fd = pair[0]};
  CHECK(epoll_ctl(ep2, EPOLL_CTL_ADD, pair[0], &pe));
  pthread_t th;
  if (pthread_create(&th, NULL, writer, NULL) != 0) return 1;
  struct epoll_event got;
  int k = epoll_wait(ep2, &got, 1, -1);
  char pb;
  printf("pair woken: %d event(s) fd_ok=%d read=%zd\n", k, k == 1 && got.data.fd == pair[0], read(pair[0], &pb, 1));
  pthread_join(th, NULL);

  /* A signal ends the wait with EINTR, after its handler ran (no SA_RESTART: epoll never restarts). */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  CHECK(sigaction(SIGALRM, &sa, NULL));
  struct itimerval it = {.it_value = {.tv_sec = 0, .tv_usec = 30000}};
  CHECK(setitimer(ITIMER_REAL, &it, NULL));
  errno = 0;
  k = epoll_wait(ep2, &got, 1, -1);
  printf("interrupted: %d %s alarms=%d\n", k, k < 0 ? strerror(errno) : "-", (int)alarms);

  /* A timeout: nothing is ready on either epoll. */
  double t0 = now_ms();
  k = epoll_wait(ep2, &got, 1, 40);
  printf("timeout: %d after>=35ms=%d\n", k, now_ms() - t0 >= 35);

  /* The peer closes: EPOLLIN|EPOLLRDHUP, then recv returns 0. */
  printf("waiting 3\n");
  fflush(stdout);
  struct epoll_event evs[4];
  k = epoll_wait(ep, evs, 4, 5000);
  CHECK(k);
  char b[8];
  printf("closed: %d event(s) in=%d rdhup=%d data_ok=%d recv=%zd\n", k, (evs[0].events & EPOLLIN) != 0,
         (evs[0].events & EPOLLRDHUP) != 0, evs[0].data.u64 == TAG, recv(c, b, sizeof b, 0));
  return 0;
}
