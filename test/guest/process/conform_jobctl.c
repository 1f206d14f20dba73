/* Differential test of job control: stop signals (SIGSTOP always; SIGTSTP, SIGTTIN, SIGTTOU at
 * SIG_DFL) stop the whole process until SIGCONT; waitpid's WUNTRACED and WCONTINUED report each
 * stop and continue once; the parent's SIGCHLD says CLD_STOPPED / CLD_CONTINUED unless
 * SA_NOCLDSTOP; signals sent to a stopped process wait for SIGCONT; SIGCONT and stop signals
 * discard each other's pending instances; SIGKILL ends a stopped process; a multi-threaded child
 * stops computing in every thread. Children are copies of this program started with posix_spawn
 * (role "child"), talking to the parent through pipes (fds UP, DOWN, CNT). Prints what Linux
 * prints (test/libos/process/conform-jobctl.test.ts holds the native output): never pids or
 * timings; errno values, signals and si_codes as names. */
#define _GNU_SOURCE
#include "conform_jobctl.h"

/* Stop by `sig`, report it once, nothing runs while stopped, SIGCONT reported once, runs again. */
static void stop_cycle(int sig, pid_t pgroup) {
  say("== %s (%s)\n", sn(sig), pgroup < 0 ? "parent's group" : "own group");
  struct kid k = spawn("idle", pgroup);
  say("  ready: %c\n", got(&k, WAIT_MS));
  kill_say(k.pid, sig, "  kill");
  wait_say(&k, "  waitpid WUNTRACED", k.pid, WUNTRACED);
  chld(&k);
  wait_say(&k, "  again WUNTRACED|WNOHANG", k.pid, WUNTRACED | WNOHANG);
  wait_say(&k, "  plain WNOHANG", k.pid, WNOHANG);
  wait_say(&k, "  WCONTINUED|WNOHANG", k.pid, WCONTINUED | WNOHANG);
  proc_state(&k, "  proc");
  cmd(&k, 'a');
  char c = got(&k, 300);
  say("  ack while stopped: %s\n", c ? "yes" : "none");
  kill_say(k.pid, SIGCONT, "  kill");
  wait_say(&k, "  waitpid WCONTINUED", k.pid, WCONTINUED);
  chld(&k);
  wait_say(&k, "  again WCONTINUED|WNOHANG", k.pid, WCONTINUED | WNOHANG);
  wait_say(&k, "  WUNTRACED|WNOHANG", k.pid, WUNTRACED | WNOHANG);
  if (!c) c = got(&k, WAIT_MS);
  say("  ack after SIGCONT: %c\n", c ? c : '-');
  kill_say(k.pid, SIGCONT, "  kill");
  wait_say(&k, "  SIGCONT while running, WCONTINUED|WNOHANG", k.pid, WCONTINUED | WNOHANG);
  say("  sigchld pending: %d\n", chld_pending());
  finish(&k);
}

/* A stop seen through SIGCHLD first, then waitpid with WNOHANG|WUNTRACED. */
static void stop_nohang(int sig) {
  say("== %s, WNOHANG|WUNTRACED\n", sn(sig));
  struct kid k = spawn("idle", 0);
  say("  ready: %c\n", got(&k, WAIT_MS));
  kill_say(k.pid, sig, "  kill");
  chld(&k);
  wait_say(&k, "  WNOHANG|WUNTRACED", k.pid, WNOHANG | WUNTRACED);
  wait_say(&k, "  again", k.pid, WNOHANG | WUNTRACED);
  kill_say(k.pid, SIGCONT, "  kill");
  wait_say(&k, "  WNOHANG|WCONTINUED", k.pid, WNOHANG | WCONTINUED);
  chld(&k);
  cmd(&k, 'a');
  say("  ack: %c\n", got(&k, WAIT_MS));
  finish(&k);
}

static void pending_while_stopped(void) {
  say("== SIGUSR1 to a stopped child\n");
  struct kid k = spawn("usr1", -1);
  say("  ready: %c\n", got(&k, WAIT_MS));
  kill_say(k.pid, SIGSTOP, "  kill");
  wait_say(&k, "  waitpid WUNTRACED", k.pid, WUNTRACED);
  kill_say(k.pid, SIGUSR1, "  kill");
  char c = got(&k, 300);
  say("  handler while stopped: %s\n", c ? "ran" : "no");
  kill_say(k.pid, SIGCONT, "  kill");
  if (!c) c = got(&k, WAIT_MS);
  say("  after SIGCONT: %c\n", c ? c : '-');
  wait_say(&k, "  waitpid WCONTINUED", k.pid, WCONTINUED);
  cmd(&k, 'a');
  say("  ack: %c\n", got(&k, WAIT_MS));
  finish(&k);
}

