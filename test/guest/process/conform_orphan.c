/* Differential test of sessions and orphaned process groups: getsid/setsid and their errors,
 * setpgid refused across sessions and for a session leader, POSIX_SPAWN_SETSID, the session in
 * /proc/<pid>/stat; a process group left orphaned by an exit (the parent of its members exits, or
 * its last member with a parent outside the group does) that has a stopped member: each stopped
 * member gets SIGHUP, then every member SIGCONT (so a running member gets SIGCONT alone, as Linux
 * 6.18 does; POSIX words it as SIGHUP to every member); nothing when no member is stopped, or while
 * another member still ties the group; SIGTSTP, SIGTTIN and SIGTTOU do not stop a process of an
 * orphaned group (sent, or blocked and then unblocked), SIGSTOP does.
 *
 * Each orphaned group lives in a session a child of main creates with setsid(), so that whoever
 * adopts the orphans (init or a subreaper on Linux, pid 1 in the LibOS) is in another session and
 * never ties the group: the group is orphaned under both. The processes are copies of this program
 * started with posix_spawn (argv: "child", role, slot, extra); slot k talks to main through
 * fds UPFD(k) (one byte per event) and DOWNFD(k) (one byte per command), which every descendant
 * of a scenario's first child inherits. Orphans are not main's children on Linux, so main watches
 * them through their pipes and /proc/<pid>/stat, never with waitpid. Prints what Linux prints
 * (test/libos/process/conform-orphan.test.ts holds the native output): never pids or timings. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 4
#define UPFD(k) (100 + 2 * (k))
#define DOWNFD(k) (101 + 2 * (k))
#define WAIT_MS 30000 /* for a reply that must come (only a failure waits this long) */
#define QUIET_MS 300  /* for a reply that must not come */

extern char **environ;
static const char *self;

#define say(...) (printf(__VA_ARGS__), fflush(stdout))

static const char *en(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(EINVAL) E(ESRCH) E(EPERM) E(EACCES) E(ECHILD) E(ENOSYS)
#undef E
    default: { static char b[32]; snprintf(b, sizeof b, "errno%d", e); return b; }
  }
}

/* One call: its result and, when it failed, errno's name. */
#define TRY(label, expr)                                                   \
  do {                                                                     \
    errno = 0;                                                             \
    long r_ = (long)(expr);                                                \
    int e_ = errno;                                                        \
    say("%s: %ld %s\n", label, r_, r_ < 0 ? en(e_) : "ok");                \
  } while (0)

static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* /proc/<pid>/stat's state, pgrp and session; -1 when it cannot be read. */
static int proc_ids(pid_t pid, char *state, int *pgrp, int *sess) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *rp = strrchr(buf, ')');
  int ppid;
  return rp && sscanf(rp + 2, "%c %d %d %d", state, &ppid, pgrp, sess) == 4 ? 0 : -1;
}

static int stopped(pid_t pid) {
  char s = '?';
  int g, sid;
  return proc_ids(pid, &s, &g, &sid) == 0 && s == 'T';
}

/* Start a copy of this program in `role` on `slot`; flags/pgroup: posix_spawn's attributes. */
static pid_t spawn_as(const char *role, int slot, int flags, pid_t pgroup, const char *extra,
                      const posix_spawn_file_actions_t *fa, int *err) {
  char s[16];
  snprintf(s, sizeof s, "%d", slot);
  char *argv[] = {(char *)self, "child", (char *)role, s, (char *)(extra ? extra : "-"), NULL};
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  posix_spawnattr_setflags(&at, (short)flags);
  posix_spawnattr_setpgroup(&at, pgroup);
  pid_t pid = -1;
  int e = posix_spawn(&pid, self, fa, &at, argv, environ);
  posix_spawnattr_destroy(&at);
  if (err) *err = e;
  return e ? -1 : pid;
}

/* ---------------------------------------------------------------- child */

static int slot;

