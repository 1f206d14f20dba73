// The root file system as a guest sees it: the union of the read-only image layer and the
// writable container layer (copy-up, whiteouts, persistence across runs), and open descriptions
// that outlive changes to their names (the VFS opens host files lazily).
//   layers write   first run: change the image's files
//   layers check   second run: the changes persisted
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"

static int read_text(const char *path, char *buf, size_t len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -errno;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  if (n < 0) return -errno;
  buf[n] = 0;
  return (int)n;
}

static int write_text(const char *path, const char *s, int flags) {
  int fd = open(path, O_WRONLY | flags, 0644);
  if (fd < 0) return -errno;
  ssize_t n = write(fd, s, strlen(s));
  close(fd);
  return n < 0 ? -errno : (int)n;
}

static int listed(const char *dir, const char *name) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int found = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, name) == 0) found = 1;
    if (strncmp(e->d_name, ".wh.", 4) == 0) found = 2; // never shown
  }
  closedir(d);
  return found;
}

static void write_run(void) {
  char buf[256];
  // copy-up of an image file, its image neighbour untouched
  CHECK(write_text("/etc/motd", "changed\n", O_APPEND) == 8);
  CHECK(read_text("/etc/motd", buf, sizeof buf) > 0 && strcmp(buf, "image motd\nchanged\n") == 0);
  CHECK(read_text("/etc/keep", buf, sizeof buf) > 0 && strcmp(buf, "keep\n") == 0);
  // whiteout of an image file
  CHECK(unlink("/etc/remove-me") == 0);
  CHECK(read_text("/etc/remove-me", buf, sizeof buf) == -ENOENT);
  CHECK(unlink("/etc/remove-me") == -1 && errno == ENOENT);
  CHECK(listed("/etc", "remove-me") == 0);
  // the whiteout names are reserved
  CHECK(open("/etc/.wh.x", O_WRONLY | O_CREAT, 0644) == -1 && errno == EPERM);
  // rmdir of an image directory, then a new (empty) one in its place
  CHECK(unlink("/opt/old/file") == 0);
  CHECK(rmdir("/opt/old") == 0);
  CHECK(mkdir("/opt/old", 0755) == 0);
  CHECK(listed("/opt/old", "file") == 0);
  // new files and directories in the container layer
  CHECK(mkdir("/var", 0755) == 0 && mkdir("/var/data", 0755) == 0);
  CHECK(write_text("/var/data/new.txt", "new\n", O_CREAT | O_EXCL) == 4);

  // an image file opened, then removed: its description still reads the data
  int fd = open("/etc/keep", O_RDONLY);
  CHECK(fd >= 0);
  CHECK(unlink("/etc/keep") == 0);
  memset(buf, 0, sizeof buf);
  CHECK(read(fd, buf, sizeof buf) == 5 && strcmp(buf, "keep\n") == 0);
  close(fd);
  // a container-layer file opened, then unlinked: same
  CHECK(write_text("/tmp/gone", "gone\n", O_CREAT) == 5);
  fd = open("/tmp/gone", O_RDONLY);
  CHECK(unlink("/tmp/gone") == 0);
  memset(buf, 0, sizeof buf);
  CHECK(read(fd, buf, sizeof buf) == 5 && strcmp(buf, "gone\n") == 0);
  close(fd);
  // opened, then its directory renamed and a new file put at the old path
  CHECK(mkdir("/tmp/d", 0755) == 0);
  CHECK(write_text("/tmp/d/f", "first\n", O_CREAT) == 6);
  fd = open("/tmp/d/f", O_RDONLY);
  CHECK(rename("/tmp/d", "/tmp/e") == 0);
  CHECK(mkdir("/tmp/d", 0755) == 0);
  CHECK(write_text("/tmp/d/f", "second\n", O_CREAT) == 7);
  memset(buf, 0, sizeof buf);
  CHECK(read(fd, buf, sizeof buf) == 6 && strcmp(buf, "first\n") == 0);
  close(fd);
  // opened for writing, then renamed over: writes reach the file it opened (now /tmp/e/f)
  fd = open("/tmp/e/f", O_WRONLY);
  CHECK(rename("/tmp/d/f", "/tmp/e/f2") == 0);
  CHECK(pwrite(fd, "F", 1, 0) == 1);
  close(fd);
  CHECK(read_text("/tmp/e/f", buf, sizeof buf) > 0 && strcmp(buf, "First\n") == 0);
  // a user ramfs mount (from the config): usable, gone at the next boot
  CHECK(write_text("/mnt/ram/x", "ram\n", O_CREAT) == 4);
  CHECK(read_text("/mnt/ram/x", buf, sizeof buf) == 4 && strcmp(buf, "ram\n") == 0);
  CHECK(rename("/mnt/ram/x", "/tmp/x") == -1 && errno == EXDEV);
  // many opens of one file: each a description of its own
  for (int i = 0; i < 200; i++) {
    int a = open("/etc/motd", O_RDONLY);
    CHECK(a >= 0);
    close(a);
  }
}

static void check_run(void) {
  char buf[256];
  struct stat st;
  CHECK(read_text("/etc/motd", buf, sizeof buf) > 0 && strcmp(buf, "image motd\nchanged\n") == 0);
  CHECK(read_text("/etc/remove-me", buf, sizeof buf) == -ENOENT);
  CHECK(read_text("/etc/keep", buf, sizeof buf) == -ENOENT);
  CHECK(listed("/etc", "remove-me") == 0);
  CHECK(listed("/etc", "motd") == 1);
  CHECK(listed("/opt/old", "file") == 0);
  CHECK(read_text("/var/data/new.txt", buf, sizeof buf) == 4 && strcmp(buf, "new\n") == 0);
  CHECK(stat("/tmp/e", &st) == 0 && S_ISDIR(st.st_mode));
  CHECK(read_text("/tmp/e/f", buf, sizeof buf) > 0 && strcmp(buf, "First\n") == 0);
  CHECK(stat("/etc/.wh.remove-me", &st) == -1 && errno == ENOENT);
  CHECK(stat("/mnt/ram", &st) == 0 && S_ISDIR(st.st_mode));
  CHECK(read_text("/mnt/ram/x", buf, sizeof buf) == -ENOENT);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  if (strcmp(argv[1], "write") == 0) write_run();
  else check_run();
  DONE(argv[1]);
}
