/*
 * occlum-ts: Linux's getrusage selectors. wasix-libc's header numbers RUSAGE_SELF 1 and
 * RUSAGE_CHILDREN 2 and has no RUSAGE_THREAD; sdk/libc/resource.c's getrusage takes Linux's
 * (SELF 0, CHILDREN -1, THREAD 1), which code written for Linux expects. Nothing in the libc
 * itself calls getrusage. occlum-cc puts this folder ahead of the sysroot.
 */
#include_next <sys/resource.h>

#ifndef _OCCLUM_SYS_RESOURCE_H
#define _OCCLUM_SYS_RESOURCE_H
#undef RUSAGE_SELF
#undef RUSAGE_CHILDREN
#undef RUSAGE_THREAD
#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1
#endif
