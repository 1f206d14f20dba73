/*
 * occlum-ts: wasix-libc has no sys/prctl.h and no prctl(). sdk/libc/prctl.c provides prctl() for
 * the options below that a thread can use here: PR_SET_NAME/PR_GET_NAME (the calling thread's
 * name, the kernel's comm) and PR_SET_PDEATHSIG/PR_GET_PDEATHSIG. Any other option fails with EINVAL, as Linux answers an option it
 * does not know. The constants are Linux's (uapi linux/prctl.h), so that code naming others
 * compiles and takes its "not supported" path.
 */
#ifndef _OCCLUM_SYS_PRCTL_H
#define _OCCLUM_SYS_PRCTL_H
#ifdef __cplusplus
extern "C" {
#endif

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_GET_KEEPCAPS 7
#define PR_SET_KEEPCAPS 8
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_GET_TIMERSLACK 30
#define PR_SET_TIMERSLACK 29
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39

int prctl(int option, ...);

#ifdef __cplusplus
}
#endif
#endif
