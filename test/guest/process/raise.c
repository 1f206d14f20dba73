/* raise() runs the handler before it returns; raise() of a default-terminate signal kills. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t got;
static void on_usr1(int sig) { got = sig; }

int main(int argc, char **argv) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  if (sigaction(SIGUSR1, &sa, 0) != 0) { perror("sigaction"); return 1; }
  if (raise(SIGUSR1) != 0) { perror("raise"); return 2; }
  printf("handler ran: %d\n", got == SIGUSR1);
  signal(SIGUSR2, SIG_IGN);
  raise(SIGUSR2);
  printf("ignored survived\n");
  fflush(stdout);
  if (argc > 1) raise(SIGTERM);
  printf("not reached with an argument\n");
  return 0;
}
