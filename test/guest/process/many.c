/* many seq N: N sequential spawn+wait of `child exit i%200`; many conc N: N children at once
 * (each sleeps 20 ms), then waits for all. Prints how many had the expected status. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

static pid_t spawn(const char *a1, const char *a2) {
  char *argv[] = { "child", (char *)a1, (char *)a2, NULL };
  pid_t pid;
  if (posix_spawn(&pid, "/bin/child", NULL, NULL, argv, environ) != 0) return -1;
  return pid;
}

int main(int argc, char **argv) {
  int n = argc > 2 ? atoi(argv[2]) : 10;
  int ok = 0;
  if (!strcmp(argv[1], "seq")) {
    for (int i = 0; i < n; i++) {
      char code[16];
      snprintf(code, sizeof code, "%d", i % 200);
      pid_t p = spawn("exit", code);
      int st;
      if (p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == i % 200) ok++;
    }
  } else {
    pid_t *ps = calloc((size_t)n, sizeof *ps);
    for (int i = 0; i < n; i++) ps[i] = spawn("sleep", "20");
    for (int i = 0; i < n; i++) {
      int st;
      pid_t r = wait(&st);
      for (int j = 0; j < n; j++) if (ps[j] == r && WIFEXITED(st) && WEXITSTATUS(st) == 0) { ok++; ps[j] = 0; }
    }
  }
  printf("%s %d/%d\n", argv[1], ok, n);
  return ok == n ? 0 : 1;
}
