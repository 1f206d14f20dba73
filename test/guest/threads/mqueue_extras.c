/*
 * What occlum-ts's message queues do where a Linux run cannot be compared (conform_mqueue.c
 * covers the rest): bad pointers for a name or a sigevent are EFAULT (glibc's wrappers read them
 * and crash), and the bounds are an unprivileged process's (msg_max 10, msgsize_max 8192) though
 * every process here is uid 0 (Linux's root may ask for 65536 messages of 16 MiB).
 * test/libos/threads/mqueue.test.ts checks the output.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BAD ((void *)(uintptr_t)-64)

static void show(const char *what, long r) {
  if (r < 0) printf("%s: -1 %s\n", what, strerror(errno));
  else printf("%s: %ld\n", what, r);
}

static long make(long maxmsg, long msgsize) {
  struct mq_attr a = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};
  mq_unlink("/extras");
  mqd_t q = mq_open("/extras", O_CREAT | O_RDWR, 0600, &a);
  if (q >= 0) mq_close(q);
  return q < 0 ? -1 : 0;
}

int main(void) {
  show("mq_open of a name at a bad address", mq_open(BAD, O_RDWR));
  show("mq_unlink of a name at a bad address", mq_unlink(BAD));
  static char longname[5000];
  longname[0] = '/';
  memset(longname + 1, 'n', sizeof longname - 2);
  show("mq_open of a name past PATH_MAX", mq_open(longname, O_CREAT | O_RDWR, 0600, NULL));
  show("mq_open(\"/.\")", mq_open("/.", O_CREAT | O_RDWR, 0600, NULL));
  show("maxmsg 10, msgsize 8192", make(10, 8192));
  show("maxmsg 11", make(11, 8));
  show("msgsize 8193", make(1, 8193));
  mqd_t q = mq_open("/extras", O_CREAT | O_RDWR, 0600, NULL);
  show("mq_notify with the sigevent at a bad address", mq_notify(q, BAD));
  show("mq_notify(NULL)", mq_notify(q, NULL));
  mq_close(q);
  show("mq_unlink", mq_unlink("/extras"));
  return 0;
}
