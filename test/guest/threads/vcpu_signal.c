/*
 * A signal reaches a thread that computes without syscalls: main leaves (pthread_exit), so the
 * only thread left is the spinner; SIGALRM's handler must run for it to stop, and it runs on the
 * spinner itself. With vCPUs the spinner runs on a worker: the kernel reaches it through its
 * attention word and runs the handler in the spinner's own instance, on that worker.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static pthread_t handled_on;
static void on_alarm(int s) {
  handled_on = pthread_self(); /* the thread whose instance (TLS, stack) runs the handler */
  got = s;
}

static void *spin(void *arg) {
  (void)arg;
  unsigned long n = 0;
  while (!got) n++;
  printf("handled=%d spun=%d on_this_thread=%d\n", (int)got, n > 0, pthread_equal(handled_on, pthread_self()));
  fflush(stdout);
  return NULL;
}

int main(void) {
  pthread_t t;
  signal(SIGALRM, on_alarm);
  pthread_create(&t, NULL, spin, NULL);
  alarm(1);
  pthread_exit(NULL);
}