static void discard(void) {
  say("== SIGCONT and stop signals discard each other (both blocked)\n");
  struct kid k = spawn("pend", 0);
  say("  ready: %c\n", got(&k, WAIT_MS));
  kill_say(k.pid, SIGTSTP, "  kill");
  kill_say(k.pid, SIGCONT, "  kill");
  cmd(&k, 'p');
  char p = got(&k, WAIT_MS);
  say("  TSTP then CONT: TSTP pending %d, CONT pending %d\n", (p - '0') & 1, ((p - '0') >> 1) & 1);
  cmd(&k, 'c');
  say("  cleared: %c\n", got(&k, WAIT_MS));
  kill_say(k.pid, SIGCONT, "  kill");
  kill_say(k.pid, SIGTSTP, "  kill");
  cmd(&k, 'p');
  p = got(&k, WAIT_MS);
  say("  CONT then TSTP: TSTP pending %d, CONT pending %d\n", (p - '0') & 1, ((p - '0') >> 1) & 1);
  wait_say(&k, "  not stopped, WUNTRACED|WNOHANG", k.pid, WUNTRACED | WNOHANG);
  say("== a blocked pending SIGTSTP stops when unblocked\n");
  cmd(&k, 'u');
  wait_say(&k, "  waitpid WUNTRACED", k.pid, WUNTRACED);
  chld(&k);
  returns_after_cont(&k, "unblock", 300);
  wait_say(&k, "  waitpid WCONTINUED", k.pid, WCONTINUED);
  chld(&k);
  finish(&k);
}

static void kill_stopped(void) {
  say("== SIGKILL of a stopped child\n");
  struct kid k = spawn("idle", -1);
  say("  ready: %c\n", got(&k, WAIT_MS));
  kill_say(k.pid, SIGSTOP, "  kill");
  wait_say(&k, "  waitpid WUNTRACED", k.pid, WUNTRACED);
  chld(&k);
  kill_say(k.pid, SIGKILL, "  kill");
  wait_say(&k, "  waitpid", k.pid, WUNTRACED | WCONTINUED);
  chld(&k);
  wait_say(&k, "  again", k.pid, WNOHANG);
  close(k.down), close(k.up), close(k.cnt);
}

static void not_stopping(const char *role, const char *title) {
  say("== %s\n", title);
  struct kid k = spawn(role, 0);
  say("  ready: %c\n", got(&k, WAIT_MS));
  kill_say(k.pid, SIGTSTP, "  kill");
  cmd(&k, 'a');
  say("  got: %c\n", got(&k, WAIT_MS));
  if (!strcmp(role, "tstp-handler")) say("  got: %c\n", got(&k, WAIT_MS));
  wait_say(&k, "  WUNTRACED|WNOHANG", k.pid, WUNTRACED | WNOHANG);
  say("  sigchld pending: %d\n", chld_pending());
  finish(&k);
}

static void raise_stop(const char *role) {
  say("== %s in a child\n", role);
  struct kid k = spawn(role, 0);
  say("  ready: %c\n", got(&k, WAIT_MS));
  wait_say(&k, "  waitpid WUNTRACED", k.pid, WUNTRACED);
  chld(&k);
  returns_after_cont(&k, "raise", 300);
  wait_say(&k, "  waitpid WCONTINUED", k.pid, WCONTINUED);
  chld(&k);
  finish(&k);
}

static void sleep_while_stopped(void) {
  say("== a sleep that ends while stopped\n");
  struct kid k = spawn("sleep", -1);
  say("  ready: %c\n", got(&k, WAIT_MS));
  kill_say(k.pid, SIGSTOP, "  kill");
  wait_say(&k, "  waitpid WUNTRACED", k.pid, WUNTRACED);
  msleep(1500); /* the child's 1 s sleep ends meanwhile */
  returns_after_cont(&k, "sleep", 0);
  finish(&k);
}

