/*
 * occlum-ts: wasix-libc's sys/wait.h hides waitid (it has none); occlum-cc links one
 * (sdk/libc/wait.c: WEXITED, WSTOPPED, WCONTINUED, WNOHANG, WNOWAIT through the kernel), so POSIX
 * programs that call it compile unchanged. occlum-cc puts this folder ahead of the sysroot.
 */
#include_next <sys/wait.h>

#ifndef _OCCLUM_SYS_WAIT_H
#define _OCCLUM_SYS_WAIT_H
#include <signal.h>
#ifdef __cplusplus
extern "C" {
#endif
int waitid(idtype_t, id_t, siginfo_t *, int);
#ifdef __cplusplus
}
#endif
#endif
