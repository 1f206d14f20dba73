/* Fills the VFS's dentry cache: "DIR N" creates N empty files DIR/dK/fI (K = I / 1000: the VFS
 * caps the dentries cached per directory), then stats each one (a second lookup of every name)
 * and prints "created N stat N". Empty ramfs files hold no contents, so what they cost the
 * kernel heap is their dentries. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *dir = argv[1];
  int n = atoi(argv[2]);
  char name[256];
  int created = 0, statted = 0;
  for (int i = 0; i < n; i++) {
    if (i % 1000 == 0) {
      snprintf(name, sizeof name, "%s/d%d", dir, i / 1000);
      if (mkdir(name, 0755) != 0) { perror(name); break; }
    }
    snprintf(name, sizeof name, "%s/d%d/f%d", dir, i / 1000, i);
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror(name); break; }
    close(fd);
    created++;
  }
  for (int i = 0; i < created; i++) {
    struct stat st;
    snprintf(name, sizeof name, "%s/d%d/f%d", dir, i / 1000, i);
    if (stat(name, &st) == 0 && S_ISREG(st.st_mode)) statted++;
  }
  printf("created %d stat %d\n", created, statted);
  return 0;
}
