/*
 * fd numbers as Linux hands them out: the first open() is fd 3, a program that closed every fd
 * from 3 up (as daemons do) or put something else at fd 3 still opens files by path, relative
 * paths after chdir too, and a spawned child inherits what is at fd 3. Prints one line per check;
 * test/libos/process/conform-fds.test.ts compares it with what the same program prints on Linux
 * (gcc -O2, glibc).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc > 1) { /* the child: fd 3 is its parent's pipe; files still open by path */
    int fd = open("/dev/null", O_RDONLY);
    char msg[64];
    int n = snprintf(msg, sizeof msg, "child: open(/dev/null) %d\n", fd);
    write(3, msg, n);
    return 0;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  int fd = open("/dev/null", O_RDONLY);
  printf("first open: %d\n", fd);
  printf("the next: %d\n", open("/dev/null", O_RDONLY));
  for (int i = 3; i < 1024; i++) close(i);
  printf("after closing fds 3-1023, open: %d\n", open("/dev/null", O_RDONLY));
  DIR *d = opendir("/");
  printf("opendir(\"/\"): %d\n", d != NULL);
  if (d) closedir(d);
  printf("dup2(1, 3): %d\n", dup2(1, 3));
  FILE *f = fopen("/dev/null", "r");
  printf("fopen with stdout at fd 3: %d, its fd %d\n", f != NULL, f ? fileno(f) : -1);
  if (f) fclose(f);
  close(3);
  mkdir("/tmp/conform_fds", 0755);
  printf("chdir(/tmp/conform_fds): %d\n", chdir("/tmp/conform_fds"));
  int w = open("here.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  printf("open(\"here.txt\") relative: %d\n", w);
  close(w);
  printf("it is /tmp/conform_fds/here.txt: %d\n", access("/tmp/conform_fds/here.txt", F_OK) == 0);
  unlink("/tmp/conform_fds/here.txt");
  chdir("/");
  rmdir("/tmp/conform_fds");

  int hold = open("/dev/null", O_RDONLY); /* fd 3, so the pipe's ends come after it */
  int p[2];
  pipe(p);
  dup2(p[1], hold);
  close(p[1]);
  printf("a pipe's write end at fd %d, its read end at %d\n", hold, p[0]);
  char *args[] = {argv[0], "child", NULL};
  pid_t pid;
  int e = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ);
  close(3);
  char buf[128] = {0};
  int n = 0, r;
  while ((r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0) n += r;
  int st;
  waitpid(pid, &st, 0);
  printf("posix_spawn: %d; the child wrote to fd 3: %s", e, buf);
  return 0;
}
