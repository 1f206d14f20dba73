/*
 * Sockets fixes for Debian's wasix-libc, linked into every POSIX program (occlum-cc passes --wrap
 * for each wrapped call; see sdk/cc/posix.ts).
 *
 * 1. sendmsg/recvmsg with SCM_RIGHTS, and MSG_NOSIGNAL: the libc ignores msg_control and keeps
 *    only MSG_DONTWAIT of the flags. sendmsg and recvmsg always, and send/sendto when asked for
 *    MSG_NOSIGNAL, go through occlum-ts's own calls sock_sendmsg / sock_recvmsg (module "occlum",
 *    src/libos/syscall/wasix/sock-rows.ts), which take Linux MSG_* flags, the fds to pass and
 *    return the fds received (installed by the kernel; the cmsghdr is built here).
 *
 * 2. Named AF_UNIX addresses. Its bind(), connect() and sendto() do convert
 * AF_UNIX sockaddrs (to __wasi_addr_port_t's 108-byte unix arm), but they take addrlen - 2 as the
 * path length and fail (errno 0xffff) when it exceeds 107: so every program that passes
 * sizeof(struct sockaddr_un) (112 here), the usual idiom, fails. These wrappers (occlum-cc links
 * with --wrap=bind,--wrap=connect,--wrap=sendto) cut the length to the path's own before calling
 * the libc: a pathname ends at its NUL; an abstract name (leading NUL) keeps its given length,
 * capped at what the ABI carries. Linux's 108-byte unterminated paths do not fit the ABI
 * (ENAMETOOLONG here). The kernel side is in src/libos/net/unix-path.ts.
 *
 * The other direction is broken too: the libc's conversion of a unix __wasi_addr_port_t back to a
 * sockaddr sets the length but never copies the address out. getsockname, getpeername, accept(4)
 * and recvfrom (--wrap for each) therefore ask the kernel for the address themselves when the
 * socket is AF_UNIX, and leave inet sockets to the libc.
 *
 * 3. Credentials: SCM_CREDENTIALS in sendmsg/recvmsg (sock_sendmsg_v2 / sock_recvmsg_v2), and
 * SO_PASSCRED / SO_PEERCRED, which the libc's getsockopt/setsockopt cannot name (sdk/include/sys/
 * socket.h defines them): --wrap=getsockopt,setsockopt hands these two, and the int options the
 * libc failed with ENOPROTOOPT (linux_int_option: TCP_CORK, TCP keepalive tuning, TCP_USER_TIMEOUT,
 * TCP_DEFER_ACCEPT, IP_TOS, IP_TTL, IPV6_UNICAST_HOPS, IPV6_TCLASS, SO_PRIORITY, SO_RCVLOWAT,
 * SO_SNDLOWAT), to
 * sock_getsockopt / sock_setsockopt in Linux numbering and everything else to the libc.
 *
 * 4. Where the libc's conversions differ from Linux (found by test/guest/net/conform_sock_*.c,
 * built natively as the reference): setsockopt of an on/off option (SO_REUSEADDR, SO_KEEPALIVE,
 * TCP_NODELAY, IPV6_V6ONLY...) passes `optval != NULL` instead of `*optval`, so 0 turns it on;
 * getsockopt reports SO_ERROR and SO_PROTOCOL as 0 always, has no SO_DOMAIN, and sets *optlen to
 * the full size even when the caller's buffer was shorter; a level it cannot name fails with
 * ENOSYS (Linux: ENOPROTOOPT, EOPNOTSUPP on AF_UNIX); getsockname of a non-socket claims an
 * unnamed AF_UNIX socket (Linux: ENOTSOCK); recv/recvfrom with MSG_TRUNC pass a flag the ABI
 * lacks (EINVAL) and drop MSG_OOB; bind/connect with a too-short address fail with errno 0xffff (Linux: EINVAL);
 * socket() and socketpair() drop SOCK_NONBLOCK and SOCK_CLOEXEC (type & 0xff).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <wasi/api_wasix.h>

#include "cancel.h"
#include "wrap.h"

int __real_bind(int fd, const struct sockaddr *addr, socklen_t len);
int __real_connect(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t __real_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len);

/* The ABI's unix arm holds 108 bytes, the libc keeps one for a NUL. */
#define ABI_PATH_MAX 107

