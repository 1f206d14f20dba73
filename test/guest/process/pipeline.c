/* pipeline N: runs `gen N | xcat | sum` with pipes and spawn file actions, waits for all three,
 * prints sum's line (it inherits stdout) and the statuses. Also checks FD_CLOEXEC and EOF. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static pid_t stage(char *const argv[], int in, int out, int close1, int close2) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (in >= 0) posix_spawn_file_actions_adddup2(&fa, in, 0);
  if (out >= 0) posix_spawn_file_actions_adddup2(&fa, out, 1);
  if (close1 >= 0) posix_spawn_file_actions_addclose(&fa, close1);
  if (close2 >= 0) posix_spawn_file_actions_addclose(&fa, close2);
  pid_t pid;
  int e = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (e) { printf("spawn %s: %s\n", argv[0], strerror(e)); return -1; }
  return pid;
}

int main(int argc, char **argv) {
  char *n = argc > 1 ? argv[1] : "1000000";
  int a[2], b[2];
  /* O_CLOEXEC: children get only the ends their dup2 actions hand them (wasix-libc's pipe2
   * dropped its flags: sdk/libc/pipe.c). */
  if (pipe2(a, O_CLOEXEC) || pipe2(b, O_CLOEXEC)) { perror("pipe2"); return 1; }
  char *g[] = { "/bin/gen", n, NULL }, *c[] = { "/bin/xcat", NULL }, *s[] = { "/bin/sum", NULL };
  pid_t p1 = stage(g, -1, a[1], a[0], -1);
  pid_t p2 = stage(c, a[0], b[1], a[1], b[0]);
  pid_t p3 = stage(s, b[0], -1, b[1], a[0]);
  close(a[0]); close(a[1]); close(b[0]); close(b[1]);
  int bad = 0;
  pid_t ps[3] = { p1, p2, p3 };
  for (int i = 0; i < 3; i++) {
    int st;
    if (waitpid(ps[i], &st, 0) != ps[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) bad++;
  }
  printf("stages failed: %d\n", bad);

  /* FD_CLOEXEC: a child does not inherit the fd; the reader then sees EOF when we close ours. */
  int p[2];
  if (pipe(p)) return 1;
  fcntl(p[1], F_SETFD, FD_CLOEXEC);
  printf("cloexec flag: %d\n", fcntl(p[1], F_GETFD) & FD_CLOEXEC);
  pid_t r = stage(s, p[0], -1, -1, -1); /* sum reads the pipe: only we hold the write end */
  close(p[0]);
  write(p[1], "abc", 3);
  close(p[1]);
  int st;
  waitpid(r, &st, 0);
  printf("cloexec child: exited %d\n", WEXITSTATUS(st));

  /* dup/dup2/F_DUPFD */
  int d = dup(1);
  int d2 = dup2(1, 20);
  int d3 = fcntl(1, F_DUPFD, 30);
  int d4 = fcntl(1, F_DUPFD_CLOEXEC, 30);
  printf("dup %d dup2 %d dupfd %d dupfd_cloexec %d cloexec %d\n", d > 2, d2, d3, d4, fcntl(d4, F_GETFD));
  dprintf(20, "via fd 20\n");
  /* pipe2's flags, on both ends, as Linux: FD_CLOEXEC and O_NONBLOCK bits of each end; EINVAL for others */
  int flags[] = {0, O_CLOEXEC, O_NONBLOCK, O_CLOEXEC | O_NONBLOCK, O_APPEND};
  printf("pipe2:");
  for (int i = 0; i < 5; i++) {
    int f[2];
    if (pipe2(f, flags[i])) { printf(" -1 %s", errno == EINVAL ? "EINVAL" : strerror(errno)); continue; }
    printf(" %d%d%d%d", fcntl(f[0], F_GETFD) & FD_CLOEXEC, fcntl(f[1], F_GETFD) & FD_CLOEXEC,
           (fcntl(f[0], F_GETFL) & O_NONBLOCK) != 0, (fcntl(f[1], F_GETFL) & O_NONBLOCK) != 0);
    close(f[0]); close(f[1]);
  }
  printf("\n");
  /* O_NONBLOCK pipe read: EAGAIN */
  int q[2];
  pipe(q);
  fcntl(q[0], F_SETFL, O_NONBLOCK);
  fcntl(q[0], F_SETFD, FD_CLOEXEC);
  char ch;
  ssize_t rr = read(q[0], &ch, 1);
  printf("nonblock read: %zd %s, cloexec %d\n", rr, errno == EAGAIN ? "EAGAIN" : strerror(errno), fcntl(q[0], F_GETFD));
  return 0;
}
