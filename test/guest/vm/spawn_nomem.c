/* Takes all the user space it can (malloc until NULL, then gives one block back for libc), then
 * posix_spawns /bin/malloc_max: prints posix_spawn's result and exits 0. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int main(void) {
  void *volatile head = NULL;
  void *last = NULL;
  for (;;) {
    char *p = malloc(65536);
    if (!p) break;
    memset(p, 1, 65536);
    *(void **)p = head;
    head = p;
    last = p;
  }
  head = *(void **)last;
  free(last);
  pid_t pid;
  char *argv[] = {"/bin/malloc_max", NULL};
  int rc = posix_spawn(&pid, "/bin/malloc_max", NULL, NULL, argv, environ);
  printf("spawn %s\n", rc == 0 ? "ok" : strerror(rc));
  if (rc == 0) waitpid(pid, NULL, 0);
  return 0;
}