/* The length to hand the libc, or -1 with errno set. */
static long unix_len(const struct sockaddr *addr, socklen_t len) {
  if (!addr || len <= offsetof(struct sockaddr_un, sun_path) || addr->sa_family != AF_UNIX) return len;
  const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
  size_t room = len - offsetof(struct sockaddr_un, sun_path);
  if (room > sizeof un->sun_path) room = sizeof un->sun_path;
  size_t n;
  if (un->sun_path[0] == '\0') {
    n = room > ABI_PATH_MAX ? ABI_PATH_MAX : room;
  } else {
    n = strnlen(un->sun_path, room);
    if (n > ABI_PATH_MAX) {
      errno = ENAMETOOLONG;
      return -1;
    }
  }
  return (long)(offsetof(struct sockaddr_un, sun_path) + n);
}

/* Linux's EINVAL for an address shorter than its family's (inet6: without sin6_scope_id, RFC 2133). */
static int short_addr(const struct sockaddr *addr, socklen_t len) {
  if (!addr) return 0;
  int bad = len < sizeof(sa_family_t) ||
            (addr->sa_family == AF_INET && len < sizeof(struct sockaddr_in)) ||
            (addr->sa_family == AF_INET6 && len < offsetof(struct sockaddr_in6, sin6_scope_id)) ||
            (addr->sa_family == AF_UNIX && len <= offsetof(struct sockaddr_un, sun_path));
  if (bad) errno = EINVAL;
  return bad;
}

int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len) {
  if (short_addr(addr, len)) return -1;
  long l = unix_len(addr, len);
  return l < 0 ? -1 : __real_bind(fd, addr, (socklen_t)l);
}

static int connect_fixed(int fd, const struct sockaddr *addr, socklen_t len) {
  if (short_addr(addr, len)) return -1;
  if (addr && addr->sa_family == AF_UNSPEC) {
    /* a datagram socket's disconnect: the libc cannot convert AF_UNSPEC, the kernel takes tag 0 */
    __wasi_addr_port_t ap;
    memset(&ap, 0, sizeof ap);
    __wasi_errno_t e = __wasi_sock_connect(fd, &ap);
    if (e) {
      errno = e;
      return -1;
    }
    return 0;
  }
  long l = unix_len(addr, len);
  return l < 0 ? -1 : __real_connect(fd, addr, (socklen_t)l);
}

static ssize_t sendmsg_fixed(int fd, const struct msghdr *msg, int flags);

static ssize_t sendto_fixed(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len) {
  if (flags & MSG_NOSIGNAL) {
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = n};
    struct msghdr m = {.msg_name = (void *)addr, .msg_namelen = addr ? len : 0, .msg_iov = &iov, .msg_iovlen = 1};
    return sendmsg_fixed(fd, &m, flags);
  }
  long l = unix_len(addr, len);
  return l < 0 ? -1 : __real_sendto(fd, buf, n, flags, addr, (socklen_t)l);
}

int __real_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int __real_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
int __real_accept(int fd, struct sockaddr *addr, socklen_t *len);
int __real_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
ssize_t __real_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *len);

/* Linux's result: family, then the path with its NUL (pathnames), the name (abstract), or nothing
 * (unnamed); truncated to the caller's buffer, *len set to the full size. */
static void unix_out(const __wasi_addr_port_t *ap, struct sockaddr *addr, socklen_t *len) {
  struct sockaddr_un un;
  memset(&un, 0, sizeof un);
  un.sun_family = AF_UNIX;
  const char *p = (const char *)&ap->u;
  size_t n;
  if (p[0] != '\0') n = strnlen(p, 108) + 1;
  else n = p[1] == '\0' ? 0 : 1 + strnlen(p + 1, 107);
  memcpy(un.sun_path, p, n > sizeof un.sun_path ? sizeof un.sun_path : n);
  socklen_t full = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
  memcpy(addr, &un, *len < full ? *len : full);
  *len = full;
}

