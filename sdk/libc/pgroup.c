/*
 * Process groups and sessions for Debian's wasix-libc, which keeps the group in a libc variable
 * (getpgid and setpgid work only on pid 0 and never reach the kernel), fails setsid and getsid
 * (EINVAL, always), returns kill()'s errno as its result, and ignores posix_spawn's
 * POSIX_SPAWN_SETPGROUP, POSIX_SPAWN_SETSID and POSIX_SPAWN_SETSIGMASK (waitpid, which took the
 * absolute value of its pid, is in wait.c).
 * These strong definitions replace those archive members and use occlum-ts's own imports
 * (module "occlum", docs/wasi-support.md). posix_spawn/posix_spawnp are wrapped (occlum-cc links
 * with --wrap for both): the attributes go to the kernel just before the libc's spawn.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api_wasix.h>

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))

int32_t __occlum_getpgid(int32_t pid, uint32_t *pgid) OCCLUM_IMPORT(getpgid);
int32_t __occlum_setpgid(int32_t pid, int32_t pgid) OCCLUM_IMPORT(setpgid);
int32_t __occlum_getsid(int32_t pid, uint32_t *sid) OCCLUM_IMPORT(getsid);
int32_t __occlum_setsid(uint32_t *sid) OCCLUM_IMPORT(setsid);
int32_t __occlum_spawn_attrs(int32_t flags, int32_t pgroup, uint64_t mask) OCCLUM_IMPORT(spawn_attrs);

/* The libc's tcgetpgrp/tcsetpgrp read this; defining it keeps its getpgrp member out. */
pid_t __wasilibc_pgrp;

pid_t getpgid(pid_t pid) {
  uint32_t g = 0;
  int e = __occlum_getpgid(pid, &g);
  if (e) { errno = e; return -1; }
  return (pid_t)g;
}

pid_t getpgrp(void) { return getpgid(0); }

int setpgid(pid_t pid, pid_t pgid) {
  int e = __occlum_setpgid(pid, pgid);
  if (e) { errno = e; return -1; }
  if (pid == 0 || pid == getpid()) __wasilibc_pgrp = getpgid(0);
  return 0;
}

pid_t setpgrp(void) { return setpgid(0, 0); }

pid_t getsid(pid_t pid) {
  uint32_t s = 0;
  int e = __occlum_getsid(pid, &s);
  if (e) { errno = e; return -1; }
  return (pid_t)s;
}

pid_t setsid(void) {
  uint32_t s = 0;
  int e = __occlum_setsid(&s);
  if (e) { errno = e; return -1; }
  __wasilibc_pgrp = (pid_t)s; /* a new group too */
  return (pid_t)s;
}

int kill(pid_t pid, int sig) {
  int e = __wasi_proc_signal(pid, (__wasi_signal_t)sig);
  if (e) { errno = e; return -1; }
  return 0;
}

static void send_attrs(const posix_spawnattr_t *attr) {
  uint64_t mask = 0;
  if (!attr) return;
  memcpy(&mask, &attr->__mask, sizeof mask);
  __occlum_spawn_attrs(attr->__flags, attr->__pgrp, mask);
}

int __real_posix_spawn(pid_t *restrict, const char *restrict, const posix_spawn_file_actions_t *,
                       const posix_spawnattr_t *restrict, char *const *restrict, char *const *restrict);
int __real_posix_spawnp(pid_t *restrict, const char *restrict, const posix_spawn_file_actions_t *,
                        const posix_spawnattr_t *restrict, char *const *restrict, char *const *restrict);

int __wrap_posix_spawn(pid_t *restrict pid, const char *restrict path, const posix_spawn_file_actions_t *fa,
                       const posix_spawnattr_t *restrict attr, char *const *restrict argv, char *const *restrict envp) {
  send_attrs(attr);
  int r = __real_posix_spawn(pid, path, fa, attr, argv, envp);
  if (attr) __occlum_spawn_attrs(0, 0, 0); /* proc_spawn2 took them, unless the libc failed first */
  return r;
}

int __wrap_posix_spawnp(pid_t *restrict pid, const char *restrict file, const posix_spawn_file_actions_t *fa,
                        const posix_spawnattr_t *restrict attr, char *const *restrict argv, char *const *restrict envp) {
  send_attrs(attr);
  int r = __real_posix_spawnp(pid, file, fa, attr, argv, envp);
  if (attr) __occlum_spawn_attrs(0, 0, 0);
  return r;
}
