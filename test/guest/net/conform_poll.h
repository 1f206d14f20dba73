/* Shared by the readiness conformance programs (conform_poll_epoll.c, conform_poll_select.c,
 * conform_poll_states.c): errno and event names, the one-line result printers, epoll_ctl wrappers
 * and the thread that wakes a blocked wait. Functions are static inline so that a program that
 * does not use one gets no warning. */
#ifndef CONFORM_POLL_H
#define CONFORM_POLL_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "net_util.h"

static inline const char *ename(int e) {
  switch (e) {
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    case ELOOP: return "ELOOP";
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    case ENOSYS: return "ENOSYS";
    case ENOTSUP: return "ENOTSUP";
    case ENOMEM: return "ENOMEM";
    case EINPROGRESS: return "EINPROGRESS";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case ENOTCONN: return "ENOTCONN";
    default: return "E?";
  }
}

/* "name: ret" or "name: -1 ENAME" */
static inline void res(const char *name, int r) {
  if (r < 0) printf("%s: %d %s\n", name, r, ename(errno));
  else printf("%s: %d\n", name, r);
}

/* epoll event bits by name, in a fixed order */
static inline const char *evnames(uint32_t e) {
  static char buf[128];
  static const struct { uint32_t bit; const char *name; } names[] = {
    {EPOLLIN, "IN"}, {EPOLLPRI, "PRI"}, {EPOLLOUT, "OUT"}, {EPOLLERR, "ERR"}, {EPOLLHUP, "HUP"},
    {EPOLLRDNORM, "RDNORM"}, {EPOLLRDBAND, "RDBAND"}, {EPOLLWRNORM, "WRNORM"}, {EPOLLWRBAND, "WRBAND"},
    {EPOLLMSG, "MSG"}, {EPOLLRDHUP, "RDHUP"},
  };
  buf[0] = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (e & names[i].bit) {
      if (buf[0]) strcat(buf, "|");
      strcat(buf, names[i].name);
      e &= ~names[i].bit;
    }
  }
  if (e) sprintf(buf + strlen(buf), "%s0x%x", buf[0] ? "|" : "", e);
  if (!buf[0]) strcpy(buf, "0");
  return buf;
}

/* poll bits by name; POLLRDHUP where the libc defines it */
static inline const char *pnames(short e) {
  static char buf[128];
  static const struct { short bit; const char *name; } names[] = {
    {POLLIN, "IN"}, {POLLPRI, "PRI"}, {POLLOUT, "OUT"}, {POLLERR, "ERR"}, {POLLHUP, "HUP"}, {POLLNVAL, "NVAL"},
    {POLLRDNORM, "RDNORM"}, {POLLWRNORM, "WRNORM"},
#ifdef POLLRDBAND
    {POLLRDBAND, "RDBAND"}, {POLLWRBAND, "WRBAND"},
#endif
#ifdef POLLRDHUP
    {POLLRDHUP, "RDHUP"},
#endif
  };
  buf[0] = 0;
  unsigned short u = (unsigned short)e;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    unsigned short b = (unsigned short)names[i].bit;
    if (u & b) {
      if (buf[0]) strcat(buf, "|");
      strcat(buf, names[i].name);
      u &= ~b;
    }
  }
  if (u) sprintf(buf + strlen(buf), "%s0x%x", buf[0] ? "|" : "", u);
  if (!buf[0]) strcpy(buf, "0");
  return buf;
}

static inline int add(int ep, int fd, uint32_t events, uint64_t data) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.u64 = data;
  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static inline int mod(int ep, int fd, uint32_t events, uint64_t data) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.u64 = data;
  return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* epoll_wait(ep, max, timeout) printed as "name: n [data=events ...]" (events in returned order) */
static inline void ewait(const char *name, int ep, int max, int timeout) {
  struct epoll_event got[16];
  memset(got, 0, sizeof got);
  int n = epoll_wait(ep, got, max, timeout);
  if (n < 0) {
    printf("%s: -1 %s\n", name, ename(errno));
    return;
  }
  printf("%s: %d", name, n);
  for (int i = 0; i < n; i++) printf(" %llu=%s", (unsigned long long)got[i].data.u64, evnames(got[i].events));
  printf("\n");
}


/* Blocking waits are woken by this thread's write to wake_fd 50 ms later. */
static int wake_fd;
static inline void *write_later(void *arg) {
  (void)arg;
  usleep(50000);
  if (write(wake_fd, "w", 1) != 1) printf("FAIL write_later\n");
  return NULL;
}
#endif