static void put(char c) {
  while (write(UPFD(slot), &c, 1) < 0 && errno == EINTR) {}
}

static void on_sig(int s) { put(s == SIGHUP ? 'H' : s == SIGCONT ? 'C' : '?'); }

/* SIGHUP and SIGCONT handlers; each blocks every signal, so two pending ones run in number order. */
static void handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sig;
  sa.sa_flags = SA_RESTART;
  sigfillset(&sa.sa_mask);
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGCONT, &sa, NULL);
}

/* 'r' and the pid, in one write. */
static void ready(void) {
  char b[1 + sizeof(int)];
  int pid = getpid();
  b[0] = 'r';
  memcpy(b + 1, &pid, sizeof pid);
  while (write(UPFD(slot), b, sizeof b) < 0 && errno == EINTR) {}
}

static void job_mask(int how) {
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGTSTP), sigaddset(&m, SIGTTIN), sigaddset(&m, SIGTTOU);
  sigprocmask(how, &m, NULL);
}

static char status_char(pid_t r, int st) {
  if (r < 0) return '!';
  if (WIFEXITED(st)) return 'E';
  if (WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP) return 'K';
  return '?';
}

/* Commands from main, one byte each, each answered with one byte. */
static int loop(void) {
  for (;;) {
    char c;
    ssize_t n = read(DOWNFD(slot), &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 4;
    if (c == 'q') put('.');
    if (c == 'e') { put('x'); return 0; }
    if (c == 'b') job_mask(SIG_BLOCK), put('b');
    if (c == 'u') job_mask(SIG_UNBLOCK), put('u');
    if (c == 'p') {
      sigset_t p;
      sigpending(&p);
      put((char)('0' + sigismember(&p, SIGTSTP) + 2 * sigismember(&p, SIGTTIN) + 4 * sigismember(&p, SIGTTOU)));
    }
    if (c == 'w') {
      int st = 0;
      pid_t r;
      while ((r = waitpid(-1, &st, 0)) < 0 && errno == EINTR) {}
      put(status_char(r, st));
    }
  }
}

/* The session checks a child makes after its own setsid() (the member is its child). */
static int sess_child(void) {
  pid_t me = getpid(), old = getsid(0), pg = getpgrp();
  say("  child: getsid(0) == parent's: %d, getpgrp() == parent's: %d\n", old == getsid(getppid()), pg == getpgid(getppid()));
  pid_t s = setsid();
  say("  child: setsid() == getpid(): %d\n", s == me);
  say("  child: getsid(0) == getpid(): %d, getpgrp() == getpid(): %d\n", getsid(0) == me, getpgrp() == me);
  char st;
  int g = 0, sid = 0;
  int ok = proc_ids(me, &st, &g, &sid) == 0;
  say("  child: /proc/self/stat pgrp == getpid(): %d, session == getpid(): %d\n", ok && g == me, ok && sid == me);
  TRY("  child: setsid() again", setsid());
  TRY("  child: setpgid(0, 0)", setpgid(0, 0));
  TRY("  child: setpgid(0, parent's group)", setpgid(0, pg));
  say("  child: getsid(getppid()) == old session: %d\n", getsid(getppid()) == old);
  char extra[16];
  snprintf(extra, sizeof extra, "%d", (int)pg);
  pid_t m = spawn_as("sess-member", slot, 0, 0, extra, NULL, NULL);
  int stt = 0;
  waitpid(m, &stt, 0);
  say("  child: member %s %d\n", WIFEXITED(stt) ? "exited" : "killed", WIFEXITED(stt) ? WEXITSTATUS(stt) : WTERMSIG(stt));
  put('s');
  return loop();
}

/* A member of the child's new session: the parent's old group is in another session. */
static int sess_member(pid_t old_group) {
  pid_t me = getpid();
  say("  member: getsid(0) == parent's: %d, getpgrp() == parent's: %d\n", getsid(0) == getsid(getppid()), getpgrp() == getppid());
  TRY("  member: setpgid(0, group of another session)", setpgid(0, old_group));
  TRY("  member: setpgid(0, 0)", setpgid(0, 0));
  say("  member: getpgrp() == getpid(): %d\n", getpgrp() == me);
  TRY("  member: setpgid(0, the leader's group)", setpgid(0, getsid(0)));
  say("  member: getpgrp() == leader: %d\n", getpgrp() == getppid());
  pid_t s = setsid();
  say("  member: setsid() == getpid(): %d, getsid(getppid()) != getsid(0): %d\n", s == me, getsid(getppid()) != getsid(0));
  return 0;
}

/* A group leader's group lives on after it left: its pid names a group, setsid() fails. */
static int sess_former(void) {
  pid_t me = getpid(), back = getpgrp();
  TRY("  former leader: setpgid(0, 0)", setpgid(0, 0));
  pid_t q = spawn_as("pause", slot, 0, 0, NULL, NULL, NULL);
  TRY("  former leader: setpgid(0, parent's group)", setpgid(0, back));
  TRY("  former leader: setsid() while its old group has a member", setsid());
  kill(q, SIGKILL);
  waitpid(q, NULL, 0);
  pid_t s = setsid();
  say("  former leader: setsid() once that member is gone == getpid(): %d\n", s == me);
  return 0;
}

static int child(const char *role, const char *extra) {
  alarm(60); /* a child stuck for good dies instead of hanging the test */
  if (!strcmp(role, "sess")) return sess_child();
  if (!strcmp(role, "sess-member")) return sess_member(atoi(extra));
  if (!strcmp(role, "sess-former")) return sess_former();
  if (!strcmp(role, "sess-gl")) {
    TRY("  group leader: setsid()", setsid());
    return 0;
  }
  if (!strcmp(role, "sess-new")) {
    say("  spawned with SETSID: getsid(0) == getpid(): %d, getpgrp() == getpid(): %d\n", getsid(0) == getpid(), getpgrp() == getpid());
    return 0;
  }
  if (!strcmp(role, "pause")) {
    for (;;) pause();
  }
  if (!strcmp(role, "leader")) {
    if (setsid() < 0) return 5;
    if (!strcmp(extra, "parent-exits")) {
      /* a stopped member, a member with a child (which keeps SIGHUP's default) */
      pid_t c1 = spawn_as("member-stop", 1, POSIX_SPAWN_SETPGROUP, 0, NULL, NULL, NULL);
      spawn_as("member-parent", 2, POSIX_SPAWN_SETPGROUP, c1, NULL, NULL, NULL);
      int st = 0;
      pid_t r;
      while ((r = waitpid(c1, &st, WUNTRACED)) < 0 && errno == EINTR) {}
      put(r == c1 && WIFSTOPPED(st) ? 's' : '!');
    } else if (!strcmp(extra, "last-tie")) {
      /* X leads the group and has the stopped member; Z, in it too, is the leader's child */
      pid_t x = spawn_as("member-spawner", 1, POSIX_SPAWN_SETPGROUP, 0, NULL, NULL, NULL);
      spawn_as("member", 2, POSIX_SPAWN_SETPGROUP, x, NULL, NULL, NULL);
      put('s');
    } else {
      spawn_as("member", 1, POSIX_SPAWN_SETPGROUP, 0, NULL, NULL, NULL);
      put('s');
    }
    return loop();
  }
  if (!strcmp(role, "member")) handlers();
  if (!strcmp(role, "member-stop")) handlers();
  if (!strcmp(role, "member-parent")) handlers(), spawn_as("member-dfl", 3, 0, 0, NULL, NULL, NULL);
  if (!strcmp(role, "member-spawner")) {
    pid_t y = spawn_as("member-stop", 3, 0, 0, NULL, NULL, NULL);
    int st = 0;
    pid_t r;
    while ((r = waitpid(y, &st, WUNTRACED)) < 0 && errno == EINTR) {}
    if (r != y || !WIFSTOPPED(st)) return 6;
  }
  ready();
  if (!strcmp(role, "member-stop")) raise(SIGSTOP);
  return loop();
}

/* ---------------------------------------------------------------- main */

static int upr[SLOTS], downw[SLOTS];

/* Fresh pipes for every slot, and the scenario's first child with them at UPFD/DOWNFD. */
static pid_t start(const char *role, const char *extra, int flags) {
  int ends[SLOTS][2];
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int k = 0; k < SLOTS; k++) {
    int u[2], d[2];
    if (pipe2(u, O_CLOEXEC) || pipe2(d, O_CLOEXEC)) say("pipe: %s\n", en(errno)), exit(1);
    upr[k] = u[0], downw[k] = d[1], ends[k][0] = u[1], ends[k][1] = d[0];
    posix_spawn_file_actions_adddup2(&fa, u[1], UPFD(k));
    posix_spawn_file_actions_adddup2(&fa, d[0], DOWNFD(k));
  }
  int e = 0;
  pid_t pid = spawn_as(role, 0, flags, 0, extra, &fa, &e);
  posix_spawn_file_actions_destroy(&fa);
  for (int k = 0; k < SLOTS; k++) close(ends[k][0]), close(ends[k][1]);
  if (pid < 0) say("spawn %s: %s\n", role, en(e)), exit(1);
  return pid;
}

