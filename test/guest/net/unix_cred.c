/* Credentials on AF_UNIX sockets: SO_PEERCRED (socketpair, listener, both ends of a connection
 * between two processes), SO_PASSCRED with SCM_CREDENTIALS on stream and datagram sockets, the
 * sender's own credentials and explicit ones (ESRCH for a pid that does not exist), and
 * SCM_CREDENTIALS next to SCM_RIGHTS in one message.
 *
 *   unix_cred            the parent: runs the checks, posix_spawns "unix_cred client PATH"
 *   unix_cred client P   connects to P, waits for "go", sends, checks its own SO_PEERCRED
 * Pids are printed relative to the parent's and the child's (self / parent / child), so the
 * output is the same on Linux and under the LibOS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_util.h"

extern char **environ;

static pid_t self, child;

/* A pid as "self", "parent", "child" or "other", and whether uid/gid are the process's own. */
static const char *who(pid_t pid) {
  if (pid == self) return "self";
  if (pid == getppid()) return "parent";
  if (child && pid == child) return "child";
  return pid == 0 ? "none" : "other";
}

static void peercred(const char *what, int fd) {
  struct ucred c;
  socklen_t len = sizeof c;
  CHECK(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len));
  printf("%s peercred %s ids %s len %d\n", what, who(c.pid), c.uid == getuid() && c.gid == getgid() ? "own" : "other", (int)len);
}

/* recvmsg with room for credentials and fds; prints what came. */
static void receive(const char *what, int fd) {
  char buf[64] = {0};
  union { char b[256]; struct cmsghdr align; } ctl;
  struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
  ssize_t n = recvmsg(fd, &m, 0);
  CHECK(n);
  printf("%s got \"%s\":", what, buf);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      struct ucred u;
      memcpy(&u, CMSG_DATA(c), sizeof u);
      printf(" creds from %s", who(u.pid));
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int f;
      memcpy(&f, CMSG_DATA(c), sizeof f);
      char t[8] = {0};
      printf(" fd reads \"%s\"", read(f, t, sizeof t - 1) > 0 ? t : "?");
      close(f);
    }
  }
  printf("%s\n", m.msg_flags & MSG_CTRUNC ? " (ctrunc)" : "");
}

/* sendmsg of `text` with SCM_CREDENTIALS naming `pid` (and this process's ids); -1 with errno. */
static ssize_t send_creds(int fd, const char *text, pid_t pid) {
  struct ucred u = {.pid = pid, .uid = getuid(), .gid = getgid()};
  union { char b[CMSG_SPACE(sizeof(struct ucred))]; struct cmsghdr align; } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = {.iov_base = (void *)text, .iov_len = strlen(text)};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof u);
  memcpy(CMSG_DATA(c), &u, sizeof u);
  return sendmsg(fd, &m, 0);
}

static int client(const char *path) {
  self = getpid();
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(s);
  struct sockaddr_un a = unix_addr(path);
  CHECK(connect(s, (struct sockaddr *)&a, sizeof a));
  peercred("client:", s);
  char go;
  CHECK(read(s, &go, 1));
  CHECK(send(s, "plain", 5, 0));
  CHECK(send_creds(s, "own", self));
  errno = 0;
  ssize_t r = send_creds(s, "bogus", 0x7ffffff0);
  printf("client: creds of a missing pid: %s\n", r < 0 && errno == ESRCH ? "ESRCH" : strerror(errno));
  fflush(stdout);
  CHECK(read(s, &go, 1)); /* the parent is done reading */
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "client")) return client(argv[2]);
  self = getpid();

  int sp[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
  peercred("socketpair:", sp[0]);
  int on = 1, v = -1;
  socklen_t len = sizeof v;
  CHECK(getsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &v, &len));
  printf("passcred before %d\n", v);
  CHECK(setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
  CHECK(getsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &v, &len));
  printf("passcred after %d\n", v);
  CHECK(send(sp[0], "hello", 5, 0));
  receive("stream:", sp[1]);

  /* credentials and a file in one message */
  int p[2];
  CHECK(pipe(p));
  CHECK(write(p[1], "pipe", 4));
  union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } ctl;
  struct iovec iov = {.iov_base = "fd", .iov_len = 2};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &p[0], sizeof(int));
  CHECK(sendmsg(sp[0], &m, 0));
  receive("stream:", sp[1]);

  int dp[2];
  CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, dp));
  peercred("dgram pair:", dp[1]);
  CHECK(setsockopt(dp[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
  CHECK(send(dp[0], "datagram", 8, 0));
  receive("dgram:", dp[1]);

  /* two processes */
  const char *path = "/tmp/cred.sock";
  unlink(path);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(l);
  struct sockaddr_un a = unix_addr(path);
  CHECK(bind(l, (struct sockaddr *)&a, sizeof a));
  CHECK(listen(l, 4));
  peercred("listener:", l);
  char *cargv[] = {argv[0], "client", (char *)path, NULL};
  CHECK(-posix_spawn(&child, argv[0], NULL, NULL, cargv, environ));
  int s = accept(l, NULL, NULL);
  CHECK(s);
  peercred("accepted:", s);
  CHECK(setsockopt(s, SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
  CHECK(write(s, "g", 1));
  receive("server:", s);
  receive("server:", s);
  CHECK(write(s, "g", 1));
  int status;
  CHECK(waitpid(child, &status, 0));
  printf("client exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  unlink(path);
  return 0;
}
