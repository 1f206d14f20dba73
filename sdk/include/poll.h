/*
 * <poll.h> of Debian's wasix-libc plus POLLRDHUP (Linux's "peer shut down writing"), which the
 * libc's header lacks; sdk/libc/poll.c reports it. The libc's own bits are kept (POLLIN 0x1,
 * POLLOUT 0x2, POLLERR 0x1000, POLLHUP 0x2000, POLLNVAL 0x4000): 0x800 is free among them.
 */
#ifndef OCCLUM_SDK_POLL_H
#define OCCLUM_SDK_POLL_H
#include_next <poll.h>
#ifndef POLLRDHUP
#define POLLRDHUP 0x800
#endif
#endif