static void finish_slots(void) {
  for (int k = 0; k < SLOTS; k++) close(upr[k]), close(downw[k]);
}

/* The next byte from slot k, or 0 when none comes within `ms`. */
static char got(int k, int ms) {
  struct pollfd p = {upr[k], POLLIN, 0};
  int r;
  while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR) {}
  char c = 0;
  if (r == 1 && read(upr[k], &c, 1) != 1) c = 0;
  return c ? c : '-';
}

static void cmd(int k, char c) {
  while (write(downw[k], &c, 1) < 0 && errno == EINTR) {}
}

/* A command and its one-byte answer. */
static char ask(int k, char c, int ms) {
  cmd(k, c);
  return got(k, ms);
}

/* Slot k's "ready": its pid, or -1. */
static pid_t ready_pid(int k) {
  if (got(k, WAIT_MS) != 'r') return -1;
  int pid = -1;
  struct pollfd p = {upr[k], POLLIN, 0};
  if (poll(&p, 1, WAIT_MS) != 1 || read(upr[k], &pid, sizeof pid) != sizeof pid) return -1;
  return pid;
}

static void reap(pid_t pid, const char *label) {
  int st = 0;
  pid_t r;
  while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {}
  if (r < 0) say("%s: %s\n", label, en(errno));
  else if (WIFEXITED(st)) say("%s: exited %d\n", label, WEXITSTATUS(st));
  else say("%s: killed by signal %d\n", label, WTERMSIG(st));
}

