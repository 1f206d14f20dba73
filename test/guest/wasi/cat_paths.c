// Prints, for each path argument, its first line or the errno of opening it: the hostfs escape
// test runs it on paths that try to leave the LibOS root or a hostfs mount.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      printf("%s: errno %d\n", argv[i], errno);
      continue;
    }
    char buf[128] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n < 0) printf("%s: read errno %d\n", argv[i], errno);
    else {
      char *nl = strchr(buf, '\n');
      if (nl) *nl = 0;
      printf("%s: [%s]\n", argv[i], buf);
    }
    close(fd);
  }
  // also try to create a file through an escaping symlink in the hostfs mount
  int fd = open("/host/up/created-by-guest", O_WRONLY | O_CREAT, 0644);
  printf("create via /host/up: %s\n", fd < 0 ? "failed" : "ok");
  if (fd >= 0) close(fd);
  return 0;
}
