/*
 * Smoke guest for the POSIX (WASIX) toolchain: includes the headers that select POSIX mode and
 * calls into threads, spawn and wait so the libc pulls in the wasix_32v1 imports. The toolchain
 * test only builds and inspects it; running it needs the LibOS's process and thread support.
 */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void *worker(void *arg) {
  int *n = arg;
  *n += 1;
  return NULL;
}

int main(int argc, char **argv) {
  int n = 41;
  pthread_t t;
  if (pthread_create(&t, NULL, worker, &n) != 0 || pthread_join(t, NULL) != 0) return 1;
  printf("thread says %d\n", n);
  if (argc > 1) {
    pid_t pid;
    int status;
    if (posix_spawn(&pid, argv[1], NULL, NULL, argv + 1, environ) != 0) return 2;
    if (waitpid(pid, &status, 0) != pid) return 3;
    printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  return 0;
}
