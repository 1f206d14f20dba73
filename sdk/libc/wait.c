/*
 * waitpid and waitid for Debian's wasix-libc, through occlum-ts's own imports (module "occlum",
 * docs/wasi-support.md; the kernel side is src/libos/syscall/occlum/wait-rows.ts). The libc's
 * waitpid turns its pid into its absolute value (waitpid(-pgid) waited for the process pgid,
 * waitpid(0) for pid 0), ignores WCONTINUED (WASIX's proc_join has no "continued" status) and
 * every unknown option bit (Linux: EINVAL); the libc has no waitid. wait, wait3 and wait4 call
 * waitpid. Both are cancellation points: waitpid through cancelpoints.c's --wrap, waitid here.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>

#include "cancel.h"

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))

int32_t __occlum_waitpid(int32_t pid, int32_t options, int32_t *status, int32_t *rpid) OCCLUM_IMPORT(waitpid);
int32_t __occlum_waitid(int32_t idtype, int32_t id, int32_t options, int32_t *info) OCCLUM_IMPORT(waitid);

pid_t waitpid(pid_t pid, int *status, int options) {
  int32_t st = 0, r = 0;
  int e = __occlum_waitpid(pid, options, &st, &r);
  if (e) { errno = e; return -1; }
  if (r > 0 && status) *status = st;
  return r;
}

/* info: si_signo, si_code, si_pid, si_status from the kernel (all 0 when WNOHANG found nothing). */
static int waitid_once(idtype_t type, id_t id, siginfo_t *info, int options) {
  int32_t how[4] = {0, 0, 0, 0};
  int e = __occlum_waitid((int32_t)type, (int32_t)id, options, how);
  if (e) { errno = e; return -1; }
  if (info) {
    memset(info, 0, sizeof *info);
    info->si_signo = how[0];
    info->si_code = how[1];
    info->si_pid = how[2];
    info->si_uid = 0;
    info->si_status = how[3];
  }
  return 0;
}

int waitid(idtype_t type, id_t id, siginfo_t *info, int options) {
  return OCCLUM_CANCELLABLE(waitid_once(type, id, info, options));
}
