// Differential test of the message queue file system at /dev/mqueue (mq_overview(7)): the
// queues as files, listed, stat'ed, read, created and removed through the file system, and the
// file operations it refuses. Prints one line per check; run natively as root with /dev/mqueue
// mounted (`mount -t mqueue none /dev/mqueue`) and through the LibOS, the output must match.
// Only queues named mqfs_* are looked at, so other queues on a host do not change the output.
// Permission bits are not printed: WASI's filestat has no mode, so the libc's stat reports none
// in the LibOS (src/libos/fs/mqueuefs/mqueuefs.test.ts checks the modes the kernel keeps).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *en(int e) {
  switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EMSGSIZE: return "EMSGSIZE";
    case EAGAIN: return "EAGAIN";
    default: {
      static char buf[32];
      snprintf(buf, sizeof buf, "errno %d", e);
      return buf;
    }
  }
}

/** "<r>" or "-1 <ERRNO>" */
static void res(const char *what, long r) {
  if (r < 0) printf("%s: -1 %s\n", what, en(errno));
  else printf("%s: %ld\n", what, r);
}

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/** The mqfs_* entries of /dev/mqueue, sorted, and whether "." and ".." were there. */
static void list(const char *when) {
  DIR *d = opendir("/dev/mqueue");
  if (!d) {
    printf("%s: opendir: -1 %s\n", when, en(errno));
    return;
  }
  char *names[64];
  int n = 0, dots = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) dots++;
    else if (strncmp(e->d_name, "mqfs_", 5) == 0 && n < 64) names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof names[0], cmp);
  printf("%s: . and ..: %d; queues:", when, dots);
  for (int i = 0; i < n; i++) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  printf("\n");
}

static void statq(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    printf("stat %s: -1 %s\n", path, en(errno));
    return;
  }
  printf("stat %s: %s size %lld nlink %lu uid %u gid %u\n", path,
         S_ISREG(st.st_mode) ? "regular" : S_ISDIR(st.st_mode) ? "directory" : "other", (long long)st.st_size, (unsigned long)st.st_nlink,
         (unsigned)st.st_uid, (unsigned)st.st_gid);
}

