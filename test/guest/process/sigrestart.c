/* SA_RESTART: a read from a pipe, waitpid and accept, interrupted by a handled signal, fail with
 * EINTR without SA_RESTART and are transparently restarted with it; signal() installs handlers
 * with SA_RESTART (BSD semantics); nanosleep and poll fail with EINTR even with SA_RESTART.
 * The signal is SIGALRM from setitimer, while a child writes/exits/connects later. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static volatile sig_atomic_t hits;
static void on(int s) { (void)s; hits++; }

/* A handler that grows the memory (16 MiB): the restarted read must still land in the buffer. */
static void on_grow(int s) {
  (void)s;
  hits++;
  __builtin_wasm_memory_grow(0, 256);
}
static int grow_in_handler;

static void handle(int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = grow_in_handler ? on_grow : on;
  sa.sa_flags = flags;
  sigaction(SIGALRM, &sa, NULL);
  hits = 0;
}

static void arm_ms(int ms) {
  struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
  setitimer(ITIMER_REAL, &it, NULL);
}

static void sleep_ms(int ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

static pid_t helper(const char *mode, int a, int ms) {
  char sa[16], sm[16];
  snprintf(sa, sizeof sa, "%d", a);
  snprintf(sm, sizeof sm, "%d", ms);
  char *argv[] = { "/bin/sigrestart", (char *)mode, sa, sm, NULL };
  pid_t pid;
  if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) return -1;
  return pid;
}

static const char *err(long r) { return r >= 0 ? "ok" : errno == EINTR ? "EINTR" : strerror(errno); }

static void read_case(const char *name, int flags, int use_signal) {
  int p[2];
  pipe(p);
  if (use_signal) { signal(SIGALRM, on); hits = 0; } else handle(flags);
  pid_t c = helper("writer", p[1], 300);
  arm_ms(30);
  char ch = '?';
  ssize_t n = read(p[0], &ch, 1);
  printf("%s: %zd %s %c hits %d\n", name, n, err(n), n == 1 ? ch : '-', (int)hits);
  waitpid(c, NULL, 0);
  close(p[0]);
  close(p[1]);
}

static void wait_case(const char *name, int flags) {
  handle(flags);
  pid_t c = helper("sleep", 0, 300);
  arm_ms(30);
  int st;
  pid_t r = waitpid(c, &st, 0);
  printf("%s: %s %s hits %d\n", name, r == c ? "child" : r < 0 ? "-1" : "other", err(r), (int)hits);
  if (r != c) waitpid(c, &st, 0);
}

static void accept_case(const char *name, int flags) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 4) < 0 || getsockname(s, (struct sockaddr *)&a, &len) < 0) {
    printf("%s: setup failed: %s\n", name, strerror(errno));
    return;
  }
  handle(flags);
  pid_t c = helper("connect", ntohs(a.sin_port), 300);
  arm_ms(30);
  int fd = accept(s, NULL, NULL);
  printf("%s: %s hits %d\n", name, err(fd), (int)hits);
  if (fd < 0) fd = accept(s, NULL, NULL);
  close(fd);
  waitpid(c, NULL, 0);
  close(s);
}

int main(int argc, char **argv) {
  if (argc > 3 && !strcmp(argv[1], "writer")) {
    sleep_ms(atoi(argv[3]));
    write(atoi(argv[2]), "x", 1);
    return 0;
  }
  if (argc > 3 && !strcmp(argv[1], "sleep")) {
    sleep_ms(atoi(argv[3]));
    return 0;
  }
  if (argc > 3 && !strcmp(argv[1], "connect")) {
    sleep_ms(atoi(argv[3]));
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(atoi(argv[2]));
    return connect(s, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : 1;
  }
  read_case("read", 0, 0);
  read_case("read SA_RESTART", SA_RESTART, 0);
  read_case("read signal()", 0, 1);
  grow_in_handler = 1;
  read_case("read SA_RESTART, handler grows memory", SA_RESTART, 0);
  grow_in_handler = 0;
  wait_case("waitpid", 0);
  wait_case("waitpid SA_RESTART", SA_RESTART);
  accept_case("accept", 0);
  accept_case("accept SA_RESTART", SA_RESTART);

  /* never restarted: sleeps and poll */
  handle(SA_RESTART);
  arm_ms(30);
  struct timespec ts = { 0, 500 * 1000000L }, rem = { 0, 0 };
  int r = nanosleep(&ts, &rem);
  long left_ms = rem.tv_sec * 1000 + rem.tv_nsec / 1000000;
  printf("nanosleep SA_RESTART: %d %s hits %d, time left %s\n", r, err(r), (int)hits, left_ms > 0 && left_ms < 500 ? "ok" : "wrong");
  int p[2];
  pipe(p);
  handle(SA_RESTART);
  arm_ms(30);
  struct pollfd pfd = { p[0], POLLIN, 0 };
  r = poll(&pfd, 1, 500);
  printf("poll SA_RESTART: %d %s hits %d\n", r, err(r), (int)hits);
  return 0;
}
