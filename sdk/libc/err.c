/*
 * err.h's err, errx, warn, warnx and their v- forms, which wasix-libc declares but does not define
 * (programs that used them did not link). As glibc and musl print them: "name: message: strerror"
 * (the x forms without the error), name being the program's short name, on stderr; err and errx
 * then exit with their status.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The program's short name (sdk/libc/progname.c sets it: the libc left it NULL). */
extern char *__progname;

static void say(int with_error, const char *fmt, va_list ap) {
  int e = errno; /* the error the message is about, before stdio may change it */
  fprintf(stderr, "%s: ", __progname ? __progname : "");
  if (fmt) {
    vfprintf(stderr, fmt, ap);
    if (with_error) fputs(": ", stderr);
  }
  if (with_error) fputs(strerror(e), stderr);
  fputc('\n', stderr);
}

void vwarn(const char *fmt, va_list ap) { say(1, fmt, ap); }
void vwarnx(const char *fmt, va_list ap) { say(0, fmt, ap); }

_Noreturn void verr(int status, const char *fmt, va_list ap) {
  say(1, fmt, ap);
  exit(status);
}

_Noreturn void verrx(int status, const char *fmt, va_list ap) {
  say(0, fmt, ap);
  exit(status);
}

void warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwarn(fmt, ap);
  va_end(ap);
}

void warnx(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwarnx(fmt, ap);
  va_end(ap);
}

_Noreturn void err(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verr(status, fmt, ap);
}

_Noreturn void errx(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verrx(status, fmt, ap);
}
