/*
 * prctl(PR_SET_PDEATHSIG): a child that set SIGTERM as its parent-death signal is killed when the
 * thread that spawned it ends (the process going on), and when the process that spawned it ends;
 * PR_GET_PDEATHSIG; EINVAL for a bad signal; a process spawned through /proc/self/exe is the
 * program (its exe) named "exe" (its comm). Prints one line per check; test/libos/process/
 * conform-pdeath.test.ts compares it with what the same program prints on Linux (gcc -O2 -pthread,
 * glibc). The children report through pipes, dup2'd at spawn to fds 20 and 21 (not 3: a WASI
 * program's fd 3 is its root directory's preopen).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char *self;

#define READY_FD 20
#define ALIVE_FD 21

/* Spawn `self role` with `ready` as READY_FD and `alive` as ALIVE_FD (-1: none). */
static pid_t spawn_role(const char *role, int ready, int alive) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, ready, READY_FD);
  if (alive >= 0) posix_spawn_file_actions_adddup2(&fa, alive, ALIVE_FD);
  char *args[] = {self, (char *)role, NULL};
  pid_t pid = -1;
  if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, args, environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

/* A child: set SIGTERM as the parent-death signal, say so on READY_FD, then sleep (ALIVE_FD stays open). */
static int child(void) {
  int got = -1;
  int r = prctl(PR_SET_PDEATHSIG, SIGTERM);
  prctl(PR_GET_PDEATHSIG, &got);
  char b = (r == 0 && got == SIGTERM) ? 'y' : 'n';
  write(READY_FD, &b, 1);
  sleep(5);
  return 0;
}

/* The middle process: spawn a child with the same fds, wait for its word, pass it on, and end. */
static int middle(void) {
  int p[2];
  pipe(p);
  spawn_role("child", p[1], ALIVE_FD);
  close(p[1]);
  char b = 0;
  read(p[0], &b, 1);
  write(READY_FD, &b, 1);
  return 0;
}

static int ready[2];
static pid_t thread_child;
static void *spawner(void *arg) {
  (void)arg;
  thread_child = spawn_role("child", ready[1], -1);
  char b = 0;
  read(ready[0], &b, 1);
  printf("the thread's child: PR_SET_PDEATHSIG and PR_GET_PDEATHSIG: %c\n", b);
  return NULL; /* the thread ends; the process goes on */
}

/* Started through /proc/self/exe: its comm is "exe" (execve's file name), its exe the program. */
static int names(void) {
  char comm[32] = {0}, exe[256] = {0};
  FILE *f = fopen("/proc/self/comm", "r");
  if (f) {
    fgets(comm, sizeof comm, f);
    fclose(f);
  }
  comm[strcspn(comm, "\n")] = 0;
  readlink("/proc/self/exe", exe, sizeof exe - 1);
  const char *base = strrchr(exe, '/');
  printf("a process spawned through /proc/self/exe: comm \"%s\", exe names the program: %d\n", comm, base && strcmp(base + 1, "conform_pdeath") == 0);
  return 0;
}

int main(int argc, char **argv) {
  self = argv[0];
  if (argc > 1 && strcmp(argv[1], "child") == 0) return child();
  if (argc > 1 && strcmp(argv[1], "names") == 0) return names();
  if (argc > 1 && strcmp(argv[1], "middle") == 0) return middle();
  setvbuf(stdout, NULL, _IOLBF, 0);
  int got = -1;
  int g = prctl(PR_GET_PDEATHSIG, &got);
  printf("PR_GET_PDEATHSIG at the start: %d %d\n", g, got);
  errno = 0;
  int r = prctl(PR_SET_PDEATHSIG, 65);
  printf("PR_SET_PDEATHSIG 65: %d %s\n", r, errno == EINVAL ? "EINVAL" : "?");
  printf("PR_SET_PDEATHSIG 0: %d\n", prctl(PR_SET_PDEATHSIG, 0));
  int st;
  waitpid(spawn_role("names", 1, -1), &st, 0);

  /* The spawning thread ends, the process goes on: the child gets SIGTERM. */
  pipe(ready);
  pthread_t th;
  pthread_create(&th, NULL, spawner, NULL);
  pthread_join(th, NULL);
  int status = 0;
  pid_t w = waitpid(thread_child, &status, 0);
  printf("  waitpid: %d, killed by SIGTERM: %d\n", w == thread_child, WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);

  /* The spawning process ends: its child (now another's) gets SIGTERM; seen as its fd 4 closing. */
  int word[2], alive[2];
  pipe(word);
  pipe(alive);
  pid_t mid = spawn_role("middle", word[1], alive[1]);
  close(word[1]);
  close(alive[1]);
  char b = 0;
  read(word[0], &b, 1);
  printf("the middle process's child: PR_SET_PDEATHSIG and PR_GET_PDEATHSIG: %c\n", b);
  waitpid(mid, &status, 0);
  printf("  the middle process exited: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
  struct pollfd pfd = {alive[0], POLLIN, 0};
  int k = poll(&pfd, 1, 3000);
  char x;
  printf("  its child ended within 3 s (its end of the pipe closed): %d\n", k == 1 && read(alive[0], &x, 1) == 0);
  return 0;
}
