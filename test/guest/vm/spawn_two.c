/* Spawns /bin/malloc_max twice: the first holds its memory for 400 ms, the second starts 100 ms
 * later while the first holds it. Prints each child's exit status. */
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(void) {
  pid_t a, b;
  char *argv_a[] = {"/bin/malloc_max", "400", NULL};
  char *argv_b[] = {"/bin/malloc_max", NULL};
  if (posix_spawn(&a, "/bin/malloc_max", NULL, NULL, argv_a, environ) != 0) return 1;
  struct timespec ts = {0, 100 * 1000000L};
  nanosleep(&ts, NULL);
  if (posix_spawn(&b, "/bin/malloc_max", NULL, NULL, argv_b, environ) != 0) return 2;
  int sa = -1, sb = -1;
  waitpid(b, &sb, 0);
  waitpid(a, &sa, 0);
  printf("status a %d b %d\n", sa, sb);
  return 0;
}
