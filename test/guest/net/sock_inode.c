/* Socket inodes: the file bind(2) makes for a pathname AF_UNIX socket is a socket to stat, lstat,
 * fstatat and readdir; fstat on any socket fd says socket; open fails with ENXIO; bind on an
 * existing path fails with EADDRINUSE; rename keeps the socket reachable under its new name;
 * unlink removes the file; a regular file renamed over it is a regular file. Prints one line per
 * check; the host test compares the whole output.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "net_util.h"

static const char *kind(mode_t m) {
  if (S_ISSOCK(m)) return "socket";
  if (S_ISREG(m)) return "regular";
  if (S_ISDIR(m)) return "directory";
  return "other";
}

static const char *errname(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ENXIO: return "ENXIO";
    case EADDRINUSE: return "EADDRINUSE";
    case ECONNREFUSED: return "ECONNREFUSED";
    default: return strerror(e);
  }
}

/* stat(path): the file's kind or the errno's name. */
static const char *stat_kind(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? kind(st.st_mode) : errname(errno);
}

static const char *fd_kind(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? kind(st.st_mode) : errname(errno);
}

static int bind_path(int s, const char *path) {
  struct sockaddr_un a = unix_addr(path);
  return bind(s, (struct sockaddr *)&a, sizeof a);
}

static const char *connect_path(const char *path) {
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(c);
  struct sockaddr_un a = unix_addr(path);
  int r = connect(c, (struct sockaddr *)&a, sizeof a);
  int e = errno;
  close(c);
  return r == 0 ? "ok" : errname(e);
}

/* d_type of `name` in `dir`: "unknown" (stat it), "regular", or the number. */
static const char *dtype_of(const char *dir, const char *name) {
  static char other[16];
  DIR *d = opendir(dir);
  if (!d) return errname(errno);
  const char *out = "missing";
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, name) != 0) continue;
    if (e->d_type == DT_UNKNOWN) out = "unknown";
    else if (e->d_type == DT_REG) out = "regular";
    else {
      snprintf(other, sizeof other, "%d", e->d_type);
      out = other;
    }
  }
  closedir(d);
  return out;
}

int main(void) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(s);
  CHECK(bind_path(s, "/tmp/s.sock"));
  CHECK(listen(s, 4));
  struct stat st;
  printf("stat %s\n", stat_kind("/tmp/s.sock"));
  printf("lstat %s\n", lstat("/tmp/s.sock", &st) == 0 ? kind(st.st_mode) : errname(errno));
  int tmp = open("/tmp", O_RDONLY | O_DIRECTORY);
  CHECK(tmp);
  printf("fstatat %s\n", fstatat(tmp, "s.sock", &st, 0) == 0 ? kind(st.st_mode) : errname(errno));
  printf("size %lld\n", (long long)st.st_size);

  int fd = open("/tmp/s.sock", O_RDONLY);
  printf("open %s\n", fd < 0 ? errname(errno) : "ok");
  fd = open("/tmp/s.sock", O_RDWR | O_CREAT, 0644);
  printf("open O_CREAT %s\n", fd < 0 ? errname(errno) : "ok");

  int f = open("/tmp/plain", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(f);
  close(f);
  printf("readdir socket %s, regular file %s\n", dtype_of("/tmp", "s.sock"), dtype_of("/tmp", "plain"));

  /* fstat on every kind of socket fd. */
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(c);
  struct sockaddr_un a = unix_addr("/tmp/s.sock");
  CHECK(connect(c, (struct sockaddr *)&a, sizeof a));
  int acc = accept(s, NULL, NULL);
  CHECK(acc);
  int sp[2];
  CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp));
  int tcp = socket(AF_INET, SOCK_STREAM, 0), udp = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(tcp);
  CHECK(udp);
  printf("fstat listener %s, client %s, accepted %s, socketpair %s, tcp %s, udp %s\n",
         fd_kind(s), fd_kind(c), fd_kind(acc), fd_kind(sp[0]), fd_kind(tcp), fd_kind(udp));
  int p[2];
  CHECK(pipe(p));
  f = open("/tmp/plain", O_RDONLY);
  CHECK(f);
  printf("fstat pipe is socket: %s, file %s\n", S_ISSOCK((fstat(p[0], &st), st.st_mode)) ? "yes" : "no", fd_kind(f));
  close(f);

  /* bind on an existing path, of either kind. */
  int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(s2);
  printf("bind on the socket file %s\n", bind_path(s2, "/tmp/s.sock") == 0 ? "ok" : errname(errno));
  printf("bind on a regular file %s\n", bind_path(s2, "/tmp/plain") == 0 ? "ok" : errname(errno));
  printf("regular file stays %s\n", stat_kind("/tmp/plain"));

  /* rename: the socket is reached under its new name. */
  CHECK(rename("/tmp/s.sock", "/tmp/t.sock"));
  printf("after rename: old %s, new %s, connect new %s, connect old %s\n",
         stat_kind("/tmp/s.sock"), stat_kind("/tmp/t.sock"), connect_path("/tmp/t.sock"), connect_path("/tmp/s.sock"));

  /* close: the file outlives the socket and is still a socket file. */
  close(acc);
  close(c);
  close(s);
  printf("after close: %s, connect %s\n", stat_kind("/tmp/t.sock"), connect_path("/tmp/t.sock"));

  /* unlink removes it; the name can be bound again. */
  CHECK(unlink("/tmp/t.sock"));
  printf("after unlink: %s\n", stat_kind("/tmp/t.sock"));
  CHECK(bind_path(s2, "/tmp/t.sock"));
  printf("rebind %s\n", stat_kind("/tmp/t.sock"));

  /* a datagram socket's file too; a regular file renamed over a socket file is regular. */
  int d = socket(AF_UNIX, SOCK_DGRAM, 0);
  CHECK(d);
  CHECK(bind_path(d, "/tmp/d.sock"));
  printf("dgram %s\n", stat_kind("/tmp/d.sock"));
  CHECK(rename("/tmp/plain", "/tmp/d.sock"));
  printf("regular file renamed over it: %s, readdir %s\n", stat_kind("/tmp/d.sock"), dtype_of("/tmp", "d.sock"));
  fd = open("/tmp/d.sock", O_RDONLY);
  printf("open %s\n", fd < 0 ? errname(errno) : "ok");
  return 0;
}
