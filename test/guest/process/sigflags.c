// SA_SIGINFO (a three-argument handler gets a siginfo_t) and SA_RESETHAND (the handler runs once,
// then the default action applies), plus sigaction reporting back what was installed.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <spawn.h>
#include <unistd.h>

static volatile int info_signo, info_code = -1, info_ctx_null = -1, hits;
static volatile pid_t info_pid = -1;
static volatile int chld_code = -1, chld_status = -1;
static volatile pid_t chld_pid = -1;

static void on_info(int sig, siginfo_t *info, void *ctx) {
  (void)sig;
  info_signo = info ? info->si_signo : -1;
  info_code = info ? info->si_code : -1;
  info_pid = info ? info->si_pid : -1;
  info_ctx_null = ctx == NULL;
  hits++;
}

static void on_chld(int sig, siginfo_t *info, void *ctx) {
  (void)sig;
  (void)ctx;
  chld_code = info->si_code;
  chld_pid = info->si_pid;
  chld_status = info->si_status;
}

static void on_once(int sig) {
  (void)sig;
  hits++;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "resethand") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_once;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    printf("resethand: hits %d, now default %d\n", hits, now.sa_handler == SIG_DFL);
    raise(SIGUSR1); // the default action: terminate
    printf("still alive\n");
    return 0;
  }
  struct sigaction sa, back;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_info;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR2, &sa, NULL);
  sigaction(SIGUSR2, NULL, &back);
  printf("installed: same function %d, siginfo flag %d\n", back.sa_sigaction == on_info, (back.sa_flags & SA_SIGINFO) != 0);
  kill(getpid(), SIGUSR2);
  printf("siginfo: hits %d signo %d code %s pid is mine %d\n", hits, info_signo, info_code == SI_USER ? "SI_USER" : "other",
         info_pid == getpid());

  // SA_RESETHAND in a child: the second signal kills it. Its SIGCHLD reaches an SA_SIGINFO handler.
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  pid_t pid;
  char *args[] = {argv[0], "resethand", NULL};
  if (posix_spawn(&pid, argv[0], NULL, NULL, args, NULL) != 0) return 1;
  int st = 0;
  waitpid(pid, &st, 0);
  printf("child: signaled %d sig %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  printf("SIGCHLD siginfo: code %s pid is the child's %d status %d\n", chld_code == CLD_KILLED ? "CLD_KILLED" : "other",
         chld_pid == pid, chld_status);
  return 0;
}
