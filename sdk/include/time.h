/*
 * occlum-ts: wasix-libc's time.h hides the POSIX timer functions ("WASI has no timers") and
 * clock_getcpuclockid; sdk/libc/timers.c and resource.c provide them over the kernel's. occlum-cc puts this folder ahead of
 * the sysroot.
 */
#include_next <time.h>

#ifndef _OCCLUM_TIME_H
#define _OCCLUM_TIME_H
#ifdef __cplusplus
extern "C" {
#endif
struct sigevent;
int timer_create(clockid_t, struct sigevent *__restrict, timer_t *__restrict);
int timer_delete(timer_t);
int timer_settime(timer_t, int, const struct itimerspec *__restrict, struct itimerspec *__restrict);
int timer_gettime(timer_t, struct itimerspec *);
int timer_getoverrun(timer_t);
int clock_getcpuclockid(pid_t, clockid_t *);
#ifdef __cplusplus
}
#endif
#endif
