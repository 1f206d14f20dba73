/* Named AF_UNIX sockets between LibOS processes: bind/listen/accept on a path, a child process
 * connecting by path, the socket file in the VFS, Linux's errnos, and datagrams by path.
 *
 *   unix_named server     the parent: runs the checks, posix_spawns "unix_named client PATH"
 *   unix_named client P   connects to P, sends "ping", prints the reply and its peer name
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_util.h"

extern char **environ;

static const char *errname(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EADDRINUSE: return "EADDRINUSE";
    case EINVAL: return "EINVAL";
    default: return strerror(e);
  }
}

/* connect to `path`: "ok" or the errno's name. */
static const char *try_connect(const char *path) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(s);
  struct sockaddr_un a = unix_addr(path);
  int r = connect(s, (struct sockaddr *)&a, sizeof a);
  int e = errno;
  close(s);
  return r == 0 ? "ok" : errname(e);
}

static int client(const char *path) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(s);
  struct sockaddr_un a = unix_addr(path);
  CHECK(connect(s, (struct sockaddr *)&a, sizeof a));
  struct sockaddr_un peer;
  socklen_t len = sizeof peer;
  CHECK(getpeername(s, (struct sockaddr *)&peer, &len));
  CHECK(send(s, "ping", 4, 0));
  char buf[16] = {0};
  CHECK(recv(s, buf, sizeof buf - 1, 0));
  printf("client got %s from %s\n", buf, peer.sun_path);
  return 0;
}

static int server(void) {
  const char *path = "/tmp/echo.sock";
  printf("before bind: connect %s\n", try_connect(path));
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(s);
  struct sockaddr_un a = unix_addr(path);
  CHECK(bind(s, (struct sockaddr *)&a, sizeof a));
  struct stat st;
  printf("socket file %s\n", stat(path, &st) == 0 ? "exists" : strerror(errno));
  printf("before listen: connect %s\n", try_connect(path));
  CHECK(listen(s, 4));
  struct sockaddr_un name;
  socklen_t len = sizeof name;
  CHECK(getsockname(s, (struct sockaddr *)&name, &len));
  printf("sockname %s\n", name.sun_path);

  int dup = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(dup);
  int r = bind(dup, (struct sockaddr *)&a, sizeof a);
  printf("second bind %s\n", r == 0 ? "ok" : errname(errno));
  close(dup);

  fflush(stdout);
  char *argv[] = {"/bin/unix_named", "client", (char *)path, NULL};
  pid_t pid;
  if (posix_spawn(&pid, "/bin/unix_named", NULL, NULL, argv, environ) != 0) { printf("FAIL spawn\n"); return 1; }
  int c = accept(s, NULL, NULL);
  CHECK(c);
  char buf[16] = {0};
  CHECK(recv(c, buf, sizeof buf - 1, 0));
  CHECK(send(c, "pong", 4, 0));
  int status = 0;
  CHECK(waitpid(pid, &status, 0));
  fflush(stdout);
  printf("server got %s, client exit %d\n", buf, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  close(c);
  close(s);

  /* The file outlives the socket (Linux): connect refuses, bind needs an unlink first. */
  printf("after close: file %s, connect %s\n", stat(path, &st) == 0 ? "stays" : "gone", try_connect(path));
  s = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(s);
  r = bind(s, (struct sockaddr *)&a, sizeof a);
  printf("rebind without unlink %s\n", r == 0 ? "ok" : errname(errno));
  CHECK(unlink(path));
  CHECK(bind(s, (struct sockaddr *)&a, sizeof a));
  printf("rebind after unlink ok\n");
  close(s);
  unlink(path);

  /* A relative path resolves from the cwd. */
  CHECK(chdir("/tmp"));
  s = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(s);
  struct sockaddr_un rel = unix_addr("rel.sock");
  CHECK(bind(s, (struct sockaddr *)&rel, sizeof rel));
  CHECK(listen(s, 1));
  printf("relative: connect by absolute path %s\n", try_connect("/tmp/rel.sock"));
  close(s);
  printf("missing directory: bind %s\n", (s = socket(AF_UNIX, SOCK_STREAM, 0), a = unix_addr("/nonexistent/x.sock"),
         bind(s, (struct sockaddr *)&a, sizeof a) == 0 ? "ok" : errname(errno)));
  close(s);

  /* Datagrams by path: the receiver sees the sender's name. */
  int d1 = socket(AF_UNIX, SOCK_DGRAM, 0), d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
  CHECK(d1); CHECK(d2);
  struct sockaddr_un da = unix_addr("/tmp/d1.sock"), db = unix_addr("/tmp/d2.sock");
  CHECK(bind(d1, (struct sockaddr *)&da, sizeof da));
  CHECK(bind(d2, (struct sockaddr *)&db, sizeof db));
  CHECK(sendto(d2, "dgram", 5, 0, (struct sockaddr *)&da, sizeof da));
  struct sockaddr_un from;
  socklen_t flen = sizeof from;
  memset(&from, 0, sizeof from);
  memset(buf, 0, sizeof buf);
  CHECK(recvfrom(d1, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &flen));
  printf("dgram %s from %s\n", buf, from.sun_path);
  struct sockaddr_un nowhere = unix_addr("/tmp/none.sock");
  r = sendto(d2, "x", 1, 0, (struct sockaddr *)&nowhere, sizeof nowhere);
  printf("dgram to a missing path %s\n", r >= 0 ? "ok" : errname(errno));
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "server")) return server();
  if (argc > 2 && !strcmp(argv[1], "client")) return client(argv[2]);
  return 2;
}
