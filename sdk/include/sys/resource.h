/*
 * occlum-ts: Linux's getrusage selectors, and prlimit. wasix-libc's header numbers RUSAGE_SELF 1
 * and RUSAGE_CHILDREN 2 and has no RUSAGE_THREAD; sdk/libc/resource.c's getrusage takes Linux's
 * (SELF 0, CHILDREN -1, THREAD 1), which code written for Linux expects. Nothing in the libc
 * itself calls getrusage. prlimit (resource.c) is declared as glibc does, under _GNU_SOURCE;
 * getpriority/setpriority and the PRIO_* names, which the libc hides, too.
 * occlum-cc puts this folder ahead of the sysroot.
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
#ifndef PRIO_PROCESS
#define PRIO_MIN (-20)
#define PRIO_MAX 20
#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2
#endif
#include <sys/types.h>
int getpriority(int which, id_t who);
int setpriority(int which, id_t who, int prio);
#ifdef _GNU_SOURCE
int prlimit(pid_t pid, int resource, const struct rlimit *new_limit, struct rlimit *old_limit);
#endif
#endif
