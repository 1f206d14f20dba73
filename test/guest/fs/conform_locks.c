/* Differential test of POSIX file locking: fcntl record locks (F_SETLK, F_SETLKW, F_GETLK),
 * open file description locks (F_OFD_*), flock() and lockf(), within one process and between
 * this process and copies of itself started with posix_spawn (role "child": a list of operations
 * on its own open() of the file). Prints what Linux prints (test/libos/fs/conform-locks.test.ts
 * holds the native output): never pids, fds or timings; errno values as names. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PATH "/tmp/conform_locks.dat"
#define SIZE 2000 /* file size: the base of SEEK_END */
#define MARK 1500 /* marker byte: 'U' once the parent is about to release what a child waits for */
#define UP 100    /* child's fd: child -> parent notifications */
#define DOWN 101  /* child's fd: parent -> child; EOF lets the child go on */

extern char **environ;
static const char *self, *who = ""; /* who: "  child " in children */
static pid_t parent, kid = -2;      /* kid: the last child spawned */
static int up_r = -1, down_w = -1;  /* the parent's ends of the last child's pipes */
static volatile sig_atomic_t rang;

/* Every line goes out at once: parent and children share stdout, ordered by pipes. */
#define say(...) (printf(__VA_ARGS__), fflush(stdout))

static const char *en(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(EAGAIN) E(EACCES) E(EBADF) E(EINVAL) E(EDEADLK) E(EINTR) E(ENOLCK) E(EOVERFLOW) E(ENOSYS)
    E(ENOTSUP) E(ENOENT) E(EPERM)
#undef E
    default: { static char b[32]; snprintf(b, sizeof b, "errno%d", e); return b; }
  }
}

static const char *pidname(pid_t p) {
  return p == parent ? "parent" : p == kid ? "child" : p == -1 ? "-1" : p == 0 ? "0" : "other";
}

static const char *tname(int t) {
  return t == F_RDLCK ? "RDLCK" : t == F_WRLCK ? "WRLCK" : t == F_UNLCK ? "UNLCK" : "type?";
}

static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void on_alarm(int s) { (void)s; rang = 1; }

/* One operation, printed as "<label>: ok | ERRNO | <what F_GETLK found>". spec:
 *   g/G/s/w/O/W:T:START:LEN[:WH]  F_GETLK, F_OFD_GETLK, F_SETLK, F_SETLKW, F_OFD_SETLK,
 *       F_OFD_SETLKW; T r/w/u (x: invalid type); WH s/c/e = SEEK_SET/CUR/END (x: invalid)
 *   f:H      flock: s/e/u = LOCK_SH/EX/UN, S/E = with LOCK_NB, z = 0 (invalid)
 *   k:C:OFF:LEN  lseek to OFF, then lockf: l/t/u/T = F_LOCK/F_TLOCK/F_ULOCK/F_TEST, x invalid */
