// What a guest sees of /proc/self/fd, /dev/shm (a ramfs) and its working directory.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"

int main(void) {
  // /proc/self/fd lists the open descriptors, the one of the listing itself included
  int extra = open("/etc/hostname", O_RDONLY);
  CHECK(extra >= 0);
  DIR *d = opendir("/proc/self/fd");
  CHECK(d != NULL);
  int seen = 0, fds = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    fds++;
    int n = atoi(e->d_name);
    if (n >= 0 && n < 31) seen |= 1 << n;
  }
  if (d) closedir(d);
  CHECK((seen & 0x7) == 0x7);        // stdin, stdout, stderr
  CHECK((seen & (1 << extra)) != 0); // the file opened above
  char link[64] = {0};
  char name[32];
  snprintf(name, sizeof name, "/proc/self/fd/%d", extra);
  CHECK(readlink(name, link, sizeof link - 1) > 0 && strcmp(link, "/etc/hostname") == 0);
  close(extra);
  printf("fds listed: %d\n", fds);

  // /dev/shm is a ramfs
  int s = open("/dev/shm/seg", O_RDWR | O_CREAT | O_EXCL, 0600);
  CHECK(s >= 0);
  CHECK(write(s, "shm", 3) == 3);
  char buf[8] = {0};
  CHECK(pread(s, buf, sizeof buf, 0) == 3 && strcmp(buf, "shm") == 0);
  close(s);
  CHECK(unlink("/dev/shm/seg") == 0);
  CHECK(rename("/etc/hostname", "/dev/shm/h") == -1 && errno == EXDEV);

  // the working directory starts at / and relative paths follow chdir
  char cwd[256];
  CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0);
  CHECK(chdir("/tmp") == 0);
  CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/tmp") == 0);
  int r = open("rel.txt", O_WRONLY | O_CREAT, 0644);
  CHECK(r >= 0);
  close(r);
  CHECK(access("/tmp/rel.txt", F_OK) == 0);
  CHECK(access("../etc/hostname", R_OK) == 0);
  DONE("procdev");
}
