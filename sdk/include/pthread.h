/*
 * occlum-ts: wasix-libc's pthread.h hides pthread_getschedparam, pthread_setschedparam and
 * pthread_setschedprio ("WASI has no CPU scheduling support"); sdk/libc/threads.c provides them
 * over the kernel's per-thread policies, and pthread_getname_np, which the libc lacks. occlum-cc puts this folder ahead of the sysroot.
 */
#include_next <pthread.h>

#ifndef _OCCLUM_PTHREAD_H
#define _OCCLUM_PTHREAD_H
#ifdef __cplusplus
extern "C" {
#endif
int pthread_getschedparam(pthread_t, int *__restrict, struct sched_param *__restrict);
int pthread_setschedparam(pthread_t, int, const struct sched_param *);
int pthread_setschedprio(pthread_t, int);
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