static void cont_handlers(void) {
  say("== SIGCONT with a handler\n");
  struct kid k = spawn("cont-handler", -1);
  say("  ready: %c\n", got(&k, WAIT_MS));
  kill_say(k.pid, SIGCONT, "  kill (running)");
  say("  handler: %c\n", got(&k, WAIT_MS));
  wait_say(&k, "  WCONTINUED|WNOHANG", k.pid, WCONTINUED | WNOHANG);
  kill_say(k.pid, SIGSTOP, "  kill");
  wait_say(&k, "  waitpid WUNTRACED", k.pid, WUNTRACED);
  kill_say(k.pid, SIGCONT, "  kill");
  wait_say(&k, "  waitpid WCONTINUED", k.pid, WCONTINUED);
  say("  handler after continuing: %c\n", got(&k, WAIT_MS));
  cmd(&k, 'a');
  say("  ack: %c\n", got(&k, WAIT_MS));
  finish(&k);
  say("== SIGCONT blocked, with a handler\n");
  k = spawn("cont-blocked", -1);
  say("  ready: %c\n", got(&k, WAIT_MS));
  kill_say(k.pid, SIGSTOP, "  kill");
  wait_say(&k, "  waitpid WUNTRACED", k.pid, WUNTRACED);
  kill_say(k.pid, SIGCONT, "  kill");
  wait_say(&k, "  waitpid WCONTINUED", k.pid, WCONTINUED);
  cmd(&k, 'a');
  say("  first: %c\n", got(&k, WAIT_MS));
  cmd(&k, 'p');
  char p = got(&k, WAIT_MS);
  say("  CONT pending: %d\n", ((p - '0') >> 1) & 1);
  cmd(&k, 'u');
  char a = got(&k, WAIT_MS), b = got(&k, WAIT_MS);
  say("  after unblocking: %c %c\n", a, b);
  finish(&k);
}

static void nocldstop(void) {
  say("== SA_NOCLDSTOP\n");
  chld_action(SA_NOCLDSTOP);
  struct kid k = spawn("idle", -1);
  say("  ready: %c\n", got(&k, WAIT_MS));
  kill_say(k.pid, SIGSTOP, "  kill");
  wait_say(&k, "  waitpid WUNTRACED", k.pid, WUNTRACED);
  kill_say(k.pid, SIGCONT, "  kill");
  wait_say(&k, "  waitpid WCONTINUED", k.pid, WCONTINUED);
  cmd(&k, 'a');
  say("  ack: %c\n", got(&k, WAIT_MS));
  say("  sigchld pending: %d\n", chld_pending());
  close(k.down);
  wait_say(&k, "  end", k.pid, 0);
  chld(&k); /* the one pending SIGCHLD keeps its first siginfo: the exit's, none came before */
  close(k.up), close(k.cnt);
  chld_action(0);
}

/* A plain waitpid keeps waiting through a stop and a continue; another thread sees them. */
static struct kid plain_kid;
static void *stopper(void *arg) {
  (void)arg;
  msleep(100); /* let main enter its waitpid (if not yet, the check is only weaker) */
  kill_say(plain_kid.pid, SIGSTOP, "  kill");
  wait_say(&plain_kid, "  thread: waitpid WUNTRACED", plain_kid.pid, WUNTRACED);
  kill_say(plain_kid.pid, SIGCONT, "  kill");
  wait_say(&plain_kid, "  thread: waitpid WCONTINUED", plain_kid.pid, WCONTINUED);
  close(plain_kid.down);
  return NULL;
}
static void plain_wait(void) {
  say("== a plain waitpid does not report stops\n");
  plain_kid = spawn("idle", -1);
  say("  ready: %c\n", got(&plain_kid, WAIT_MS));
  pthread_t t;
  pthread_create(&t, NULL, stopper, NULL);
  int st = 0;
  pid_t r;
  while ((r = waitpid(plain_kid.pid, &st, 0)) < 0 && errno == EINTR) {}
  pthread_join(t, NULL);
  say("  main: waitpid: %s %s\n", who(&plain_kid, r), status(st));
  close(plain_kid.up), close(plain_kid.cnt);
  chld_flush();
}

/* Drain the counting records; returns the bytes read; `last` keeps each thread's latest count. */
static long drain(struct kid *k, long last[2]) {
  long total = 0;
  struct rec r[256];
  for (;;) {
    ssize_t n = read(k->cnt, r, sizeof r);
    if (n <= 0) return total;
    total += n;
    for (ssize_t i = 0; i < n / (ssize_t)sizeof r[0]; i++) if (r[i].idx >= 0 && r[i].idx < 2) last[r[i].idx] = r[i].n;
  }
}

/* Block until both threads reported counts above `floor` (up to 30 s). */
static int advanced(struct kid *k, long floor[2]) {
  long last[2] = {floor[0], floor[1]};
  for (int i = 0; i < 3000; i++) {
    drain(k, last);
    if (last[0] > floor[0] && last[1] > floor[1]) return 1;
    struct pollfd p = {k->cnt, POLLIN, 0};
    poll(&p, 1, 10);
  }
  return 0;
}

