/*
 * The terminal and login names, which wasix-libc declares but does not define (programs that used
 * them did not link): ctermid (always "/dev/tty", as glibc and musl), cuserid (the effective
 * user's name from the password database: every process runs as root here), getlogin and
 * getlogin_r (no login session is ever recorded: NULL / ENXIO, what Linux gives a process
 * started outside one).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

char *ctermid(char *s) {
  static char buf[L_ctermid];
  if (!s) s = buf;
  strcpy(s, "/dev/tty");
  return s;
}

char *cuserid(char *s) {
  static char buf[L_cuserid];
  if (!s) s = buf;
  struct passwd *pw = getpwuid(geteuid());
  if (!pw || strlen(pw->pw_name) >= L_cuserid) {
    s[0] = 0;
    return s;
  }
  strcpy(s, pw->pw_name);
  return s;
}

char *getlogin(void) {
  errno = ENXIO;
  return NULL;
}

int getlogin_r(char *name, size_t size) {
  (void)name;
  (void)size;
  return ENXIO;
}