/* The socket's own address if it is an AF_UNIX socket (tag 3), else 0. */
static int unix_local(int fd, __wasi_addr_port_t *ap) {
  return __wasi_sock_addr_local(fd, ap) == 0 && ap->tag == __WASI_ADDRESS_FAMILY_UNIX;
}

int __wrap_getsockname(int fd, struct sockaddr *addr, socklen_t *len) {
  __wasi_addr_port_t ap;
  __wasi_errno_t e = __wasi_sock_addr_local(fd, &ap);
  if (e == __WASI_ERRNO_NOTSOCK) { /* the libc would claim an unnamed unix socket */
    errno = ENOTSOCK;
    return -1;
  }
  if (addr && len && e == 0 && ap.tag == __WASI_ADDRESS_FAMILY_UNIX) {
    unix_out(&ap, addr, len);
    return 0;
  }
  return __real_getsockname(fd, addr, len);
}

int __wrap_getpeername(int fd, struct sockaddr *addr, socklen_t *len) {
  __wasi_addr_port_t ap;
  if (addr && len && __wasi_sock_addr_peer(fd, &ap) == 0 && ap.tag == __WASI_ADDRESS_FAMILY_UNIX) {
    unix_out(&ap, addr, len);
    return 0;
  }
  return __real_getpeername(fd, addr, len);
}

static int fix_accepted(int c, struct sockaddr *addr, socklen_t *len) {
  __wasi_addr_port_t ap;
  if (c >= 0 && addr && len && __wasi_sock_addr_peer(c, &ap) == 0 && ap.tag == __WASI_ADDRESS_FAMILY_UNIX) unix_out(&ap, addr, len);
  return c;
}

static int accept_fixed(int fd, struct sockaddr *addr, socklen_t *len) {
  return fix_accepted(__real_accept(fd, addr, len), addr, len);
}

static int accept4_fixed(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  int c = fix_accepted(__real_accept4(fd, addr, len, flags), addr, len);
  /* the libc passes SOCK_NONBLOCK on and drops SOCK_CLOEXEC */
  if (c >= 0 && (flags & SOCK_CLOEXEC) && fcntl(c, F_SETFD, FD_CLOEXEC) < 0) return occlum_close_failed(c);
  return c;
}

static ssize_t recvmsg_fixed(int fd, struct msghdr *msg, int flags);

/* MSG_TRUNC (the datagram's full length) and MSG_OOB: only sock_recvmsg takes them (the libc's
 * recv maps MSG_TRUNC to a flag the ABI lacks and drops MSG_OOB). */
static ssize_t recv_trunc(int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *len) {
  struct iovec iov = {.iov_base = buf, .iov_len = n};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  if (addr && len) {
    m.msg_name = addr;
    m.msg_namelen = *len;
  }
  ssize_t r = recvmsg_fixed(fd, &m, flags);
  if (r >= 0 && addr && len) *len = m.msg_namelen;
  return r;
}

ssize_t __real_recv(int fd, void *buf, size_t n, int flags);

static ssize_t recv_fixed(int fd, void *buf, size_t n, int flags) {
  if (flags & (MSG_TRUNC | MSG_OOB)) return recv_trunc(fd, buf, n, flags, NULL, NULL);
  return __real_recv(fd, buf, n, flags);
}

