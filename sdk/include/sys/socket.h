/*
 * occlum-ts: wasix-libc's sys/socket.h leaves out the control-message API (struct cmsghdr, the
 * CMSG_* macros, SCM_RIGHTS), which exists only in its "unmodified upstream" branch. occlum-cc
 * links a sendmsg/recvmsg that pass fds (sdk/libc/sockets.c), so the declarations come back here,
 * as musl has them (wasm32: no padding). occlum-cc puts this folder ahead of the sysroot.
 */
#include_next <sys/socket.h>

#ifndef _OCCLUM_SYS_SOCKET_H
#define _OCCLUM_SYS_SOCKET_H
#ifndef SCM_RIGHTS
struct cmsghdr {
  socklen_t cmsg_len;
  int cmsg_level;
  int cmsg_type;
};

#define __CMSG_LEN(cmsg) (((cmsg)->cmsg_len + sizeof(long) - 1) & ~(long)(sizeof(long) - 1))
#define __CMSG_NEXT(cmsg) ((unsigned char *)(cmsg) + __CMSG_LEN(cmsg))
#define __MHDR_END(mhdr) ((unsigned char *)(mhdr)->msg_control + (mhdr)->msg_controllen)

#define CMSG_DATA(cmsg) ((unsigned char *)(((struct cmsghdr *)(cmsg)) + 1))
#define CMSG_NXTHDR(mhdr, cmsg) ((cmsg)->cmsg_len < sizeof(struct cmsghdr) || \
  __CMSG_LEN(cmsg) + sizeof(struct cmsghdr) >= (size_t)(__MHDR_END(mhdr) - (unsigned char *)(cmsg)) \
  ? 0 : (struct cmsghdr *)__CMSG_NEXT(cmsg))
#define CMSG_FIRSTHDR(mhdr) ((size_t)(mhdr)->msg_controllen >= sizeof(struct cmsghdr) ? (struct cmsghdr *)(mhdr)->msg_control : (struct cmsghdr *)0)

#define CMSG_ALIGN(len) (((len) + sizeof(size_t) - 1) & (size_t)~(sizeof(size_t) - 1))
#define CMSG_SPACE(len) (CMSG_ALIGN(len) + CMSG_ALIGN(sizeof(struct cmsghdr)))
#define CMSG_LEN(len) (CMSG_ALIGN(sizeof(struct cmsghdr)) + (len))

#define SCM_RIGHTS 0x01
#define SCM_CREDENTIALS 0x02
#endif
/*
 * SO_PASSCRED / SO_PEERCRED: the libc has no such options (its SO_* are WASIX's option enum, which
 * has none for credentials). sdk/libc/sockets.c serves these two through occlum-ts's own calls;
 * the values lie outside that enum (Linux's 16 and 17 are SO_SNDBUF and SO_RCVLOWAT there).
 */
#ifndef SO_PASSCRED
#define SO_PASSCRED 0x10010
#define SO_PEERCRED 0x10011
#endif
/* SO_DOMAIN and SO_PRIORITY, which the WASIX enum lacks too: served by sdk/libc/sockets.c as well. */
#ifndef SO_DOMAIN
#define SO_DOMAIN 0x10027
#endif
#ifndef SO_PRIORITY
#define SO_PRIORITY 0x1000c
#endif
#endif