static void threads(void) {
  say("== a multi-threaded child computing\n");
  struct kid k = spawn("threads", -1);
  fcntl(k.cnt, F_SETFL, O_NONBLOCK);
  say("  ready: %c\n", got(&k, WAIT_MS));
  long zero[2] = {0, 0};
  say("  both threads counting: %d\n", advanced(&k, zero));
  kill_say(k.pid, SIGSTOP, "  kill");
  wait_say(&k, "  waitpid WUNTRACED", k.pid, WUNTRACED);
  long last[2] = {0, 0};
  drain(&k, last);
  msleep(300);
  long more = drain(&k, last);
  say("  records while stopped: %ld\n", more);
  kill_say(k.pid, SIGCONT, "  kill");
  say("  both advanced after SIGCONT: %d\n", advanced(&k, last));
  kill_say(k.pid, SIGKILL, "  kill");
  wait_say(&k, "  end", k.pid, 0);
  close(k.down), close(k.up), close(k.cnt);
  chld_flush();
}

static void group(void) {
  say("== kill(-pgid) of a group\n");
  struct kid a = spawn("idle", 0);
  struct kid b = spawn("idle", a.pid);
  say("  ready: %c %c\n", got(&a, WAIT_MS), got(&b, WAIT_MS));
  kill_say(-a.pid, SIGSTOP, "  kill");
  int sa = 0, sb = 0, st;
  for (int i = 0; i < 2; i++) {
    pid_t r = waitpid(-a.pid, &st, WUNTRACED);
    if (r == a.pid && WIFSTOPPED(st)) sa++;
    else if (r == b.pid && WIFSTOPPED(st)) sb++;
    else say("  waitpid(-pgid): %d %s\n", (int)r, r < 0 ? en(errno) : status(st));
  }
  say("  stopped reports: first %d, second %d\n", sa, sb);
  wait_say(&a, "  waitpid(-pgid, WUNTRACED|WNOHANG)", -a.pid, WUNTRACED | WNOHANG);
  kill_say(-a.pid, SIGCONT, "  kill");
  int ca = 0, cb = 0;
  for (int i = 0; i < 2; i++) {
    pid_t r = waitpid(-a.pid, &st, WCONTINUED);
    if (r == a.pid && WIFCONTINUED(st)) ca++;
    else if (r == b.pid && WIFCONTINUED(st)) cb++;
    else say("  waitpid(-pgid): %d %s\n", (int)r, r < 0 ? en(errno) : status(st));
  }
  say("  continued reports: first %d, second %d\n", ca, cb);
  cmd(&a, 'a'), cmd(&b, 'a');
  say("  acks: %c %c\n", got(&a, WAIT_MS), got(&b, WAIT_MS));
  finish(&a);
  finish(&b);
}

/* One call: its result and, when it failed, errno's name. */
#define TRY(label, expr)                                                   \
  do {                                                                     \
    errno = 0;                                                             \
    long r_ = (long)(expr);                                                \
    int e_ = errno;                                                        \
    say("  %s: %ld %s\n", label, r_, r_ < 0 ? en(e_) : "ok");              \
  } while (0)

static void errors(void) {
  say("== errors\n");
  struct kid k = spawn("idle", -1);
  say("  ready: %c\n", got(&k, WAIT_MS));
  int st;
  TRY("kill(child, 65)", kill(k.pid, 65));
  TRY("kill(child, -1)", kill(k.pid, -1));
  TRY("kill(-99999, SIGSTOP)", kill(-99999, SIGSTOP));
  TRY("kill(99999, SIGCONT)", kill(99999, SIGCONT));
  TRY("waitpid(child, 0x10)", waitpid(k.pid, &st, 0x10));
  TRY("waitpid(child, WEXITED)", waitpid(k.pid, &st, WEXITED));
  TRY("waitpid(child, WNOWAIT)", waitpid(k.pid, &st, WNOWAIT));
  TRY("waitpid(99999, WUNTRACED)", waitpid(99999, &st, WUNTRACED));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sig;
  TRY("sigaction(SIGSTOP)", sigaction(SIGSTOP, &sa, NULL));
  errno = 0;
  int bad = signal(SIGSTOP, SIG_IGN) == SIG_ERR;
  say("  signal(SIGSTOP, SIG_IGN): %s %s\n", bad ? "SIG_ERR" : "ok", bad ? en(errno) : "");
  sigset_t all, now;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &now);
  sigprocmask(SIG_SETMASK, &now, &all);
  say("  SIGSTOP blockable: %d, SIGTSTP blockable: %d\n", sigismember(&all, SIGSTOP), sigismember(&all, SIGTSTP));
  finish(&k);
  TRY("waitpid(-1, WNOHANG|WUNTRACED) without children", waitpid(-1, &st, WNOHANG | WUNTRACED));
}

