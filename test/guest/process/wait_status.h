// A waitpid status as text ("exit N", "signal N"), for the process test guests' output lines.
#ifndef WAIT_STATUS_H
#define WAIT_STATUS_H
#include <stdio.h>
#include <sys/wait.h>

static const char *desc(int st) {
  static char buf[32];
  if (WIFEXITED(st)) snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) snprintf(buf, sizeof buf, "signal %d", WTERMSIG(st));
  else snprintf(buf, sizeof buf, "?%x", st);
  return buf;
}
#endif
