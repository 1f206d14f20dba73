/*
 * occlum-ts: wasix-libc's pthread.h hides pthread_getschedparam ("WASI has no CPU scheduling
 * support"); sdk/libc/threads.c provides it (SCHED_OTHER, priority 0), and pthread_getname_np,
 * which the libc lacks. occlum-cc puts this folder ahead of the sysroot.
 */
#include_next <pthread.h>

#ifndef _OCCLUM_PTHREAD_H
#define _OCCLUM_PTHREAD_H
#ifdef __cplusplus
extern "C" {
#endif
int pthread_getschedparam(pthread_t, int *__restrict, struct sched_param *__restrict);
/* hidden by the libc with the rest of the scheduling API; sdk/libc/threads.c (the getter), libc.a */
int pthread_attr_getschedparam(const pthread_attr_t *__restrict, struct sched_param *__restrict);
int pthread_attr_setschedparam(pthread_attr_t *__restrict, const struct sched_param *__restrict);
#ifdef _GNU_SOURCE
int pthread_getname_np(pthread_t, char *, size_t);
#endif
#ifdef __cplusplus
}
#endif
#endif