static ssize_t recvfrom_fixed(int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *len) {
  if (flags & (MSG_TRUNC | MSG_OOB)) return recv_trunc(fd, buf, n, flags, addr, len);
  __wasi_addr_port_t ap;
  if (!addr || !len || !unix_local(fd, &ap)) return __real_recvfrom(fd, buf, n, flags, addr, len);
  __wasi_iovec_t iov = {.buf = buf, .buf_len = n};
  __wasi_riflags_t ri = 0;
  if (flags & MSG_PEEK) ri |= __WASI_RIFLAGS_RECV_PEEK;
  if (flags & MSG_WAITALL) ri |= __WASI_RIFLAGS_RECV_WAITALL;
  if (flags & MSG_DONTWAIT) ri |= __WASI_RIFLAGS_RECV_DONT_WAIT;
  __wasi_size_t got = 0;
  __wasi_roflags_t ro = 0;
  memset(&ap, 0, sizeof ap);
  __wasi_errno_t e = __wasi_sock_recv_from(fd, &iov, 1, ri, &got, &ro, &ap);
  if (e) {
    errno = e;
    return -1;
  }
  if (ap.tag == __WASI_ADDRESS_FAMILY_UNIX) unix_out(&ap, addr, len);
  else *len = 0;
  return (ssize_t)got;
}

/* ---- 1. sendmsg / recvmsg ----------------------------------------------------------------- */

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))

int32_t __occlum_sock_sendmsg(int32_t fd, const struct iovec *iov, size_t iovlen, int32_t flags,
                              const __wasi_addr_port_t *addr, const int32_t *fds, int32_t nfds,
                              uint32_t *sent) OCCLUM_IMPORT(sock_sendmsg);
int32_t __occlum_sock_recvmsg(int32_t fd, const struct iovec *iov, size_t iovlen, int32_t flags,
                              int32_t *fds, int32_t maxfds, __wasi_addr_port_t *addr,
                              uint32_t *got, uint32_t *nfds, uint32_t *msg_flags) OCCLUM_IMPORT(sock_recvmsg);
int32_t __occlum_sock_sendmsg_v2(int32_t fd, const struct iovec *iov, size_t iovlen, int32_t flags,
                                 const __wasi_addr_port_t *addr, const int32_t *fds, int32_t nfds,
                                 const struct ucred *cred, uint32_t *sent) OCCLUM_IMPORT(sock_sendmsg_v2);
int32_t __occlum_sock_recvmsg_v2(int32_t fd, const struct iovec *iov, size_t iovlen, int32_t flags,
                                 int32_t *fds, int32_t maxfds, __wasi_addr_port_t *addr, struct ucred *cred,
                                 uint32_t *got, uint32_t *nfds, uint32_t *msg_flags, uint32_t *has_cred)
    OCCLUM_IMPORT(sock_recvmsg_v2);
int32_t __occlum_sock_setsockopt(int32_t fd, int32_t level, int32_t name, const void *val, uint32_t len)
    OCCLUM_IMPORT(sock_setsockopt);
int32_t __occlum_sock_getsockopt(int32_t fd, int32_t level, int32_t name, void *val, uint32_t *len)
    OCCLUM_IMPORT(sock_getsockopt);
ssize_t __real_send(int fd, const void *buf, size_t n, int flags);

/* Linux numbering of what sock_getsockopt / sock_setsockopt take. */
#define LINUX_SOL_SOCKET 1
#define LINUX_SO_PASSCRED 16
#define LINUX_SO_PEERCRED 17
#define LINUX_SO_ERROR 4
#define LINUX_SO_PROTOCOL 38
#define LINUX_SO_DOMAIN 39
#define LINUX_SO_PRIORITY 12
#define LINUX_SO_RCVLOWAT 18
#define LINUX_SO_SNDLOWAT 19

#define SCM_MAX_FD 253

