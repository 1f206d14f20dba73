/* The child protocol and the reporting helpers of conform_jobctl.c (one program: static functions).
 * A child is a copy of the program started with posix_spawn (role "child"): UP carries one byte
 * per event to the parent, DOWN one byte per command to the child, CNT its counting threads' records.
 * Errno values, signals and si_codes print as names; pids and timings never print. */
#ifndef CONFORM_JOBCTL_H
#define CONFORM_JOBCTL_H
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UP 100   /* child -> parent: one byte per event */
#define DOWN 101 /* parent -> child: one byte per command; EOF ends the child (exit 3) */
#define CNT 102  /* child's counting threads -> parent: records, non-blocking writes */
#define WAIT_MS 30000 /* for a reply that must come (only a failure waits this long) */

extern char **environ;
static const char *self;

#define say(...) (printf(__VA_ARGS__), fflush(stdout))

static const char *en(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(EINVAL) E(ESRCH) E(ECHILD) E(EINTR) E(EAGAIN) E(EPERM) E(ENOSYS) E(EBADF)
#undef E
    default: { static char b[32]; snprintf(b, sizeof b, "errno%d", e); return b; }
  }
}

static const char *sn(int s) {
  switch (s) {
#define S(x) case x: return #x;
    S(SIGSTOP) S(SIGTSTP) S(SIGTTIN) S(SIGTTOU) S(SIGCONT) S(SIGKILL) S(SIGCHLD) S(SIGUSR1)
    S(SIGTERM) S(SIGHUP)
#undef S
    default: { static char b[32]; snprintf(b, sizeof b, "sig%d", s); return b; }
  }
}

static const char *cn(int c) {
  switch (c) {
#define C(x) case x: return #x;
    C(CLD_EXITED) C(CLD_KILLED) C(CLD_DUMPED) C(CLD_TRAPPED) C(CLD_STOPPED) C(CLD_CONTINUED)
#undef C
    default: { static char b[32]; snprintf(b, sizeof b, "code%d", c); return b; }
  }
}

static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* ---------------------------------------------------------------- child */

static volatile sig_atomic_t quiet;

static void put(char c) {
  while (write(UP, &c, 1) < 0 && errno == EINTR) {}
}

static void on_sig(int s) {
  put(s == SIGUSR1 ? 'U' : s == SIGTSTP ? 'T' : s == SIGCONT ? 'C' : '?');
}

static void handle(int s) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sig;
  sa.sa_flags = SA_RESTART;
  sigaction(s, &sa, NULL);
}

static void block(int how, int a, int b) {
  sigset_t m;
  sigemptyset(&m);
  if (a) sigaddset(&m, a);
  if (b) sigaddset(&m, b);
  sigprocmask(how, &m, NULL);
}

/* The counting threads: pure computing, a record through CNT now and then (EAGAIN: dropped). */
struct rec { long idx, n; };
static void *count(void *arg) {
  long idx = (long)arg;
  volatile long n = 0;
  for (;;) {
    for (int k = 0; k < 200000; k++) n++;
    struct rec r = {idx, n};
    if (write(CNT, &r, sizeof r) < 0 && errno != EAGAIN && errno != EINTR) return NULL;
  }
}

