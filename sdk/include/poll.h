/*
 * <poll.h> of Debian's wasix-libc plus POLLRDHUP (Linux's "peer shut down writing"), which the
 * libc's header lacks (sdk/libc/poll.c reports it), and a POLLPRI that is not POLLIN. The libc's own bits are kept (POLLIN 0x1,
 * POLLOUT 0x2, POLLERR 0x1000, POLLHUP 0x2000, POLLNVAL 0x4000): 0x800 is free among them.
 */
#ifndef OCCLUM_SDK_POLL_H
#define OCCLUM_SDK_POLL_H
#include_next <poll.h>
#ifndef POLLRDHUP
#define POLLRDHUP 0x800
#endif
/*
 * The libc's header makes POLLPRI POLLIN (and EPOLLPRI EPOLLIN, overriding <sys/epoll.h>), so a
 * poll for urgent data alone woke on ordinary data. POLLPRI gets a bit of its own (free among the
 * libc's), EPOLLPRI Linux's; sdk/libc/poll.c passes it on. The kernel has no urgent data (no
 * MSG_OOB), so it never fires, as on Linux for a socket or pipe without any.
 */
#undef POLLPRI
#define POLLPRI 0x400
#undef EPOLLPRI
#define EPOLLPRI 0x002
#endif
