/* SCM_RIGHTS between two LibOS processes, MSG_CTRUNC, and MSG_NOSIGNAL. One mode per argv[1].
 *
 *   scm_rights parent      runs everything; spawns "scm_rights child FD" for the cross-process part
 *   scm_rights child FD    receives two fds over the unix socket FD: writes through the first (a
 *                          pipe), reads the second (a file), then exits
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_util.h"

extern char **environ;

static int send_fds(int s, const char *data, const int *fds, int n) {
  char ctl[CMSG_SPACE(4 * sizeof(int))];
  memset(ctl, 0, sizeof ctl);
  struct iovec iov = {.iov_base = (void *)data, .iov_len = strlen(data)};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = CMSG_SPACE(n * sizeof(int))};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(n * sizeof(int));
  memcpy(CMSG_DATA(c), fds, n * sizeof(int));
  return (int)sendmsg(s, &m, 0);
}

/* recvmsg with room for `room` fds: returns the data length, fills fds, *nfds and *flags. */
static int recv_fds(int s, char *buf, size_t cap, int *fds, int room, int *nfds, int *flags) {
  char ctl[CMSG_SPACE(4 * sizeof(int))];
  struct iovec iov = {.iov_base = buf, .iov_len = cap};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = CMSG_SPACE(room * sizeof(int))};
  int r = (int)recvmsg(s, &m, 0);
  if (r < 0) return r;
  *nfds = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      memcpy(fds + *nfds, CMSG_DATA(c), n * sizeof(int));
      *nfds += n;
    }
  }
  *flags = m.msg_flags;
  buf[r] = 0;
  return r;
}

static int child(int s) {
  char buf[64];
  int fds[4], n = 0, flags = 0;
  CHECK(recv_fds(s, buf, sizeof buf - 1, fds, 4, &n, &flags));
  printf("child got \"%s\" with %d fds\n", buf, n);
  fflush(stdout);
  if (n != 2) return 1;
  CHECK(write(fds[0], "through the passed pipe", 23));
  char file[32] = {0};
  CHECK(lseek(fds[1], 0, SEEK_SET));
  CHECK(read(fds[1], file, sizeof file - 1));
  printf("child read the passed file: %s\n", file);
  return 0;
}

static volatile int sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

static int parent(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  int p[2];
  CHECK(pipe(p));
  int f = open("/tmp/passed.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(f);
  CHECK(write(f, "file contents", 13));

  char arg[16];
  snprintf(arg, sizeof arg, "%d", sv[1]);
  char *argv[] = {"/bin/scm_rights", "child", arg, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addclose(&fa, sv[0]);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  posix_spawn_file_actions_addclose(&fa, p[1]);
  posix_spawn_file_actions_addclose(&fa, f);
  pid_t pid;
  fflush(stdout);
  if (posix_spawn(&pid, "/bin/scm_rights", &fa, NULL, argv, environ) != 0) { printf("FAIL spawn\n"); return 1; }
  close(sv[1]);
  int pass[2] = {p[1], f};
  CHECK(send_fds(sv[0], "two fds", pass, 2));
  /* Our copies go away: the ones in flight keep the pipe's write end open until the child closes it. */
  close(p[1]);
  close(f);
  char buf[64] = {0};
  ssize_t got = 0, r;
  while ((r = read(p[0], buf + got, sizeof buf - 1 - got)) > 0) got += r;
  CHECK(r);
  int st = 0;
  CHECK(waitpid(pid, &st, 0));
  printf("parent read from the pipe: %s (EOF once the child exited: %d)\n", buf, WIFEXITED(st) && WEXITSTATUS(st) == 0);

  /* Room for one fd of two: MSG_CTRUNC, one installed. A plain read drops passed fds. */
  int sp[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
  int two[2] = {0, 1};
  CHECK(send_fds(sp[0], "A", two, 2));
  int fds[4], n = 0, flags = 0;
  CHECK(recv_fds(sp[1], buf, sizeof buf - 1, fds, 1, &n, &flags));
  printf("ctrunc: %d fd(s), MSG_CTRUNC %d\n", n, (flags & MSG_CTRUNC) != 0);
  CHECK(send_fds(sp[0], "B", two, 1));
  CHECK(send(sp[0], "C", 1, 0));
  char c2[4] = {0};
  CHECK(read(sp[1], c2, 1));
  n = 0;
  CHECK(recv_fds(sp[1], buf, sizeof buf - 1, fds, 4, &n, &flags));
  printf("plain read got %s, next recvmsg %s with %d fds\n", c2, buf, n);

  /* MSG_NOSIGNAL: EPIPE and no signal; without it the handler runs. */
  signal(SIGPIPE, on_sigpipe);
  close(sp[1]);
  ssize_t w = send(sp[0], "x", 1, MSG_NOSIGNAL);
  printf("nosignal: %zd %s, sigpipes %d\n", w, errno == EPIPE ? "EPIPE" : strerror(errno), sigpipes);
  w = send(sp[0], "x", 1, 0);
  printf("without: %zd %s, sigpipes %d\n", w, errno == EPIPE ? "EPIPE" : strerror(errno), sigpipes);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "parent")) return parent();
  if (argc > 2 && !strcmp(argv[1], "child")) return child(atoi(argv[2]));
  return 2;
}