/* sockaddr -> __wasi_addr_port_t (layout: sdk notes in src/libos/syscall/wasix/sock-codecs.ts). */
static int to_wasi(const struct sockaddr *sa, socklen_t len, __wasi_addr_port_t *ap) {
  uint8_t *b = (uint8_t *)ap;
  memset(ap, 0, sizeof *ap);
  if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    uint16_t port = ntohs(in->sin_port);
    b[0] = __WASI_ADDRESS_FAMILY_INET4;
    memcpy(b + 2, &port, 2);
    memcpy(b + 4, &in->sin_addr, 4);
    return 0;
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    uint16_t port = ntohs(in6->sin6_port), w[4];
    uint32_t fl = in6->sin6_flowinfo, sc = in6->sin6_scope_id;
    w[0] = fl >> 16; w[1] = fl & 0xffff; w[2] = sc >> 16; w[3] = sc & 0xffff;
    b[0] = __WASI_ADDRESS_FAMILY_INET6;
    memcpy(b + 2, &port, 2);
    memcpy(b + 4, &in6->sin6_addr, 16);
    memcpy(b + 20, w, 8);
    return 0;
  }
  if (sa->sa_family == AF_UNIX) {
    long l = unix_len(sa, len);
    if (l < 0) return -1;
    b[0] = __WASI_ADDRESS_FAMILY_UNIX;
    memcpy(b + 2, ((const struct sockaddr_un *)sa)->sun_path, l - offsetof(struct sockaddr_un, sun_path));
    return 0;
  }
  errno = EAFNOSUPPORT;
  return -1;
}

/* __wasi_addr_port_t -> sockaddr, truncated to *len, *len set to the full size. */
static void from_wasi(const __wasi_addr_port_t *ap, struct sockaddr *sa, socklen_t *len) {
  const uint8_t *b = (const uint8_t *)ap;
  uint16_t port;
  memcpy(&port, b + 2, 2);
  if (b[0] == __WASI_ADDRESS_FAMILY_INET4) {
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(port)};
    memcpy(&in.sin_addr, b + 4, 4);
    memcpy(sa, &in, *len < sizeof in ? *len : sizeof in);
    *len = sizeof in;
  } else if (b[0] == __WASI_ADDRESS_FAMILY_INET6) {
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    uint16_t w[4];
    memcpy(&in6.sin6_addr, b + 4, 16);
    memcpy(w, b + 20, 8);
    in6.sin6_flowinfo = (uint32_t)w[0] << 16 | w[1];
    in6.sin6_scope_id = (uint32_t)w[2] << 16 | w[3];
    memcpy(sa, &in6, *len < sizeof in6 ? *len : sizeof in6);
    *len = sizeof in6;
  } else if (b[0] == __WASI_ADDRESS_FAMILY_UNIX) {
    unix_out(ap, sa, len);
  } else {
    *len = 0;
  }
}

static ssize_t sendmsg_fixed(int fd, const struct msghdr *msg, int flags) {
  int32_t fds[SCM_MAX_FD];
  int nfds = 0;
  struct ucred cred;
  int has_cred = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      if (c->cmsg_len != CMSG_LEN(sizeof cred)) {
        errno = EINVAL;
        return -1;
      }
      memcpy(&cred, CMSG_DATA(c), sizeof cred);
      has_cred = 1;
      continue;
    }
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0)) {
      errno = EINVAL;
      return -1;
    }
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    if (nfds + n > SCM_MAX_FD) {
      errno = EINVAL;
      return -1;
    }
    memcpy(fds + nfds, CMSG_DATA(c), n * sizeof(int));
    nfds += (int)n;
  }
  __wasi_addr_port_t ap;
  if (msg->msg_name && msg->msg_namelen > 0 && to_wasi(msg->msg_name, msg->msg_namelen, &ap) < 0) return -1;
  uint32_t sent = 0;
  int32_t e = has_cred
    ? __occlum_sock_sendmsg_v2(fd, msg->msg_iov, msg->msg_iovlen, flags,
                               msg->msg_name && msg->msg_namelen > 0 ? &ap : NULL, fds, nfds, &cred, &sent)
    : __occlum_sock_sendmsg(fd, msg->msg_iov, msg->msg_iovlen, flags,
                            msg->msg_name && msg->msg_namelen > 0 ? &ap : NULL, fds, nfds, &sent);
  if (e) {
    errno = e;
    return -1;
  }
  return (ssize_t)sent;
}

static ssize_t send_fixed(int fd, const void *buf, size_t n, int flags) {
  if (!(flags & MSG_NOSIGNAL)) return __real_send(fd, buf, n, flags);
  struct iovec iov = {.iov_base = (void *)buf, .iov_len = n};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  return sendmsg_fixed(fd, &m, flags);
}