static int op(int fd, const char *spec) {
  char c = 0, t = 0, wh = 's', label[64];
  long long s = 0, l = 0;
  sscanf(spec, "%c:%c:%lld:%lld:%c", &c, &t, &s, &l, &wh);
  int r;
  if (c == 'f') {
    static const char fl[] = "seuSEz";
    static const char *fn[] = {"sh", "ex", "un", "sh|nb", "ex|nb", "0"};
    static const int fv[] = {LOCK_SH, LOCK_EX, LOCK_UN, LOCK_SH | LOCK_NB, LOCK_EX | LOCK_NB, 0};
    int i = (int)(strchr(fl, t) - fl);
    snprintf(label, sizeof label, "flock %s", fn[i]);
    r = flock(fd, fv[i]);
  } else if (c == 'k') {
    static const char kl[] = "ltuTx";
    static const char *kn[] = {"lock", "tlock", "ulock", "test", "99"};
    static const int kv[] = {F_LOCK, F_TLOCK, F_ULOCK, F_TEST, 99};
    int i = (int)(strchr(kl, t) - kl);
    snprintf(label, sizeof label, "lockf %s %lld %lld", kn[i], s, l);
    lseek(fd, s, SEEK_SET);
    r = lockf(fd, kv[i], l);
  } else {
    static const char cl[] = "gswGOW";
    static const char *cn[] = {"getlk", "setlk", "setlkw", "ofd-getlk", "ofd-setlk", "ofd-setlkw"};
    static const int cv[] = {F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW};
    int i = (int)(strchr(cl, c) - cl);
    snprintf(label, sizeof label, "%s %c %lld %lld%s", cn[i], t, s, l,
             wh == 'c' ? " cur" : wh == 'e' ? " end" : wh == 'x' ? " whence?" : "");
    struct flock f;
    memset(&f, 0, sizeof f);
    f.l_type = t == 'r' ? F_RDLCK : t == 'w' ? F_WRLCK : t == 'u' ? F_UNLCK : 99;
    f.l_whence = wh == 's' ? SEEK_SET : wh == 'c' ? SEEK_CUR : wh == 'e' ? SEEK_END : 7;
    f.l_start = s;
    f.l_len = l;
    r = fcntl(fd, cv[i], &f);
    if (r == 0 && (c == 'g' || c == 'G')) {
      /* No conflict: only l_type changes (to F_UNLCK); the rest comes back as passed. */
      char w[16] = "";
      if (f.l_whence != SEEK_SET) snprintf(w, sizeof w, " whence=%d", f.l_whence);
      say("%s%s: %s %lld %lld%s pid=%s\n", who, label, tname(f.l_type), (long long)f.l_start,
          (long long)f.l_len, w, pidname(f.l_pid));
      return 0;
    }
  }
  say("%s%s%s: %s\n", who, fd < 0 ? "fd -1: " : "", label, r == 0 ? "ok" : en(errno));
  return r;
}

/* A struct flock with l_pid set: OFD commands require 0. */
static void ofd_pid(int fd, int cmd, const char *label) {
  struct flock f = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 1};
  int r = fcntl(fd, cmd, &f);
  say("%s with l_pid 1: %s\n", label, r == 0 ? "ok" : en(errno));
}

/* role "child": argv = self child PARENT-PID OP...; OP is an op() spec or n (notify the parent),
 * a (wait until the parent writes or closes its end), m (print the marker byte), z (sleep 1.5 s). */
static int child(int argc, char **argv) {
  parent = (pid_t)atoi(argv[2]);
  who = "  child ";
  alarm(10); /* a child stuck in a wait that never ends dies instead of hanging the test */
  int fd = open(PATH, O_RDWR);
  if (fd < 0) return 3;
  for (int i = 3; i < argc; i++) {
    char ch = '?';
    if (!strcmp(argv[i], "n")) {
      if (write(UP, "n", 1) != 1) return 2;
    } else if (!strcmp(argv[i], "a")) {
      if (read(DOWN, &ch, 1) < 0) return 2;
    } else if (!strcmp(argv[i], "m")) {
      if (pread(fd, &ch, 1, MARK) != 1) return 2;
      say("%smarker: %c\n", who, ch);
    } else if (!strcmp(argv[i], "z")) {
      msleep(1500);
    } else op(fd, argv[i]);
  }
  return 0;
}

/* The parent's fds are close-on-exec: a child must not share an open file description (which
 * would keep OFD and flock locks alive) or pipe ends it was not given. */
static int opn(int flags) {
  int fd = open(PATH, flags | O_CLOEXEC);
  if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) say("open: %s\n", en(errno)), exit(1);
  return fd;
}