static int child(const char *role) {
  alarm(60); /* a child stuck for good dies instead of hanging the test */
  if (!strcmp(role, "usr1")) handle(SIGUSR1);
  if (!strcmp(role, "tstp-handler")) handle(SIGTSTP);
  if (!strcmp(role, "tstp-ignore")) signal(SIGTSTP, SIG_IGN);
  if (!strcmp(role, "pend")) block(SIG_BLOCK, SIGTSTP, SIGCONT);
  if (!strcmp(role, "cont-handler")) handle(SIGCONT);
  if (!strcmp(role, "cont-blocked")) handle(SIGCONT), block(SIG_BLOCK, SIGCONT, 0);
  if (!strcmp(role, "threads")) {
    fcntl(CNT, F_SETFL, O_NONBLOCK);
    pthread_t t;
    for (long i = 0; i < 2; i++) pthread_create(&t, NULL, count, (void *)i);
  }
  put('r');
  if (!strcmp(role, "raise-stop")) raise(SIGSTOP), put('a');
  if (!strcmp(role, "raise-tstp")) raise(SIGTSTP), put('a');
  if (!strcmp(role, "sleep")) msleep(1000), put('a');
  for (;;) {
    char c;
    ssize_t n = read(DOWN, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 3;
    if (c == 'a') put('a');
    if (c == 'p') {
      sigset_t p;
      sigpending(&p);
      put((char)('0' + sigismember(&p, SIGTSTP) + 2 * sigismember(&p, SIGCONT)));
    }
    if (c == 'c') { /* discard pending TSTP and CONT: SIG_IGN drops them (POSIX) */
      signal(SIGTSTP, SIG_IGN), signal(SIGTSTP, SIG_DFL);
      signal(SIGCONT, SIG_IGN), signal(SIGCONT, SIG_DFL);
      put('k');
    }
    if (c == 'u') block(SIG_UNBLOCK, SIGTSTP, SIGCONT), put('u');
  }
}

/* ---------------------------------------------------------------- parent */

struct kid { pid_t pid; int up, down, cnt; };

/* Start a child in `role`. pgroup < 0: the parent's group; 0: a new group it leads; else that group. */
static struct kid spawn(const char *role, pid_t pgroup) {
  struct kid k = {-1, -1, -1, -1};
  int u[2], d[2], c[2];
  if (pipe(u) || pipe(d) || pipe(c)) say("pipe: %s\n", en(errno)), exit(1);
  /* close-on-exec: a child must not hold another's pipe ends (its EOF would never come) */
  for (int i = 0; i < 2; i++) fcntl(u[i], F_SETFD, FD_CLOEXEC), fcntl(d[i], F_SETFD, FD_CLOEXEC), fcntl(c[i], F_SETFD, FD_CLOEXEC);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, u[1], UP);
  posix_spawn_file_actions_adddup2(&fa, d[0], DOWN);
  posix_spawn_file_actions_adddup2(&fa, c[1], CNT);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&at, &none); /* the parent blocks SIGCHLD; children block nothing */
  short flags = POSIX_SPAWN_SETSIGMASK;
  if (pgroup >= 0) flags |= POSIX_SPAWN_SETPGROUP, posix_spawnattr_setpgroup(&at, pgroup);
  posix_spawnattr_setflags(&at, flags);
  char *argv[] = {(char *)self, "child", (char *)role, NULL};
  int e = posix_spawn(&k.pid, self, &fa, &at, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (e) say("spawn: %s\n", en(e)), exit(1);
  close(u[1]), close(d[0]), close(c[1]);
  k.up = u[0], k.down = d[1], k.cnt = c[0];
  return k;
}

/* The next byte from the child within `ms` (0: none came). */
static char got(struct kid *k, int ms) {
  struct pollfd p = {k->up, POLLIN, 0};
  int r;
  while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR) {}
  if (r <= 0) return 0;
  char c = 0;
  if (read(k->up, &c, 1) != 1) return 0;
  return c;
}

static void cmd(struct kid *k, char c) {
  if (write(k->down, &c, 1) != 1) say("cmd: %s\n", en(errno));
}

static const char *who(struct kid *k, pid_t p) {
  return p == k->pid ? "child" : p == 0 ? "0" : p == -1 ? "-1" : "other";
}

static const char *status(int st) {
  static char b[64];
  if (WIFEXITED(st)) snprintf(b, sizeof b, "exited %d", WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) snprintf(b, sizeof b, "killed %s", sn(WTERMSIG(st)));
  else if (WIFSTOPPED(st)) snprintf(b, sizeof b, "stopped %s", sn(WSTOPSIG(st)));
  else if (WIFCONTINUED(st)) snprintf(b, sizeof b, "continued (status %#x)", st);
  else snprintf(b, sizeof b, "status %#x", st);
  return b;
}

/* waitpid, printed as "<label>: <who> <how>" or the errno. */
static pid_t wait_say(struct kid *k, const char *label, pid_t pid, int options) {
  int st = 0;
  pid_t r;
  while ((r = waitpid(pid, &st, options)) < 0 && errno == EINTR) {}
  if (r < 0) say("%s: %s\n", label, en(errno));
  else if (r == 0) say("%s: 0\n", label);
  else say("%s: %s %s\n", label, who(k, r), status(st));
  return r;
}

