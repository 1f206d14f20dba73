/* Absolute paths through wasix-libc (it passes them with the root preopen): stat, access, mkdir,
 * rename, unlink, rmdir, opendir all reach the file system from its root. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(c) do { if (!(c)) { printf("FAIL %s:%d %s\n", __FILE__, __LINE__, #c); return 1; } } while (0)

int main(void) {
  struct stat st;
  CHECK(stat("/bin/abspath", &st) == 0 && S_ISREG(st.st_mode));
  CHECK(access("/bin/abspath", R_OK) == 0);
  CHECK(mkdir("/tmp/abs_d", 0755) == 0);
  int fd = open("/tmp/abs_d/f", O_CREAT | O_WRONLY, 0644);
  CHECK(fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0);
  CHECK(rename("/tmp/abs_d/f", "/tmp/abs_d/g") == 0);
  CHECK(stat("/tmp/abs_d/g", &st) == 0 && st.st_size == 1);
  DIR *d = opendir("/tmp/abs_d");
  CHECK(d != NULL);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
  closedir(d);
  CHECK(n == 1);
  CHECK(unlink("/tmp/abs_d/g") == 0);
  CHECK(rmdir("/tmp/abs_d") == 0);
  CHECK(stat("/tmp/abs_d", &st) == -1);
  CHECK(stat("/../bin/../bin/abspath", &st) == 0);
  printf("ok\n");
  return 0;
}
