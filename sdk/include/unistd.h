/*
 * occlum-ts: wasix-libc's unistd.h leaves out pause() ("WASI has no pause"); occlum-cc links one
 * (sdk/libc/signals.c: sigsuspend with the current mask), so POSIX programs that call it compile
 * unchanged; likewise gettid() (sdk/libc/threads.c), lockf() (sdk/libc/locks.c) and syscall() (sdk/libc/syscall.c). occlum-cc puts this folder ahead of the
 * sysroot in POSIX mode.
 */
#include_next <unistd.h>

#ifndef _OCCLUM_UNISTD_H
#define _OCCLUM_UNISTD_H
#ifdef __cplusplus
extern "C" {
#endif
int pause(void);
/* hidden by the libc ("WASI has no eaccess" block); sdk/libc/threads.c */
pid_t gettid(void);
/* hidden by the libc ("WASI has no POSIX file locking"); sdk/libc/locks.c (F_LOCK.. it declares) */
int lockf(int, int, off_t);
/* hidden by the libc (no generic syscall); sdk/libc/syscall.c (sys/syscall.h names the calls) */
long syscall(long, ...);
/* hidden by the libc ("WASI has no process priorities"); sdk/libc/resource.c */
int nice(int);
#if defined(_LARGEFILE64_SOURCE) || defined(_GNU_SOURCE)
#define lockf64 lockf
#endif
#ifdef __cplusplus
}
#endif
#endif
