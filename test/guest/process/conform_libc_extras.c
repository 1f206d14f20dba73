/*
 * Calls wasix-libc declares but does not define (programs that used them did not link), or gets
 * wrong, and sdk/libc supplies: err.h's warn/warnx/err/errx and their v- forms, ctermid,
 * cuserid, getlogin_r's error without a login session, and the thread scheduling attributes
 * (pthread_attr_{get,set}sched{policy,param}). Prints one line per check on stdout, the err.h
 * messages on stderr; test/libos/process/conform-libc-extras.test.ts holds what Linux prints.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *en(int e) {
  return e == 0 ? "0" : e == EINVAL ? "EINVAL" : e == ENOTSUP ? "ENOTSUP" : e == ENOENT ? "ENOENT" : e == ENXIO ? "ENXIO" : "E?";
}

static void vw(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwarn(fmt, ap);
  va_end(ap);
}

static void vwx(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwarnx(fmt, ap);
  va_end(ap);
}

int main(int argc, char **argv) {
  if (argc > 1) { /* the exiting forms, in a child: argv[1] says which */
    errno = ENOENT;
    if (!strcmp(argv[1], "err")) err(3, "err %s", "here");
    if (!strcmp(argv[1], "errx")) errx(4, "errx %d", 42);
    if (!strcmp(argv[1], "err-null")) err(5, NULL);
    return 9;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  errno = ENOENT;
  warn("warn %d", 1);
  warnx("warnx %s", "two");
  errno = EINVAL;
  warn(NULL);
  warnx(NULL);
  errno = ENOENT;
  vw("vwarn %c", '3');
  vwx("vwarnx %x", 255);
  printf("errno after warn: %s\n", en(errno));

  char term[L_ctermid];
  printf("ctermid: %s %s\n", ctermid(NULL), ctermid(term) == term ? term : "(not the buffer)");
  char user[L_cuserid];
  printf("cuserid: %s %s\n", cuserid(NULL), cuserid(user) == user ? user : "(not the buffer)");

  pthread_attr_t a;
  pthread_attr_init(&a);
  int policy = -1;
  struct sched_param p = {.sched_priority = -1};
  int r1 = pthread_attr_getschedpolicy(&a, &policy);
  int r2 = pthread_attr_getschedparam(&a, &p);
  printf("attr default: getschedpolicy %s policy %d, getschedparam %s priority %d\n", en(r1), policy, en(r2), p.sched_priority);
  printf("setschedpolicy(SCHED_FIFO): %s", en(pthread_attr_setschedpolicy(&a, SCHED_FIFO)));
  pthread_attr_getschedpolicy(&a, &policy);
  printf(", now %s\n", policy == SCHED_FIFO ? "SCHED_FIFO" : "other");
  p.sched_priority = 10;
  printf("setschedparam(10): %s", en(pthread_attr_setschedparam(&a, &p)));
  p.sched_priority = 0;
  pthread_attr_getschedparam(&a, &p);
  printf(", now %d\n", p.sched_priority);
  printf("setschedpolicy(99): %s\n", en(pthread_attr_setschedpolicy(&a, 99)));
  printf("setschedpolicy(SCHED_BATCH): %s\n", en(pthread_attr_setschedpolicy(&a, SCHED_BATCH)));
  pthread_attr_destroy(&a);

  const char *modes[] = {"err", "errx", "err-null"};
  for (int i = 0; i < 3; i++) {
    fflush(stderr);
    char *args[] = {argv[0], (char *)modes[i], NULL};
    pid_t c;
    if (posix_spawn(&c, argv[0], NULL, NULL, args, environ) != 0) { printf("spawn failed\n"); continue; }
    int st;
    waitpid(c, &st, 0);
    printf("%s exits %d\n", modes[i], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  }
  return 0;
}
