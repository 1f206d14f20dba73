/*
 * occlum-ts: wasix-libc's sched.h hides the scheduling-policy calls ("WASI has no CPU scheduling
 * support"); sdk/libc/threads.c provides them over the kernel's per-thread policies (kept and
 * reported), so POSIX programs that ask compile unchanged. occlum-cc puts this folder ahead of the sysroot.
 */
#include_next <sched.h>

#ifndef _OCCLUM_SCHED_H
#define _OCCLUM_SCHED_H
#ifdef __cplusplus
extern "C" {
#endif
int sched_get_priority_max(int);
int sched_get_priority_min(int);
int sched_getparam(pid_t, struct sched_param *);
int sched_getscheduler(pid_t);
int sched_setscheduler(pid_t, int, const struct sched_param *);
int sched_setparam(pid_t, const struct sched_param *);
#ifdef __cplusplus
}
#endif
#endif
