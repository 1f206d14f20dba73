/*
 * sh: a small POSIX shell for occlum-ts demos and tests. Runs pipelines with redirections:
 *
 *   a | b | c > out      a < in      a >> log      a 2> err
 *
 * Commands come from `sh -c "line"` or from stdin, one per line; words are split on blanks
 * ('...' and "..." quote). Each stage is started with posix_spawnp (PATH, default /bin), its
 * stdio wired with file actions; the shell waits for the whole pipeline and keeps the status of
 * the last stage ($? semantics: 128+N for a signal). Builtins: exit [n], cd dir, echo.
 * Plain POSIX C: builds with gcc too.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_WORDS 256
#define MAX_STAGES 32

struct stage {
  char *argv[MAX_WORDS];
  int argc;
  const char *in, *out, *err;
  int append;
};

static int status_of(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 1;
}

/* Split a line into words (copied into `buf`) and operators; returns the number of tokens. */
static int tokenize(const char *s, char **tok, char *buf) {
  int n = 0;
  while (*s) {
    while (*s == ' ' || *s == '\t' || *s == '\n') s++;
    if (!*s || *s == '#' || n == MAX_WORDS - 1) break;
    if (*s == '|') { tok[n++] = "|"; s++; continue; }
    if (*s == '<') { tok[n++] = "<"; s++; continue; }
    if (*s == '>') { if (s[1] == '>') { tok[n++] = ">>"; s += 2; } else { tok[n++] = ">"; s++; } continue; }
    if (s[0] == '2' && s[1] == '>') { tok[n++] = "2>"; s += 2; continue; }
    tok[n++] = buf;
    while (*s && !strchr(" \t\n|<>", *s)) {
      if (*s == '\'' || *s == '"') {
        char q = *s++;
        while (*s && *s != q) *buf++ = *s++;
        if (*s) s++;
      } else {
        *buf++ = *s++;
      }
    }
    *buf++ = 0;
  }
  tok[n] = NULL;
  return n;
}

static int parse(char **tok, int n, struct stage *st) {
  int ns = 0;
  memset(&st[0], 0, sizeof st[0]);
  for (int i = 0; i < n; i++) {
    struct stage *c = &st[ns];
    if (!strcmp(tok[i], "|")) {
      if (c->argc == 0 || ++ns == MAX_STAGES) return -1;
      memset(&st[ns], 0, sizeof st[ns]);
    } else if (!strcmp(tok[i], "<") || !strcmp(tok[i], ">") || !strcmp(tok[i], ">>") || !strcmp(tok[i], "2>")) {
      if (i + 1 >= n) return -1;
      const char *op = tok[i], *f = tok[++i];
      if (op[0] == '<') c->in = f;
      else if (op[0] == '2') c->err = f;
      else { c->out = f; c->append = op[1] == '>'; }
    } else {
      c->argv[c->argc++] = tok[i];
    }
  }
  if (st[ns].argc == 0) return ns == 0 && n == 0 ? 0 : -1;
  return ns + 1;
}

static int builtin(struct stage *s, int *status) {
  char **a = s->argv;
  if (!strcmp(a[0], "exit")) exit(a[1] ? atoi(a[1]) : *status);
  if (!strcmp(a[0], "cd")) {
    if (chdir(a[1] ? a[1] : "/") != 0) { fprintf(stderr, "sh: cd: %s: %s\n", a[1], strerror(errno)); *status = 1; }
    else *status = 0;
    return 1;
  }
  return 0;
}

static int run_line(const char *line, int last) {
  char *tok[MAX_WORDS];
  static char buf[8192];
  static struct stage st[MAX_STAGES];
  int n = tokenize(line, tok, buf);
  int ns = parse(tok, n, st);
  if (ns < 0) { fprintf(stderr, "sh: syntax error\n"); return 2; }
  if (ns == 0) return last;
  int status = last;
  if (ns == 1 && !st[0].in && !st[0].out && builtin(&st[0], &status)) return status;
  pid_t pids[MAX_STAGES];
  int prev = -1;
  for (int i = 0; i < ns; i++) {
    int p[2] = { -1, -1 };
    if (i + 1 < ns) {
      if (pipe(p) != 0) { perror("sh: pipe"); return 1; }
      fcntl(p[0], F_SETFD, FD_CLOEXEC);
      fcntl(p[1], F_SETFD, FD_CLOEXEC);
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (prev >= 0) posix_spawn_file_actions_adddup2(&fa, prev, 0);
    if (p[1] >= 0) posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    if (st[i].in) posix_spawn_file_actions_addopen(&fa, 0, st[i].in, O_RDONLY, 0);
    if (st[i].out) posix_spawn_file_actions_addopen(&fa, 1, st[i].out, O_WRONLY | O_CREAT | (st[i].append ? O_APPEND : O_TRUNC), 0644);
    if (st[i].err) posix_spawn_file_actions_addopen(&fa, 2, st[i].err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    st[i].argv[st[i].argc] = NULL;
    int e = posix_spawnp(&pids[i], st[i].argv[0], &fa, NULL, st[i].argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0) {
      fprintf(stderr, "sh: %s: %s\n", st[i].argv[0], strerror(e));
      pids[i] = -1;
      status = e == ENOENT ? 127 : 126;
    }
    if (prev >= 0) close(prev);
    if (p[1] >= 0) close(p[1]);
    prev = p[0];
  }
  for (int i = 0; i < ns; i++) {
    int ws;
    if (pids[i] > 0 && waitpid(pids[i], &ws, 0) == pids[i] && i == ns - 1) status = status_of(ws);
  }
  return status;
}

int main(int argc, char **argv) {
  if (!getenv("PATH")) setenv("PATH", "/bin", 1);
  if (argc > 2 && !strcmp(argv[1], "-c")) return run_line(argv[2], 0);
  char line[4096];
  int status = 0;
  while (fgets(line, sizeof line, stdin)) status = run_line(line, status);
  return status;
}
