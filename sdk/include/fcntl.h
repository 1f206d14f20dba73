/*
 * occlum-ts: wasix-libc's fcntl.h declares struct flock but hides the lock commands ("WASI has no
 * POSIX file locking"). The kernel keeps record locks, OFD locks and flock() locks as Linux does
 * (src/libos/fs/locks.ts); sdk/libc/locks.c's fcntl wrapper hands these commands to it. Their
 * values are the libc's own ABI (F_GETLK..F_SETLKW must not collide with the libc's F_GETFD..
 * F_DUPFD_CLOEXEC, 1-6); F_OFD_* and the lock types are Linux's. occlum-cc puts this folder ahead
 * of the sysroot.
 */
#include_next <fcntl.h>

#ifndef _OCCLUM_FCNTL_H
#define _OCCLUM_FCNTL_H
#ifndef F_GETLK
#define F_GETLK 12
#define F_SETLK 13
#define F_SETLKW 14
#endif
#ifndef F_RDLCK
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#endif
#if defined(_GNU_SOURCE) && !defined(F_OFD_GETLK)
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif
#if (defined(_LARGEFILE64_SOURCE) || defined(_GNU_SOURCE)) && !defined(F_GETLK64)
#define F_GETLK64 F_GETLK
#define F_SETLK64 F_SETLK
#define F_SETLKW64 F_SETLKW
#define flock64 flock
#endif
#endif