/** The status text read through open(2) + read(2) of the queue's file. */
static void readfile(const char *path, const char *label) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("%s: open: -1 %s\n", label, en(errno));
    return;
  }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n < 0) {
    printf("%s: read: -1 %s\n", label, en(errno));
    close(fd);
    return;
  }
  buf[n] = 0;
  // NOTIFY_PID differs per run: print it as a fact about this process.
  char *pid = strstr(buf, "NOTIFY_PID:");
  int owner = pid ? atoi(pid + 11) : -1;
  if (pid) pid[11] = 0;
  ssize_t again = read(fd, buf + 200, 16);
  printf("%s: %zd bytes [%s] pid %s; then read: %zd\n", label, n, buf,
         owner == 0 ? "0" : owner == getpid() ? "mine" : "other", again);
  close(fd);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  mq_unlink("/mqfs_a");
  mq_unlink("/mqfs_b");
  mq_unlink("/mqfs_c");
  unlink("/tmp/mqfs_moved");

  printf("-- the directory\n");
  struct stat st;
  if (stat("/dev/mqueue", &st) == 0)
    printf("stat /dev/mqueue: %s\n", S_ISDIR(st.st_mode) ? "directory" : "other");
  list("empty");

  printf("-- queues made by mq_open\n");
  struct mq_attr attr = {.mq_maxmsg = 5, .mq_msgsize = 64};
  mqd_t a = mq_open("/mqfs_a", O_CREAT | O_RDWR, 0640, &attr);
  mqd_t b = mq_open("/mqfs_b", O_CREAT | O_WRONLY, 0600, NULL);
  printf("mq_open a, b: %s %s\n", a == (mqd_t)-1 ? en(errno) : "ok", b == (mqd_t)-1 ? en(errno) : "ok");
  list("after two mq_open");
  statq("/dev/mqueue/mqfs_a");
  statq("/dev/mqueue/mqfs_b");
  struct stat fs1, fs2;
  if (fstat(a, &fs1) == 0 && stat("/dev/mqueue/mqfs_a", &fs2) == 0)
    printf("fstat(mqd): %s size %lld\n", S_ISREG(fs1.st_mode) ? "regular" : "other", (long long)fs1.st_size);
  statq("/dev/mqueue/mqfs_none");

  printf("-- the status line\n");
  readfile("/dev/mqueue/mqfs_a", "empty queue");
  res("mq_send 5", mq_send(a, "hello", 5, 1));
  res("mq_send 10", mq_send(a, "0123456789", 10, 3));
  res("mq_send 7", mq_send(a, "message", 7, 0));
  readfile("/dev/mqueue/mqfs_a", "3 messages");
  struct mq_attr got;
  mq_getattr(a, &got);
  printf("after the read: curmsgs %ld\n", got.mq_curmsgs);
  struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
  res("mq_notify(a)", mq_notify(a, &sev));
  readfile("/dev/mqueue/mqfs_a", "registered");
  // Closing any descriptor of the queue drops the owner's registration (Linux's flush): the
  // file opened by readfile was one.
  res("mq_notify(a) again", mq_notify(a, &sev));
  res("mq_notify(a, NULL)", mq_notify(a, NULL));

  printf("-- the file as a descriptor\n");
  int w = open("/dev/mqueue/mqfs_a", O_WRONLY);
  res("open O_WRONLY", w >= 0 ? 0 : -1);
  res("mq_send on it", mq_send((mqd_t)w, "x", 1, 0));
  res("write on it", write(w, "x", 1));
  res("mq_receive on it", mq_receive((mqd_t)w, (char[64]){0}, 64, NULL));
  close(w);
  mq_getattr(a, &got);
  printf("curmsgs %ld\n", got.mq_curmsgs);
  int rd = open("/dev/mqueue/mqfs_a", O_RDONLY);
  char m[64];
  unsigned prio = 99;
  ssize_t n = mq_receive((mqd_t)rd, m, sizeof m, &prio);
  printf("mq_receive on an open(2) fd: %zd prio %u\n", n, prio);
  close(rd);

  printf("-- unlink through the file system\n");
  res("unlink /dev/mqueue/mqfs_a", unlink("/dev/mqueue/mqfs_a"));
  mqd_t again = mq_open("/mqfs_a", O_RDWR);
  printf("mq_open /mqfs_a without O_CREAT: %s\n", again == (mqd_t)-1 ? en(errno) : "ok");
  statq("/dev/mqueue/mqfs_a");
  list("after the unlink");
  n = mq_receive(a, m, sizeof m, &prio);
  printf("the open mqd still receives: %zd prio %u\n", n, prio);
  if (fstat(a, &fs1) == 0) printf("fstat(mqd) nlink %lu\n", (unsigned long)fs1.st_nlink);
  res("unlink again", unlink("/dev/mqueue/mqfs_a"));
  res("mq_unlink after", mq_unlink("/mqfs_a"));
  mq_close(a);

  printf("-- open(O_CREAT) in the directory\n");
  int c = open("/dev/mqueue/mqfs_c", O_CREAT | O_RDWR, 0644);
  res("open O_CREAT", c >= 0 ? 0 : -1);
  statq("/dev/mqueue/mqfs_c");
  list("after open(O_CREAT)");
  mqd_t cq = mq_open("/mqfs_c", O_RDWR);
  printf("mq_open /mqfs_c: %s\n", cq == (mqd_t)-1 ? en(errno) : "ok");
  if (cq != (mqd_t)-1 && mq_getattr(cq, &got) == 0)
    printf("its attributes: maxmsg %ld msgsize %ld curmsgs %ld\n", got.mq_maxmsg, got.mq_msgsize, got.mq_curmsgs);
  res("mq_send on the open(2) fd", mq_send((mqd_t)c, "abc", 3, 0));
  readfile("/dev/mqueue/mqfs_c", "after a send");
  res("open O_CREAT|O_EXCL again", open("/dev/mqueue/mqfs_c", O_CREAT | O_EXCL | O_RDWR, 0644));
  int c2 = open("/dev/mqueue/mqfs_c", O_CREAT | O_RDONLY, 0644);
  res("open O_CREAT of an existing queue", c2 >= 0 ? 0 : -1);
  if (c2 >= 0) close(c2);
  res("open without O_CREAT of a missing one", open("/dev/mqueue/mqfs_none", O_RDONLY));
  mqd_t e = mq_open("/mqfs_c", O_CREAT | O_EXCL | O_RDWR, 0600, NULL);
  printf("mq_open O_CREAT|O_EXCL of it: %s\n", e == (mqd_t)-1 ? en(errno) : "ok");

  printf("-- what the directory refuses\n");
  res("mkdir", mkdir("/dev/mqueue/mqfs_dir", 0755));
  res("rename in it", rename("/dev/mqueue/mqfs_c", "/dev/mqueue/mqfs_d"));
  res("rename out of it", rename("/dev/mqueue/mqfs_c", "/tmp/mqfs_moved"));
  res("link in it", link("/dev/mqueue/mqfs_c", "/dev/mqueue/mqfs_l"));
  res("symlink in it", symlink("/dev/mqueue/mqfs_c", "/dev/mqueue/mqfs_s"));
  res("rmdir of a queue", rmdir("/dev/mqueue/mqfs_c"));
  res("unlink of a missing name", unlink("/dev/mqueue/mqfs_none"));
  res("open O_DIRECTORY of a queue", open("/dev/mqueue/mqfs_c", O_RDONLY | O_DIRECTORY));
  list("after the refusals");

  printf("-- cleanup\n");
  res("unlink b", unlink("/dev/mqueue/mqfs_b"));
  res("mq_unlink c", mq_unlink("/mqfs_c"));
  list("at the end");
  if (cq != (mqd_t)-1) mq_close(cq);
  mq_close(b);
  close(c);
  return 0;
}