/* SIGCHLD: a SA_SIGINFO handler records what it got; the parent keeps SIGCHLD blocked and takes
 * it in sigsuspend (chld), so a waitpid is never interrupted and every record is printed in order. */
static volatile sig_atomic_t nrec, alarmed;
static volatile int rec_code[8], rec_status[8], rec_pid[8];
static void on_chld(int s, siginfo_t *i, void *ctx) {
  (void)s, (void)ctx;
  if (nrec < 8) rec_code[nrec] = i->si_code, rec_status[nrec] = i->si_status, rec_pid[nrec] = i->si_pid, nrec++;
}
static void on_alarm(int s) { (void)s; alarmed = 1; }

static void chld_action(int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | flags;
  sigaction(SIGCHLD, &sa, NULL);
}

/* Wait (up to 30 s) for a SIGCHLD and print what the handler got. */
static void chld(struct kid *k) {
  sigset_t m;
  sigprocmask(SIG_SETMASK, NULL, &m);
  sigdelset(&m, SIGCHLD);
  sigdelset(&m, SIGALRM);
  alarmed = 0;
  alarm(30);
  while (nrec == 0 && !alarmed) sigsuspend(&m);
  alarm(0);
  if (nrec == 0) say("  sigchld: none\n");
  for (int i = 0; i < nrec; i++) {
    int c = rec_code[i];
    if (c == CLD_EXITED) say("  sigchld: %s status=%d pid=%s\n", cn(c), rec_status[i], who(k, rec_pid[i]));
    else say("  sigchld: %s status=%s pid=%s\n", cn(c), sn(rec_status[i]), who(k, rec_pid[i]));
  }
  nrec = 0;
}

/* Take any SIGCHLD left pending (a child's exit), so the next chld() sees only new ones. */
static void chld_flush(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGCHLD);
  struct timespec zero = {0, 0};
  while (sigtimedwait(&s, NULL, &zero) > 0) {}
  nrec = 0;
}

/* Is SIGCHLD pending (blocked, not yet taken)? */
static int chld_pending(void) {
  sigset_t p;
  sigpending(&p);
  return sigismember(&p, SIGCHLD);
}

/* The state letter of /proc/<pid>/stat and the State: line of /proc/<pid>/status. */
static void proc_state(struct kid *k, const char *label) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)k->pid);
  FILE *f = fopen(path, "r");
  char state = '?';
  if (f) {
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    char *rp = strrchr(buf, ')');
    if (rp && rp[1] == ' ') state = rp[2];
    fclose(f);
  }
  snprintf(path, sizeof path, "/proc/%d/status", (int)k->pid);
  char line[128] = "State: ?";
  if ((f = fopen(path, "r"))) {
    while (fgets(buf, sizeof buf, f))
      if (!strncmp(buf, "State:", 6)) { snprintf(line, sizeof line, "%s", buf); line[strcspn(line, "\n")] = 0; break; }
    fclose(f);
  }
  for (char *p = line; *p; p++) if (*p == '\t') *p = ' ';
  say("%s: stat %c, %s\n", label, state, line);
}

/* Let a child end (EOF on DOWN) and reap it; SIGCHLDs it leaves are flushed. */
static void finish(struct kid *k) {
  close(k->down);
  wait_say(k, "  end", k->pid, 0);
  close(k->up);
  close(k->cnt);
  chld_flush();
}

static void kill_say(pid_t pid, int sig, const char *label) {
  if (kill(pid, sig) != 0) say("%s: %s\n", label, en(errno));
}

/* The stopped child's call (`what`) must not return before SIGCONT (a reply within `ms` says it
 * did), and must once continued: SIGCONT it and print both. */
static void returns_after_cont(struct kid *k, const char *what, int ms) {
  char c = got(k, ms);
  say("  %s returned while stopped: %s\n", what, c ? "yes" : "no");
  kill_say(k->pid, SIGCONT, "  kill");
  if (!c) c = got(k, WAIT_MS);
  say("  %s returned after SIGCONT: %c\n", what, c ? c : '-');
}
#endif
