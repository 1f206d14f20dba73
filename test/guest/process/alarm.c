/* alarm() and setitimer() deliver SIGALRM to a handler (interrupting usleep); a periodic timer
 * stops when disarmed; alarm(0) cancels. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t ticks;
static void on_alarm(int sig) { (void)sig; ticks++; }

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, 0);

  double t0 = now();
  alarm(1);
  while (ticks == 0) usleep(10000);
  double dt = now() - t0;
  printf("alarm: ticks=%d in_range=%d\n", (int)ticks, dt >= 0.9 && dt < 3.0);

  ticks = 0;
  struct itimerval it = { .it_interval = { 0, 50000 }, .it_value = { 0, 50000 } };
  if (setitimer(ITIMER_REAL, &it, 0) != 0) { perror("setitimer"); return 1; }
  while (ticks < 3) usleep(10000);
  struct itimerval off;
  memset(&off, 0, sizeof off);
  setitimer(ITIMER_REAL, &off, 0);
  int seen = ticks;
  usleep(200000);
  printf("itimer: at_least_3=%d stopped=%d\n", seen >= 3, ticks == seen);

  alarm(5);
  alarm(0);
  usleep(100000);
  printf("cancel: ticks_unchanged=%d\n", ticks == seen);
  return 0;
}
