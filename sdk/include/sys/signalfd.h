/*
 * occlum-ts: signalfd, which wasix-libc lacks (Linux's sys/signalfd.h; sdk/libc/signalfd.c over
 * the kernel's, src/libos/process/signalfd.ts). occlum-cc puts this folder ahead of the sysroot.
 */
#ifndef _OCCLUM_SYS_SIGNALFD_H
#define _OCCLUM_SYS_SIGNALFD_H
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

#define SFD_NONBLOCK O_NONBLOCK
#define SFD_CLOEXEC O_CLOEXEC

struct signalfd_siginfo {
  uint32_t ssi_signo;
  int32_t ssi_errno;
  int32_t ssi_code;
  uint32_t ssi_pid;
  uint32_t ssi_uid;
  int32_t ssi_fd;
  uint32_t ssi_tid;
  uint32_t ssi_band;
  uint32_t ssi_overrun;
  uint32_t ssi_trapno;
  int32_t ssi_status;
  int32_t ssi_int;
  uint64_t ssi_ptr;
  uint64_t ssi_utime;
  uint64_t ssi_stime;
  uint64_t ssi_addr;
  uint16_t ssi_addr_lsb;
  uint16_t __pad2;
  int32_t ssi_syscall;
  uint64_t ssi_call_addr;
  uint32_t ssi_arch;
  uint8_t __pad[28];
};

int signalfd(int fd, const sigset_t *mask, int flags);

#ifdef __cplusplus
}
#endif
#endif
