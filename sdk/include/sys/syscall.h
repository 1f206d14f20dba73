/*
 * occlum-ts: wasix-libc's sys/syscall.h names no call ("The generic syscall function is not yet
 * implemented"). occlum-cc links a syscall() for the calls Linux programs make directly where no
 * libc function exists (sdk/libc/syscall.c): SYS_futex and SYS_gettid, with x86-64's numbers
 * (only the names matter). Any other number fails with ENOSYS. occlum-cc puts this folder ahead
 * of the sysroot.
 */
#include_next <sys/syscall.h>

#ifndef _OCCLUM_SYS_SYSCALL_H
#define _OCCLUM_SYS_SYSCALL_H
#define SYS_gettid 186
#define SYS_futex 202
#define __NR_gettid SYS_gettid
#define __NR_futex SYS_futex
#endif
