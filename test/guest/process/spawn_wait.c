/* posix_spawn + waitpid: exit statuses, signal deaths, WNOHANG, ECHILD, env, PATH search. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static pid_t spawn(const char *a1, const char *a2) {
  char *argv[] = { "child", (char *)a1, (char *)a2, NULL };
  pid_t pid;
  int e = posix_spawn(&pid, "/bin/child", NULL, NULL, argv, environ);
  if (e != 0) { printf("spawn failed: %s\n", strerror(e)); exit(90); }
  return pid;
}

static void report(const char *what, pid_t pid) {
  int st = 0;
  pid_t r = waitpid(pid, &st, 0);
  if (r != pid) { printf("%s: waitpid returned %d errno %d\n", what, (int)r, errno); return; }
  if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: signaled %d\n", what, WTERMSIG(st));
  else printf("%s: status 0x%x\n", what, st);
}

int main(int argc, char **argv) {
  report("exit3", spawn("exit", "3"));
  report("exit200", spawn("exit", "200"));
  report("trap", spawn("trap", NULL));
  report("kill15", spawn("kill", "15"));
  fflush(stdout);
  report("print", spawn("print", "hi"));
  setenv("MARK", "x1", 1);
  report("env", spawn("env", "MARK"));
  /* WNOHANG on a running child, then a blocking wait */
  pid_t slow = spawn("sleep", "50");
  int st;
  printf("nohang: %d\n", (int)waitpid(slow, &st, WNOHANG));
  report("slow", slow);
  /* any child */
  pid_t a = spawn("exit", "5");
  pid_t r = wait(&st);
  printf("wait any: %s %d\n", r == a ? "same" : "other", WEXITSTATUS(st));
  r = waitpid(-1, &st, 0);
  printf("echild: %d %s\n", (int)r, errno == ECHILD ? "ECHILD" : strerror(errno));
  /* posix_spawnp searches PATH */
  setenv("PATH", "/nonexistent:/bin", 1);
  char *pargv[] = { "child", "exit", "9", NULL };
  pid_t p;
  int e = posix_spawnp(&p, "child", NULL, NULL, pargv, environ);
  if (e) printf("spawnp: %s\n", strerror(e)); else report("spawnp", p);
  e = posix_spawn(&p, "/bin/nope", NULL, NULL, pargv, environ);
  printf("missing: %s\n", e == ENOENT ? "ENOENT" : strerror(e));
  return 0;
}
