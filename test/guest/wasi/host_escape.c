// Changes aimed out of a hostfs mount at /host (whose host directory holds note.txt, an absolute
// symlink etc-abs -> /etc and a relative one up -> ../../../..). Every attempt must stay inside
// the LibOS: either it fails, or it lands in the guest's own root. Prints one line per attempt;
// the test checks the host side.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char *what, int r) {
  if (r < 0) printf("%s: errno %d\n", what, errno);
  else printf("%s: ok\n", what);
}

static int create(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  write(fd, "guest\n", 6);
  close(fd);
  return 0;
}

int main(void) {
  // creating through host-planted symlinks: resolved inside the LibOS root
  report("create /host/etc-abs/escaped", create("/host/etc-abs/escaped"));
  report("create /host/up/escaped", create("/host/up/escaped"));
  report("mkdir /host/up/escaped-dir", mkdir("/host/up/escaped-dir", 0755));
  // a symlink the guest makes, pointing at a host path, then written through
  report("symlink /host/mine -> /etc/host-target", symlink("/etc/host-target", "/host/mine"));
  report("create /host/mine", create("/host/mine"));
  report("symlink /host/rel -> ../../../../../tmp/rel-target", symlink("../../../../../tmp/rel-target", "/host/rel"));
  report("create /host/rel", create("/host/rel"));
  // moving or linking files across the mount boundary is EXDEV
  report("rename /host/note.txt /stolen", rename("/host/note.txt", "/stolen"));
  report("link /host/note.txt /stolen", link("/host/note.txt", "/stolen"));
  report("rename /etc/passwd /host/passwd", rename("/etc/passwd", "/host/passwd"));
  // `..` out of the mount lands in the guest root
  report("create /host/../../../escaped-dotdot", create("/host/../../../escaped-dotdot"));
  // what the guest sees afterwards
  struct stat st;
  report("stat /etc/escaped", stat("/etc/escaped", &st));
  report("stat /escaped", stat("/escaped", &st));
  report("stat /etc/host-target", stat("/etc/host-target", &st));
  report("stat /escaped-dotdot", stat("/escaped-dotdot", &st));
  return 0;
}
