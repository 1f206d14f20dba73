// poll_oneoff: EINVAL for no subscriptions, relative and absolute clock timeouts (it sleeps, the
// clock advances), fd readiness (stdout writable at once), a bad fd as an event error, and
// waiting for stdin data that arrives later (the test feeds it after a delay).
#include "check.h"

static __wasi_subscription_t clock_sub(__wasi_userdata_t ud, __wasi_clockid_t id, __wasi_timestamp_t t, int abs) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = id;
  s.u.u.clock.timeout = t;
  s.u.u.clock.flags = abs ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
  return s;
}

static __wasi_subscription_t fd_sub(__wasi_userdata_t ud, __wasi_eventtype_t type, __wasi_fd_t fd) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = type;
  s.u.u.fd_read.file_descriptor = fd;
  return s;
}

static __wasi_timestamp_t now(void) {
  __wasi_timestamp_t t;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
  return t;
}

int main(void) {
  __wasi_subscription_t subs[3];
  __wasi_event_t ev[3];
  __wasi_size_t n = 99;

  EXPECT_ERR(__wasi_poll_oneoff(subs, ev, 0, &n), __WASI_ERRNO_INVAL);

  // relative timeout: 30 ms
  subs[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, 30000000ull, 0);
  __wasi_timestamp_t t0 = now();
  OK(__wasi_poll_oneoff(subs, ev, 1, &n));
  __wasi_timestamp_t dt = now() - t0;
  CHECK(n == 1 && ev[0].userdata == 7 && ev[0].type == __WASI_EVENTTYPE_CLOCK && ev[0].error == 0);
  CHECK(dt >= 30000000ull);

  // absolute timeout, 20 ms ahead; a zero relative timeout returns at once
  subs[0] = clock_sub(8, __WASI_CLOCKID_MONOTONIC, now() + 20000000ull, 1);
  t0 = now();
  OK(__wasi_poll_oneoff(subs, ev, 1, &n));
  CHECK(n == 1 && ev[0].userdata == 8 && now() >= t0 + 19000000ull);
  subs[0] = clock_sub(9, __WASI_CLOCKID_REALTIME, 0, 0);
  OK(__wasi_poll_oneoff(subs, ev, 1, &n));
  CHECK(n == 1 && ev[0].userdata == 9);
  subs[0] = clock_sub(9, __WASI_CLOCKID_PROCESS_CPUTIME_ID, 0, 0);
  EXPECT_ERR(__wasi_poll_oneoff(subs, ev, 1, &n), __WASI_ERRNO_INVAL);

  // stdout is writable now: the fd event wins over a long timeout
  subs[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
  subs[1] = fd_sub(2, __WASI_EVENTTYPE_FD_WRITE, 1);
  OK(__wasi_poll_oneoff(subs, ev, 2, &n));
  CHECK(n == 1 && ev[0].userdata == 2 && ev[0].type == __WASI_EVENTTYPE_FD_WRITE && ev[0].error == 0);

  // a bad fd is reported in its event
  subs[0] = fd_sub(3, __WASI_EVENTTYPE_FD_READ, 42);
  OK(__wasi_poll_oneoff(subs, ev, 1, &n));
  CHECK(n == 1 && ev[0].userdata == 3 && ev[0].error == __WASI_ERRNO_BADF);

  // stdin: nothing yet, so a 10 ms timeout expires first
  subs[0] = clock_sub(4, __WASI_CLOCKID_MONOTONIC, 10000000ull, 0);
  subs[1] = fd_sub(5, __WASI_EVENTTYPE_FD_READ, 0);
  OK(__wasi_poll_oneoff(subs, ev, 2, &n));
  CHECK(n == 1 && ev[0].userdata == 4);
  if (n != 1 || ev[0].userdata != 4) printf("n=%u ud=%llu type=%d err=%d\n", n, (unsigned long long)ev[0].userdata, ev[0].type, ev[0].error);
  printf("waiting for stdin\n");
  fflush(stdout);
  // then block (no timeout) until the host writes
  OK(__wasi_poll_oneoff(&subs[1], ev, 1, &n));
  CHECK(n == 1 && ev[0].userdata == 5 && ev[0].type == __WASI_EVENTTYPE_FD_READ && ev[0].error == 0);
  char buf[32] = {0};
  __wasi_size_t got = 0;
  OK(read_buf(0, buf, sizeof buf - 1, &got));
  CHECK(got == 5 && memcmp(buf, "ping\n", 5) == 0);
  // after EOF stdin polls readable with HANGUP, and reads return 0
  OK(__wasi_poll_oneoff(&subs[1], ev, 1, &n));
  CHECK(n == 1 && (ev[0].fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP));
  OK(read_buf(0, buf, sizeof buf, &got));
  CHECK(got == 0);
  DONE("poll");
}
