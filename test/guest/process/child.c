/* Child helper: `child exit N` exits N; `child trap` traps; `child loop` spins forever;
 * `child kill SIG` kills itself; `child print TEXT` prints TEXT and its ids; `child sleep MS`. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) return 100;
  const char *cmd = argv[1];
  int n = argc > 2 ? atoi(argv[2]) : 0;
  if (!strcmp(cmd, "exit")) return n;
  if (!strcmp(cmd, "trap")) __builtin_trap();
  if (!strcmp(cmd, "loop")) { volatile unsigned long x = 0; for (;;) x++; }
  if (!strcmp(cmd, "kill")) { kill(getpid(), n); return 101; }
  if (!strcmp(cmd, "print")) { printf("%s pid=%d ppid=%d\n", argv[2], (int)getpid(), (int)getppid()); return 0; }
  if (!strcmp(cmd, "sleep")) { struct timespec ts = { n / 1000, (n % 1000) * 1000000L }; nanosleep(&ts, NULL); return 0; }
  if (!strcmp(cmd, "env")) { const char *v = getenv(argv[2]); printf("%s=%s\n", argv[2], v ? v : "(unset)"); return 0; }
  return 102;
}
