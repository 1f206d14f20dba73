/*
 * occlum-ts: wasix-libc's sched.h hides the scheduling-policy calls ("WASI has no CPU scheduling
 * support"); sdk/libc/threads.c provides them (every thread SCHED_OTHER, priority 0), so POSIX
 * programs that ask compile unchanged. occlum-cc puts this folder ahead of the sysroot.
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
#ifdef __cplusplus
}
#endif
#endif