static ssize_t recvmsg_fixed(int fd, struct msghdr *msg, int flags) {
  /* With SO_PASSCRED the credentials come first (as Linux's scm_recv), the fds after them. */
  size_t room = msg->msg_control ? msg->msg_controllen : 0;
  int32_t passcred = 0;
  uint32_t optlen = sizeof passcred;
  if (room > 0 && __occlum_sock_getsockopt(fd, LINUX_SOL_SOCKET, LINUX_SO_PASSCRED, &passcred, &optlen) != 0) passcred = 0;
  size_t cred_space = passcred && room >= CMSG_SPACE(sizeof(struct ucred)) ? CMSG_SPACE(sizeof(struct ucred)) : 0;
  int maxfds = 0;
  if (room >= cred_space + CMSG_LEN(sizeof(int))) {
    maxfds = (int)((room - cred_space - CMSG_LEN(0)) / sizeof(int));
    if (maxfds > SCM_MAX_FD) maxfds = SCM_MAX_FD;
  }
  int32_t fds[SCM_MAX_FD];
  __wasi_addr_port_t ap;
  struct ucred cred;
  uint32_t got = 0, nfds = 0, mflags = 0, has_cred = 0;
  int32_t e = __occlum_sock_recvmsg_v2(fd, msg->msg_iov, msg->msg_iovlen, flags, fds, maxfds,
                                       msg->msg_name ? &ap : NULL, &cred, &got, &nfds, &mflags, &has_cred);
  if (e) {
    errno = e;
    return -1;
  }
  if (msg->msg_name) from_wasi(&ap, msg->msg_name, &msg->msg_namelen);
  size_t used = 0;
  if (has_cred) {
    if (cred_space > 0) {
      struct cmsghdr *c = (struct cmsghdr *)msg->msg_control;
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_CREDENTIALS;
      c->cmsg_len = CMSG_LEN(sizeof cred);
      memcpy(CMSG_DATA(c), &cred, sizeof cred);
      used = cred_space;
    } else if (room > 0) {
      mflags |= MSG_CTRUNC; /* no room for them, as put_cmsg */
    }
  }
  if (nfds > 0) {
    struct cmsghdr *c = (struct cmsghdr *)((unsigned char *)msg->msg_control + used);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    used += CMSG_SPACE(nfds * sizeof(int));
  }
  if (msg->msg_control) msg->msg_controllen = used < msg->msg_controllen ? used : msg->msg_controllen;
  else msg->msg_controllen = 0;
  msg->msg_flags = (int)mflags;
  return (ssize_t)got;
}

/* ---- 3. SO_PASSCRED / SO_PEERCRED ------------------------------------------------------------- */

int __real_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int __real_getsockopt(int fd, int level, int name, void *val, socklen_t *len);

/* ---- 4. socket flags, get/setsockopt as Linux ------------------------------------------------ */

int __real_socket(int domain, int type, int proto);
int __real_socketpair(int domain, int type, int proto, int fds[2]);

/* SOCK_NONBLOCK / SOCK_CLOEXEC onto a new fd (0, or -1 with errno set). */
static int sock_flags(int fd, int type) {
  if ((type & SOCK_NONBLOCK) && fcntl(fd, F_SETFL, O_NONBLOCK) < 0) return -1;
  if ((type & SOCK_CLOEXEC) && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return -1;
  return 0;
}

int __wrap_socket(int domain, int type, int proto) {
  int fd = __real_socket(domain, type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), proto);
  if (fd >= 0 && sock_flags(fd, type) < 0) return occlum_close_failed(fd);
  return fd;
}

int __wrap_socketpair(int domain, int type, int proto, int fds[2]) {
  int r = __real_socketpair(domain, type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), proto, fds);
  if (r == 0 && (sock_flags(fds[0], type) < 0 || sock_flags(fds[1], type) < 0)) {
    (void)__wasi_fd_close(fds[0]);
    return occlum_close_failed(fds[1]);
  }
  return r;
}