/* Start a child running the space-separated ops; its pipes land on fds UP and DOWN. */
static void spawn(const char *ops) {
  char buf[256], pp[16], *argv[32];
  int n = 0, u[2], d[2];
  snprintf(pp, sizeof pp, "%d", (int)parent);
  snprintf(buf, sizeof buf, "%s", ops);
  argv[n++] = (char *)self;
  argv[n++] = "child";
  argv[n++] = pp;
  for (char *t = strtok(buf, " "); t && n < 31; t = strtok(NULL, " ")) argv[n++] = t;
  argv[n] = NULL;
  if (pipe(u) || pipe(d)) exit(1);
  for (int i = 0; i < 4; i++) fcntl(i < 2 ? u[i] : d[i - 2], F_SETFD, FD_CLOEXEC);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, u[1], UP);
  posix_spawn_file_actions_adddup2(&fa, d[0], DOWN);
  fflush(stdout);
  int e = posix_spawn(&kid, self, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (e) say("spawn: %s\n", en(e)), exit(1);
  close(u[1]);
  close(d[0]);
  up_r = u[0];
  down_w = d[1];
}

/* Wait for the child's "n". */
static void note(void) {
  char c;
  if (read(up_r, &c, 1) != 1) say("child did not notify\n");
}

/* Let the child go on (EOF on DOWN) and wait for it to exit. */
static void reap(void) {
  int st = 0;
  close(down_w);
  if (waitpid(kid, &st, 0) != kid) say("waitpid: %s\n", en(errno));
  close(up_r);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) say("child status %#x\n", st);
}

/* A child that runs ops and exits. */
static void probe(const char *ops) { spawn(ops); reap(); }

/* A child that notifies, then blocks: after 300 ms it must still be running; then the marker is
 * set and the caller releases. The child reads the marker once it has the lock ("m"), so 'U'
 * shows it got the lock after the release, not before. */
static void block_begin(int fd, const char *ops) {
  if (pwrite(fd, "-", 1, MARK) != 1) say("marker: %s\n", en(errno));
  spawn(ops);
  note();
  msleep(300);
  say("child blocked: %s\n", waitpid(kid, NULL, WNOHANG) == 0 ? "yes" : "no");
  if (pwrite(fd, "U", 1, MARK) != 1) say("marker: %s\n", en(errno));
}