/* Wait up to WAIT_MS for /proc to say `pid` is stopped. */
static int becomes_stopped(pid_t pid) {
  for (int i = 0; i < WAIT_MS / 10; i++) {
    if (stopped(pid)) return 1;
    msleep(10);
  }
  return 0;
}

static void sessions(void) {
  say("== sessions\n");
  pid_t me = getpid();
  say("  getsid(0) == getsid(getpid()): %d\n", getsid(0) == getsid(me));
  char st;
  int g = 0, sid = 0;
  int ok = proc_ids(me, &st, &g, &sid) == 0;
  say("  /proc/self/stat pgrp == getpgrp(): %d, session == getsid(0): %d\n", ok && g == getpgrp(), ok && sid == getsid(0));
  TRY("  getsid(-1)", getsid(-1));
  TRY("  setpgid(0, -1)", setpgid(0, -1));
  TRY("  setpgid(-5, 0)", setpgid(-5, 0));
  TRY("  setpgid(-5, 3)", setpgid(-5, 3));

  pid_t c = start("sess", NULL, 0);
  char s = got(0, WAIT_MS);
  say("  child ready: %c\n", s);
  say("  getsid(child) == child: %d, getpgid(child) == child: %d\n", getsid(c) == c, getpgid(c) == c);
  ok = proc_ids(c, &st, &g, &sid) == 0;
  say("  /proc/<child>/stat pgrp == child: %d, session == child: %d\n", ok && g == c, ok && sid == c);
  TRY("  setpgid(child in another session, 0)", setpgid(c, 0));
  TRY("  setpgid(child in another session, our group)", setpgid(c, getpgrp()));
  say("  child: %c\n", ask(0, 'e', WAIT_MS));
  reap(c, "  child");
  finish_slots();

  pid_t gl = spawn_as("sess-gl", 0, POSIX_SPAWN_SETPGROUP, 0, NULL, NULL, NULL);
  reap(gl, "  group leader");
  pid_t fl = spawn_as("sess-former", 0, 0, 0, NULL, NULL, NULL);
  reap(fl, "  former leader");

  int e = 0;
  pid_t n = spawn_as("sess-new", 0, POSIX_SPAWN_SETSID, 0, NULL, NULL, &e);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  while (waitid(P_PID, n, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR) {}
  say("  SETSID child, a zombie: getsid(child) == child: %d, getpgid(child) == child: %d\n", getsid(n) == n, getpgid(n) == n);
  reap(n, "  SETSID child");
  TRY("  getsid(reaped child)", getsid(n));
  spawn_as("sess-new", 0, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETPGROUP, 0, NULL, NULL, &e);
  say("  posix_spawn(SETSID | SETPGROUP): %s\n", e ? en(e) : "ok");
}

/* The leader of a session exits; its children's group, with a stopped member, is orphaned. */
static void parent_exits(void) {
  say("== the parent of a group with a stopped member exits\n");
  pid_t l = start("leader", "parent-exits", 0);
  say("  leader: member stopped: %c\n", got(0, WAIT_MS));
  pid_t c1 = ready_pid(1), c2 = ready_pid(2), c3 = ready_pid(3);
  say("  ready: %d %d %d\n", c1 > 0, c2 > 0, c3 > 0);
  say("  /proc: stopped member T: %d, others: %d %d\n", stopped(c1), stopped(c2), stopped(c3));
  say("  leader: %c\n", ask(0, 'e', WAIT_MS));
  reap(l, "  leader");
  char a = got(1, WAIT_MS), b = got(1, WAIT_MS);
  say("  stopped member got: %c %c, then %c\n", a, b, ask(1, 'q', WAIT_MS));
  say("  /proc: stopped member T: %d\n", stopped(c1));
  a = got(2, WAIT_MS);
  say("  running member got: %c, then %c\n", a, ask(2, 'q', WAIT_MS));
  say("  its child (SIGHUP at SIG_DFL, running): %c\n", ask(3, 'q', WAIT_MS));

  say("== stop signals in an orphaned group\n");
  static const int sigs[] = {SIGTSTP, SIGTTIN, SIGTTOU};
  static const char *names[] = {"SIGTSTP", "SIGTTIN", "SIGTTOU"};
  for (int i = 0; i < 3; i++) {
    kill(c2, sigs[i]);
    char r = ask(2, 'q', WAIT_MS);
    say("  %s: reply %c, /proc T: %d\n", names[i], r, stopped(c2));
  }
  kill(-c1, SIGTSTP);
  char r1 = ask(1, 'q', WAIT_MS), r2 = ask(2, 'q', WAIT_MS);
  say("  SIGTSTP to the group: replies %c %c, /proc T: %d %d\n", r1, r2, stopped(c1), stopped(c2));
  say("  block them: %c\n", ask(2, 'b', WAIT_MS));
  for (int i = 0; i < 3; i++) kill(c2, sigs[i]);
  say("  sent while blocked, pending (TSTP 1, TTIN 2, TTOU 4): %c\n", ask(2, 'p', WAIT_MS));
  a = ask(2, 'u', WAIT_MS), b = ask(2, 'q', WAIT_MS);
  say("  unblock: %c, then %c, /proc T: %d\n", a, b, stopped(c2));
  say("  pending after unblocking: %c\n", ask(2, 'p', WAIT_MS));
  kill(c2, SIGSTOP);
  say("  SIGSTOP: /proc T: %d\n", becomes_stopped(c2));
  cmd(2, 'q');
  say("  reply while stopped: %c\n", got(2, QUIET_MS));
  kill(c2, SIGCONT);
  a = got(2, WAIT_MS), b = got(2, WAIT_MS);
  say("  after SIGCONT: %c %c\n", a, b);
  /* (one call per statement: the order of a call's arguments is unspecified) */
  a = ask(3, 'e', WAIT_MS), b = ask(1, 'e', WAIT_MS);
  char w = ask(2, 'w', WAIT_MS);
  say("  end: %c %c, its child reaped: %c, %c\n", a, b, w, ask(2, 'e', WAIT_MS));
  finish_slots();
}

/* A member's exit orphans its own group when it was the last member with a parent outside it. */
static void last_tie(void) {
  say("== the last member tying a group with a stopped member exits\n");
  pid_t l = start("leader", "last-tie", 0);
  say("  leader: %c\n", got(0, WAIT_MS));
  pid_t x = ready_pid(1), z = ready_pid(2), y = ready_pid(3);
  say("  ready: %d %d %d\n", x > 0, z > 0, y > 0);
  say("  /proc: stopped member T: %d\n", becomes_stopped(y));
  /* (one call per statement: the order of a call's arguments is unspecified) */
  char a = ask(1, 'e', WAIT_MS), b = ask(0, 'w', WAIT_MS);
  say("  its parent: %c, reaped by the leader: %c\n", a, b);
  a = got(3, QUIET_MS);
  say("  another member's parent still ties the group: stopped member got %c, /proc T: %d\n", a, stopped(y));
  a = ask(2, 'e', WAIT_MS), b = ask(0, 'w', WAIT_MS);
  say("  that member: %c, reaped by the leader: %c\n", a, b);
  a = got(3, WAIT_MS), b = got(3, WAIT_MS);
  char q = ask(3, 'q', WAIT_MS);
  say("  stopped member got: %c %c, then %c, /proc T: %d\n", a, b, q, stopped(y));
  a = ask(3, 'e', WAIT_MS), b = ask(0, 'e', WAIT_MS);
  say("  end: %c %c\n", a, b);
  reap(l, "  leader");
  finish_slots();
}

/* No member stopped: an orphaned group gets nothing. */
static void none_stopped(void) {
  say("== the parent of a group with no stopped member exits\n");
  pid_t l = start("leader", "none-stopped", 0);
  say("  leader: %c\n", got(0, WAIT_MS));
  pid_t m = ready_pid(1);
  say("  ready: %d\n", m > 0);
  say("  leader: %c\n", ask(0, 'e', WAIT_MS));
  reap(l, "  leader");
  msleep(QUIET_MS);
  say("  member got: %c (before its reply to q)\n", ask(1, 'q', WAIT_MS));
  kill(m, SIGTSTP);
  char r = ask(1, 'q', WAIT_MS);
  say("  SIGTSTP: reply %c, /proc T: %d\n", r, stopped(m));
  say("  end: %c\n", ask(1, 'e', WAIT_MS));
  finish_slots();
}

int main(int argc, char **argv) {
  self = argv[0];
  if (argc > 4 && !strcmp(argv[1], "child")) {
    slot = atoi(argv[3]);
    return child(argv[2], argv[4]);
  }
  sessions();
  parent_exits();
  last_tie();
  none_stopped();
  say("done\n");
  return 0;
}
