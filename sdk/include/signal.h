/*
 * occlum-ts: wasix-libc's signal.h hides SIGRTMIN/SIGRTMAX ("WASI has no realtime signals"); the
 * kernel queues real-time signals as Linux does (src/libos/process/signals.ts) and
 * sdk/libc/signals.c provides sigqueue, so they are declared again here (the libc's own
 * __libc_current_sigrtmin/max: musl's 35 and 64); and pthread_sigqueue (sdk/libc/threads.c).
 * occlum-cc puts this folder ahead of the sysroot.
 */
#include_next <signal.h>

#ifndef _OCCLUM_SIGNAL_H
#define _OCCLUM_SIGNAL_H
#ifndef SIGRTMIN
#ifdef __cplusplus
extern "C" {
#endif
int __libc_current_sigrtmin(void);
int __libc_current_sigrtmax(void);
#ifdef __cplusplus
}
#endif
#define SIGRTMIN (__libc_current_sigrtmin())
#define SIGRTMAX (__libc_current_sigrtmax())
#endif
#ifdef _GNU_SOURCE
#ifdef __cplusplus
extern "C" {
#endif
/* sdk/libc/threads.c: a signal with a value to one thread (glibc's GNU extension). */
int pthread_sigqueue(pthread_t thread, int sig, const union sigval value);
#ifdef __cplusplus
}
#endif
#endif
#endif