/* Unlock without printing (a woken child prints concurrently); the caller prints after reap. */
static int unlock(int fd, off_t start, off_t len) {
  struct flock f = {.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  return fcntl(fd, F_SETLK, &f);
}

static void ranges(void) {
  say("== ranges, split, merge, upgrade, downgrade\n");
  int fd = opn(O_RDWR);
  op(fd, "s:w:0:100");
  op(fd, "g:w:0:100"); /* one's own lock never conflicts */
  op(fd, "s:u:40:20");
  probe("g:w:0:100 g:w:40:20 g:w:50:100 g:r:99:1");
  op(fd, "s:w:40:20"); /* merges with both neighbours */
  probe("g:r:0:1000");
  op(fd, "s:r:100:100");
  op(fd, "s:r:0:50"); /* downgrade of a part */
  probe("g:r:0:300 g:w:0:300 g:w:150:1 s:r:0:50 s:r:0:51 s:w:150:1");
  op(fd, "s:w:0:200"); /* upgrade of all */
  probe("g:r:0:1 g:r:199:5 g:r:200:1");
  op(fd, "s:u:0:0");
  probe("g:w:0:0");
  close(fd);
}

static void whence_len(void) {
  say("== whence, len 0, negative len, errors\n");
  int fd = opn(O_RDWR);
  lseek(fd, 100, SEEK_SET);
  op(fd, "s:w:5:10:c");   /* 105-114 */
  op(fd, "s:w:-10:10:e"); /* 1990-1999 */
  op(fd, "s:w:50:-10");   /* 40-49 */
  op(fd, "s:r:3000:0");   /* 3000 to EOF and beyond */
  probe("g:w:0:100 g:w:100:100 g:w:1000:1000 g:w:2500:0 g:r:99999:1 g:w:-1:1:e g:w:120:-10 g:w:1:0:c");
  op(fd, "s:w:5:-10");
  op(fd, "s:w:-1:10");
  op(fd, "s:w:-200:5:c");
  op(fd, "s:w:-3000:5:e");
  op(fd, "s:x:0:10");
  op(fd, "s:w:0:10:x");
  op(fd, "g:u:0:10");
  op(fd, "g:x:0:10");
  op(fd, "g:w:0:10:x");
  op(fd, "g:w:5:-10");
  close(fd);
  int ro = opn(O_RDONLY), wo = opn(O_WRONLY);
  op(ro, "s:w:0:10");
  op(ro, "s:r:0:10");
  op(ro, "g:w:0:10");
  op(ro, "s:u:0:10");
  op(wo, "s:r:0:10");
  op(wo, "s:w:0:10");
  op(wo, "O:r:0:10");
  op(ro, "O:w:0:10");
  op(-1, "s:w:0:10");
  op(-1, "g:w:0:10");
  op(-1, "O:w:0:10");
  close(ro);
  close(wo);
}

static void owner(void) {
  say("== locks belong to the process\n");
  int a = opn(O_RDWR), b = opn(O_RDWR);
  op(a, "s:w:0:100");
  op(b, "s:w:0:100"); /* another fd, same process: no conflict */
  op(b, "g:w:0:100");
  op(b, "s:u:50:50"); /* unlocks what was locked through a */
  probe("g:w:0:100");
  int c = opn(O_RDONLY);
  close(c); /* closing any fd of the file drops all the process's locks on it */
  probe("g:w:0:100");
  op(a, "s:w:0:10");
  close(dup(a));
  probe("g:w:0:10");
  op(a, "s:r:0:100");
  spawn("s:r:0:100 s:w:0:10 g:w:0:10 n a"); /* read locks are shared, a write lock is not */
  note();
  op(a, "s:w:0:10");
  op(a, "g:w:50:10");
  reap(); /* released at exit */
  op(a, "g:w:50:10");
  op(a, "s:w:0:10");
  close(a);
  close(b);
}

static void blocking(void) {
  say("== F_SETLKW waits, detects deadlock, is interrupted\n");
  int fd = opn(O_RDWR);
  op(fd, "s:w:0:100");
  block_begin(fd, "n w:w:50:10 m");
  int r = unlock(fd, 0, 100);
  reap();
  say("unlock 0 100: %s\n", r ? en(errno) : "ok");
  op(fd, "s:r:0:100");
  block_begin(fd, "n w:w:0:1 m");
  close(opn(O_RDONLY)); /* the close wakes the waiter */
  reap();
  op(fd, "s:w:0:1"); /* deadlock: we hold 0 and wait for 1, the child holds 1 and waits for 0 */
  spawn("s:w:1:1 n w:w:0:1");
  note();
  msleep(300);
  alarm(5); /* instead of hanging if undetected */
  op(fd, "w:w:1:1");
  alarm(0);
  r = unlock(fd, 0, 1);
  reap();
  say("unlock 0 1: %s\n", r ? en(errno) : "ok");
  spawn("s:w:0:10 n a");
  note();
  rang = 0;
  alarm(1);
  op(fd, "w:w:0:10"); /* SIGALRM without SA_RESTART: EINTR */
  say("handler ran: %s\n", rang ? "yes" : "no");
  op(fd, "g:w:0:10");
  reap();
  op(fd, "g:w:0:10");
  /* With SA_RESTART the handler runs and the wait goes on: the child's exit (1.5 s) ends it. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  spawn("s:w:0:10 n z");
  note();
  rang = 0;
  alarm(1);
  op(fd, "w:w:0:10");
  say("handler ran: %s\n", rang ? "yes" : "no");
  reap();
  sa.sa_flags = 0;
  sigaction(SIGALRM, &sa, NULL);
  unlock(fd, 0, 10);
  close(fd);
}

static void ofd(void) {
  say("== open file description locks\n");
  int a = opn(O_RDWR), b = opn(O_RDWR);
  op(a, "O:w:0:100");
  op(b, "O:w:0:10"); /* another description in the same process conflicts */
  op(b, "O:r:50:10");
  op(b, "G:w:0:10");
  op(b, "s:w:0:10"); /* OFD and POSIX locks conflict, even in one process */
  op(b, "g:w:0:10");
  op(a, "G:w:0:10");
  op(a, "g:w:0:10");
  probe("G:w:0:10 g:r:0:10 O:r:0:10 s:r:0:10");
  int c = dup(a);
  op(c, "O:r:0:100"); /* a dup shares the lock: this converts it */
  op(b, "O:r:0:10");
  op(b, "O:u:0:10");
  op(c, "O:w:0:100");
  close(a);
  op(b, "G:w:0:10"); /* c still holds it */
  close(c);
  op(b, "G:w:0:10"); /* gone with the last fd */
  ofd_pid(b, F_OFD_SETLK, "ofd-setlk");
  ofd_pid(b, F_OFD_GETLK, "ofd-getlk");
  op(b, "s:w:200:10");
  int d = opn(O_RDWR);
  op(d, "O:w:200:1");
  op(d, "G:w:0:1000");
  op(d, "O:w:0:50");
  block_begin(b, "n W:w:0:10 m");
  close(d); /* the last fd of the description that holds it */
  reap();
  spawn("O:w:300:10 n a");
  note();
  op(b, "G:w:0:1000");
  op(b, "g:w:0:1000");
  reap();
  op(b, "G:w:0:1000");
  close(b);
}

static void flocks(void) {
  say("== flock\n");
  int a = opn(O_RDWR), b = opn(O_RDWR);
  op(a, "f:E");
  op(b, "f:S"); /* another description in the same process conflicts */
  op(b, "f:E");
  probe("f:S");
  int c = dup(a);
  op(c, "f:E"); /* a dup shares it */
  op(c, "f:u");
  op(b, "f:S");
  op(a, "f:S");
  op(a, "f:E"); /* conversion is not atomic on Linux: the failed one dropped a's shared lock */
  op(b, "f:E");
  op(b, "f:u");
  op(a, "f:s");
  op(a, "f:E"); /* SH -> EX */
  op(b, "f:S");
  close(a);
  op(b, "f:S"); /* c still holds it */
  close(c);
  op(b, "f:S"); /* gone with the last fd */
  op(b, "f:u");
  op(b, "f:E"); /* flock and fcntl locks are independent */
  probe("O:w:200:10 s:w:0:100 f:S");
  int d = opn(O_RDWR);
  op(d, "s:w:0:100");
  op(d, "O:w:200:10");
  close(d);
  block_begin(b, "n f:e m");
  int r = flock(b, LOCK_UN);
  reap();
  say("flock un: %s\n", r ? en(errno) : "ok");
  op(b, "f:z");
  op(-1, "f:S");
  op(-1, "f:z");
  int ro = opn(O_RDONLY);
  op(ro, "f:E"); /* no write access needed */
  close(ro);
  close(b);
}

static void lockfs(void) {
  say("== lockf\n");
  int fd = opn(O_RDWR);
  op(fd, "k:l:100:50");
  op(fd, "k:l:100:-10");
  op(fd, "k:t:3000:0");
  op(fd, "s:r:500:10");
  probe("g:w:0:1000 g:w:150:100 g:w:2000:2000 k:T:120:1 k:T:500:10 k:t:0:10 k:t:95:10 k:T:200:100 k:l:200:10");
  op(fd, "k:u:100:25");
  op(fd, "k:T:0:10");
  probe("g:w:0:1000 g:w:100:1000 k:t:100:25");
  op(fd, "k:x:0:10");
  int ro = opn(O_RDONLY);
  op(ro, "k:l:0:10");
  op(ro, "k:T:0:10");
  close(ro);
  op(-1, "k:t:0:10");
  close(fd);
}

int main(int argc, char **argv) {
  self = argv[0];
  if (argc > 2 && !strcmp(argv[1], "child")) return child(argc, argv);
  parent = getpid();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: a blocked F_SETLKW fails with EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  int fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ftruncate(fd, SIZE)) return say("create: %s\n", en(errno)), 1;
  close(fd);
  ranges();
  whence_len();
  owner();
  blocking();
  ofd();
  flocks();
  lockfs();
  unlink(PATH);
  return 0;
}
