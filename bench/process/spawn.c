/* spawn PROG N: N times posix_spawn(PROG) + waitpid; prints "spawn <N> <ns per spawn+wait>".
 * pipe CHUNK MB: a child writes MB MiB in CHUNK-byte writes into a pipe, we read it;
 * prints "pipe <chunk> <MiB/s>". The same C builds natively (gcc) and for occlum-ts. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc > 3 && !strcmp(argv[1], "writer")) {
    size_t chunk = (size_t)atol(argv[2]);
    long long total = atoll(argv[3]) << 20;
    char *buf = calloc(1, chunk);
    for (long long done = 0; done < total;) {
      ssize_t w = write(1, buf, chunk);
      if (w <= 0) return 1;
      done += w;
    }
    return 0;
  }
  if (argc > 3 && !strcmp(argv[1], "spawn")) {
    int n = atoi(argv[3]);
    char *cargv[] = { argv[2], NULL };
    double t0 = now();
    for (int i = 0; i < n; i++) {
      pid_t p;
      int st;
      if (posix_spawn(&p, argv[2], NULL, NULL, cargv, environ) != 0 || waitpid(p, &st, 0) != p) return 1;
    }
    printf("spawn %d %.0f\n", n, (now() - t0) / n);
    return 0;
  }
  if (argc > 3 && !strcmp(argv[1], "pipe")) {
    int p[2];
    if (pipe(p)) return 1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    char *wargv[] = { argv[0], "writer", argv[2], argv[3], NULL };
    double t0 = now();
    pid_t w;
    if (posix_spawn(&w, argv[0], &fa, NULL, wargv, environ) != 0) return 1;
    close(p[1]);
    static char buf[1 << 16];
    long long got = 0;
    ssize_t r;
    while ((r = read(p[0], buf, sizeof buf)) > 0) got += r;
    int st;
    waitpid(w, &st, 0);
    double s = (now() - t0) / 1e9;
    printf("pipe %s %.1f\n", argv[2], got / 1048576.0 / s);
    return 0;
  }
  return 2;
}