/* waitid, printed as "<label>: <result> signo code status pid" or the errno. */
static void waitid_say(struct kid *k, const char *label, idtype_t type, id_t id, int options) {
  siginfo_t si;
  memset(&si, 0x55, sizeof si);
  int r;
  while ((r = waitid(type, id, &si, options)) < 0 && errno == EINTR) {}
  if (r < 0) { say("%s: %s\n", label, en(errno)); return; }
  char st[32];
  if (si.si_code == CLD_EXITED || si.si_signo == 0) snprintf(st, sizeof st, "%d", si.si_status);
  else snprintf(st, sizeof st, "%s", sn(si.si_status));
  say("%s: %d signo=%s code=%s status=%s pid=%s\n", label, r, si.si_signo ? sn(si.si_signo) : "0",
      si.si_code ? cn(si.si_code) : "0", st, who(k, si.si_pid));
}

static void waitid_cases(void) {
  say("== waitid\n");
  struct kid k = spawn("idle", -1);
  say("  ready: %c\n", got(&k, WAIT_MS));
  waitid_say(&k, "  WSTOPPED|WNOHANG, running", P_PID, k.pid, WSTOPPED | WNOHANG);
  kill_say(k.pid, SIGSTOP, "  kill");
  waitid_say(&k, "  WSTOPPED|WNOWAIT", P_PID, k.pid, WSTOPPED | WNOWAIT);
  waitid_say(&k, "  WSTOPPED", P_PID, k.pid, WSTOPPED);
  waitid_say(&k, "  WSTOPPED|WNOHANG again", P_PID, k.pid, WSTOPPED | WNOHANG);
  kill_say(k.pid, SIGCONT, "  kill");
  waitid_say(&k, "  WCONTINUED|WEXITED", P_ALL, 0, WCONTINUED | WEXITED);
  waitid_say(&k, "  WCONTINUED|WNOHANG again", P_PID, k.pid, WCONTINUED | WNOHANG);
  close(k.down);
  waitid_say(&k, "  WEXITED|WNOWAIT", P_PGID, 0, WEXITED | WNOWAIT);
  waitid_say(&k, "  WEXITED", P_PID, k.pid, WEXITED);
  waitid_say(&k, "  WEXITED|WNOHANG, none left", P_ALL, 0, WEXITED | WNOHANG);
  siginfo_t si;
  TRY("waitid(P_PID, child, 0)", waitid(P_PID, k.pid, &si, 0));
  TRY("waitid(P_PID, 0, WEXITED)", waitid(P_PID, 0, &si, WEXITED));
  TRY("waitid(7, 0, WEXITED)", waitid((idtype_t)7, 0, &si, WEXITED));
  TRY("waitid(P_ALL, 0, WEXITED|0x10)", waitid(P_ALL, 0, &si, WEXITED | 0x10));
  close(k.up), close(k.cnt);
  chld_flush();
}

int main(int argc, char **argv) {
  self = argv[0];
  if (argc > 2 && !strcmp(argv[1], "child")) return child(argv[2]);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGCHLD);
  sigprocmask(SIG_BLOCK, &m, NULL);
  chld_action(0);
  struct sigaction al;
  memset(&al, 0, sizeof al);
  al.sa_handler = on_alarm;
  sigaction(SIGALRM, &al, NULL);

  stop_cycle(SIGSTOP, -1);
  stop_cycle(SIGTSTP, 0);
  stop_cycle(SIGTTIN, 0);
  stop_cycle(SIGTTOU, 0);
  stop_nohang(SIGTSTP);
  pending_while_stopped();
  discard();
  kill_stopped();
  not_stopping("tstp-handler", "SIGTSTP with a handler");
  not_stopping("tstp-ignore", "SIGTSTP ignored");
  raise_stop("raise-stop");
  raise_stop("raise-tstp");
  sleep_while_stopped();
  cont_handlers();
  nocldstop();
  plain_wait();
  threads();
  group();
  errors();
  waitid_cases();
  say("done\n");
  return 0;
}