/* ---- get/setsockopt as Linux --------------------------------------------------------------- */

/* The WASIX option behind an on/off option, or -1. */
static int flag_option(int level, int name) {
  if (level == IPPROTO_TCP) return name == TCP_NODELAY ? __WASI_SOCK_OPTION_NO_DELAY : -1;
  if (level == IPPROTO_IPV6) return name == IPV6_V6ONLY ? __WASI_SOCK_OPTION_ONLY_V6 : -1;
  if (level != SOL_SOCKET) return -1;
  switch (name) {
    case SO_REUSEPORT: case SO_REUSEADDR: case SO_NODELAY: case SO_DONTROUTE: case SO_ONLYV6:
    case SO_BROADCAST: case SO_MCASTLOOPV4: case SO_MCASTLOOPV6: case SO_ACCEPTCONN:
    case SO_KEEPALIVE: case SO_OOBINLINE:
      return name;
    default:
      return -1;
  }
}

/* Int options WASIX cannot name, numbered as Linux (and the libc's headers, so level and name pass
 * through): TCP_CORK, TCP_KEEPIDLE/KEEPINTVL/KEEPCNT, TCP_USER_TIMEOUT, TCP_DEFER_ACCEPT, TCP_QUICKACK, IP_TOS, IP_TTL,
 * IPV6_UNICAST_HOPS, IPV6_TCLASS, SO_PRIORITY, SO_RCVLOWAT, SO_SNDLOWAT. */
static int linux_int_option(int level, int name) {
  switch (level) {
    case IPPROTO_TCP:
      return name == TCP_CORK || name == TCP_KEEPIDLE || name == TCP_KEEPINTVL || name == TCP_KEEPCNT ||
             name == TCP_USER_TIMEOUT || name == TCP_DEFER_ACCEPT || name == TCP_QUICKACK;
    case IPPROTO_IP: return name == IP_TOS || name == IP_TTL;
    case IPPROTO_IPV6: return name == IPV6_UNICAST_HOPS || name == IPV6_TCLASS;
    case SOL_SOCKET: return name == SO_PRIORITY || name == SO_RCVLOWAT || name == SO_SNDLOWAT;
    default: return 0;
  }
}

/* The Linux number of an option linux_int_option takes: the libc's SOL_SOCKET and SO_* are WASIX's
 * (or sdk/include/sys/socket.h's values outside its enum); the IP, IPv6 and TCP levels and their
 * options are numbered as Linux. */
static int linux_option_name(int level, int name) {
  if (level != SOL_SOCKET) return name;
  return name == SO_PRIORITY ? LINUX_SO_PRIORITY : name == SO_RCVLOWAT ? LINUX_SO_RCVLOWAT : LINUX_SO_SNDLOWAT;
}

/* A level the libc cannot name: after the fd checks (EBADF, ENOTSOCK), ENOPROTOOPT, or
 * EOPNOTSUPP on AF_UNIX, which has no option level but SOL_SOCKET. */
static int bad_level(int fd, int level, int get) {
  __wasi_addr_port_t ap;
  __wasi_errno_t e = __wasi_sock_addr_local(fd, &ap);
  if (e) errno = e;
  else if (ap.tag == __WASI_ADDRESS_FAMILY_UNIX) errno = EOPNOTSUPP;
  /* IPv4's ip_getsockopt answers a level it does not know with EOPNOTSUPP */
  else if (get && ap.tag == __WASI_ADDRESS_FAMILY_INET4 && level != IPPROTO_IP && level != IPPROTO_TCP && level != IPPROTO_UDP) errno = EOPNOTSUPP;
  else errno = ENOPROTOOPT;
  return -1;
}

