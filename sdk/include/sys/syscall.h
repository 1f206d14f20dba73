/*
 * occlum-ts: wasix-libc's sys/syscall.h names no call ("The generic syscall function is not yet
 * implemented"). occlum-cc links a syscall() for the calls Linux programs make directly
 * (sdk/libc/syscall.c lists them), named here with x86-64's numbers (only the names matter). Any
 * other number fails with ENOSYS. occlum-cc puts this folder ahead
 * of the sysroot.
 */
#include_next <sys/syscall.h>

#ifndef _OCCLUM_SYS_SYSCALL_H
#define _OCCLUM_SYS_SYSCALL_H
#define SYS_sched_yield 24
#define SYS_nanosleep 35
#define SYS_getpid 39
#define SYS_getuid 102
#define SYS_getgid 104
#define SYS_geteuid 107
#define SYS_getegid 108
#define SYS_getppid 110
#define SYS_gettid 186
#define SYS_tkill 200
#define SYS_futex 202
#define SYS_sched_setaffinity 203
#define SYS_sched_getaffinity 204
#define SYS_clock_gettime 228
#define SYS_clock_getres 229
#define SYS_clock_nanosleep 230
#define SYS_exit_group 231
#define SYS_tgkill 234
#define SYS_getcpu 309
#define SYS_getrandom 318
#define __NR_sched_yield SYS_sched_yield
#define __NR_nanosleep SYS_nanosleep
#define __NR_getpid SYS_getpid
#define __NR_getuid SYS_getuid
#define __NR_getgid SYS_getgid
#define __NR_geteuid SYS_geteuid
#define __NR_getegid SYS_getegid
#define __NR_getppid SYS_getppid
#define __NR_gettid SYS_gettid
#define __NR_tkill SYS_tkill
#define __NR_futex SYS_futex
#define __NR_sched_setaffinity SYS_sched_setaffinity
#define __NR_sched_getaffinity SYS_sched_getaffinity
#define __NR_clock_gettime SYS_clock_gettime
#define __NR_clock_getres SYS_clock_getres
#define __NR_clock_nanosleep SYS_clock_nanosleep
#define __NR_exit_group SYS_exit_group
#define __NR_tgkill SYS_tgkill
#define __NR_getcpu SYS_getcpu
#define __NR_getrandom SYS_getrandom
#define SYS_getrlimit 97
#define SYS_getrusage 98
#define SYS_sysinfo 99
#define SYS_getpriority 140
#define SYS_setpriority 141
#define SYS_sched_setparam 142
#define SYS_sched_getparam 143
#define SYS_sched_setscheduler 144
#define SYS_sched_getscheduler 145
#define SYS_prctl 157
#define SYS_setrlimit 160
#define SYS_timerfd_create 283
#define SYS_timerfd_settime 286
#define SYS_timerfd_gettime 287
#define SYS_signalfd4 289
#define SYS_prlimit64 302
#define __NR_getrlimit SYS_getrlimit
#define __NR_getrusage SYS_getrusage
#define __NR_sysinfo SYS_sysinfo
#define __NR_getpriority SYS_getpriority
#define __NR_setpriority SYS_setpriority
#define __NR_sched_setparam SYS_sched_setparam
#define __NR_sched_getparam SYS_sched_getparam
#define __NR_sched_setscheduler SYS_sched_setscheduler
#define __NR_sched_getscheduler SYS_sched_getscheduler
#define __NR_prctl SYS_prctl
#define __NR_setrlimit SYS_setrlimit
#define __NR_timerfd_create SYS_timerfd_create
#define __NR_timerfd_settime SYS_timerfd_settime
#define __NR_timerfd_gettime SYS_timerfd_gettime
#define __NR_signalfd4 SYS_signalfd4
#define SYS_mq_open 240
#define SYS_mq_unlink 241
#define SYS_mq_timedsend 242
#define SYS_mq_timedreceive 243
#define SYS_mq_notify 244
#define SYS_mq_getsetattr 245
#define __NR_mq_open SYS_mq_open
#define __NR_mq_unlink SYS_mq_unlink
#define __NR_mq_timedsend SYS_mq_timedsend
#define __NR_mq_timedreceive SYS_mq_timedreceive
#define __NR_mq_notify SYS_mq_notify
#define __NR_mq_getsetattr SYS_mq_getsetattr
#define __NR_prlimit64 SYS_prlimit64
#endif
