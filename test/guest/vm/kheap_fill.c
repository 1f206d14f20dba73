/* Fills kernel heap ("sockets": as "pipes" with AF_UNIX socketpairs, ENOBUFS): "ramfs DIR" writes 16 KiB chunks into files under DIR until a write fails,
 * then unlinks them and writes one chunk again; "pipes" fills non-blocking pipes until pipe()
 * or a write fails with ENOMEM, then closes them and fills one pipe again. Prints the counts. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char chunk[16384];

static int fill_ramfs(const char *dir) {
  char name[256];
  long total = 0;
  int files = 0, err = 0;
  while (!err && files < 1000) {
    snprintf(name, sizeof name, "%s/f%d", dir, files);
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { err = errno; break; }
    files++;
    for (int i = 0; i < 8; i++) {
      ssize_t n = write(fd, chunk, sizeof chunk);
      if (n < 0) { err = errno; break; }
      total += n;
      if (n < (ssize_t)sizeof chunk) { err = ENOSPC; break; }
    }
    close(fd);
  }
  printf("ramfs wrote %ld files %d error %s\n", total, files, err == ENOSPC ? "ENOSPC" : strerror(err));
  for (int i = 0; i < files; i++) {
    snprintf(name, sizeof name, "%s/f%d", dir, i);
    unlink(name);
  }
  snprintf(name, sizeof name, "%s/again", dir);
  int fd = open(name, O_WRONLY | O_CREAT, 0644);
  ssize_t n = fd < 0 ? -1 : write(fd, chunk, sizeof chunk);
  printf("after unlink %s\n", n == (ssize_t)sizeof chunk ? "ok" : strerror(errno));
  return 0;
}

static int fill_pipes(int sockets) {
  static int fds[200][2];
  int pipes = 0, enomem = 0, eagain = 0, other = 0;
  long buffered = 0;
  while (pipes < 200) {
    int r = sockets ? socketpair(AF_UNIX, SOCK_STREAM, 0, fds[pipes]) : pipe(fds[pipes]);
    if (r != 0) { if (errno == ENOMEM || errno == ENOBUFS) enomem++; else other++; break; }
    fcntl(fds[pipes][1], F_SETFL, O_NONBLOCK);
    int stop = 0;
    while (!stop) {
      ssize_t n = write(fds[pipes][1], chunk, 4096);
      if (n > 0) { buffered += n; continue; }
      if (errno == ENOMEM || errno == ENOBUFS) enomem++; else if (errno == EAGAIN) eagain++; else other++;
      stop = 1;
    }
    pipes++;
    if (enomem >= 3) break;
  }
  printf("pipes %d buffered %ld enomem %d eagain %d other %d\n", pipes, buffered, enomem, eagain, other);
  for (int i = 0; i < pipes; i++) { close(fds[i][0]); close(fds[i][1]); }
  int p[2];
  int r = sockets ? socketpair(AF_UNIX, SOCK_STREAM, 0, p) : pipe(p);
  ssize_t n = r == 0 ? write(p[1], chunk, 4096) : -1;
  printf("after close %s\n", n == 4096 ? "ok" : strerror(errno));
  return 0;
}

int main(int argc, char **argv) {
  memset(chunk, 'x', sizeof chunk);
  if (argc > 2 && strcmp(argv[1], "ramfs") == 0) return fill_ramfs(argv[2]);
  if (argc > 1 && strcmp(argv[1], "pipes") == 0) return fill_pipes(0);
  if (argc > 1 && strcmp(argv[1], "sockets") == 0) return fill_pipes(1);
  return 2;
}