int __wrap_setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
  int32_t e;
  if (level == SOL_SOCKET && name == SO_PASSCRED) {
    e = __occlum_sock_setsockopt(fd, LINUX_SOL_SOCKET, LINUX_SO_PASSCRED, val, len);
  } else if (linux_int_option(level, name)) {
    e = __occlum_sock_setsockopt(fd, level == SOL_SOCKET ? LINUX_SOL_SOCKET : level, linux_option_name(level, name), val, len);
  } else if (flag_option(level, name) >= 0) {
    if (len < sizeof(int)) {
      errno = EINVAL;
      return -1;
    }
    e = __wasi_sock_set_opt_flag(fd, (__wasi_sock_option_t)flag_option(level, name), *(const int *)val != 0);
  } else if (level != SOL_SOCKET) {
    return bad_level(fd, level, 0);
  } else {
    return __real_setsockopt(fd, level, name, val, len);
  }
  if (e) {
    errno = e;
    return -1;
  }
  return 0;
}

/* Linux AF_* (what the kernel's SO_DOMAIN reports) to the libc's. */
static int af_of_linux(int d) {
  return d == 1 ? AF_UNIX : d == 2 ? AF_INET : d == 10 ? AF_INET6 : d;
}

int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len) {
  int linux_name = 0, linux_level = LINUX_SOL_SOCKET;
  if (linux_int_option(level, name)) {
    linux_level = level == SOL_SOCKET ? LINUX_SOL_SOCKET : level;
    linux_name = linux_option_name(level, name);
  } else if (level == SOL_SOCKET) {
    switch (name) {
      case SO_PASSCRED: linux_name = LINUX_SO_PASSCRED; break;
      case SO_PEERCRED: linux_name = LINUX_SO_PEERCRED; break;
      case SO_ERROR: linux_name = LINUX_SO_ERROR; break;
      case SO_PROTOCOL: linux_name = LINUX_SO_PROTOCOL; break;
      case SO_DOMAIN: linux_name = LINUX_SO_DOMAIN; break;
      default: break;
    }
  } else if (flag_option(level, name) < 0) {
    return bad_level(fd, level, 1);
  }
  if (!linux_name) {
    /* Linux copies min(*len, size) and reports that; the libc reports the full size. */
    socklen_t want = *len;
    int r = __real_getsockopt(fd, level, name, val, len);
    if (r == 0 && *len > want) *len = want;
    return r;
  }
  uint32_t n = *len;
  int32_t e = __occlum_sock_getsockopt(fd, linux_level, linux_name, val, &n);
  if (e) {
    errno = e;
    return -1;
  }
  if (linux_level == LINUX_SOL_SOCKET && linux_name == LINUX_SO_DOMAIN && n >= sizeof(int)) *(int *)val = af_of_linux(*(int *)val);
  *len = n;
  return 0;
}

/* The blocking calls are cancellation points (cancel.h OCCLUM_CANCELLABLE). */
int __wrap_connect(int fd, const struct sockaddr *addr, socklen_t len) {
  return OCCLUM_CANCELLABLE(connect_fixed(fd, addr, len));
}
ssize_t __wrap_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len) {
  return OCCLUM_CANCELLABLE(sendto_fixed(fd, buf, n, flags, addr, len));
}
int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len) {
  return OCCLUM_CANCELLABLE(accept_fixed(fd, addr, len));
}
int __wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  return OCCLUM_CANCELLABLE(accept4_fixed(fd, addr, len, flags));
}
ssize_t __wrap_recv(int fd, void *buf, size_t n, int flags) {
  return OCCLUM_CANCELLABLE(recv_fixed(fd, buf, n, flags));
}
ssize_t __wrap_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *len) {
  return OCCLUM_CANCELLABLE(recvfrom_fixed(fd, buf, n, flags, addr, len));
}
ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags) {
  return OCCLUM_CANCELLABLE(sendmsg_fixed(fd, msg, flags));
}
ssize_t __wrap_send(int fd, const void *buf, size_t n, int flags) {
  return OCCLUM_CANCELLABLE(send_fixed(fd, buf, n, flags));
}
ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags) {
  return OCCLUM_CANCELLABLE(recvmsg_fixed(fd, msg, flags));
}
