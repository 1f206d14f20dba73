// clock_res_get / clock_time_get for all four clocks, EINVAL for a bad id; random_get.
#include "check.h"

int main(void) {
  __wasi_timestamp_t res, t0, t1;
  for (__wasi_clockid_t id = 0; id < 4; id++) {
    OK(__wasi_clock_res_get(id, &res));
    CHECK(res > 0 && res <= 1000000);
    OK(__wasi_clock_time_get(id, 1, &t0));
  }
  EXPECT_ERR(__wasi_clock_res_get(4, &res), __WASI_ERRNO_INVAL);
  EXPECT_ERR(__wasi_clock_time_get(4, 1, &t0), __WASI_ERRNO_INVAL);
  EXPECT_ERR(__wasi_clock_time_get(0xffffffff, 1, &t0), __WASI_ERRNO_INVAL);

  OK(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t0));
  CHECK(t0 > 1600000000ull * 1000000000ull);  // after 2020
  OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0));
  OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1));
  CHECK(t1 >= t0);

  // CPU time advances while we compute.
  __wasi_timestamp_t c0, c1, th;
  OK(__wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &c0));
  volatile unsigned x = 0;
  for (unsigned i = 0; i < 20000000; i++) x += i;
  OK(__wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &c1));
  CHECK(c1 > c0);
  OK(__wasi_clock_time_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, 1, &th));
  CHECK(th > 0 && th <= c1 + 1000000);

  uint8_t buf[4096];
  memset(buf, 0, sizeof buf);
  OK(__wasi_random_get(buf, sizeof buf));
  int nonzero = 0;
  for (size_t i = 0; i < sizeof buf; i++) nonzero += buf[i] != 0;
  CHECK(nonzero > 3000);
  OK(__wasi_random_get(buf, 0));
  static uint8_t big[200000];
  OK(__wasi_random_get(big, sizeof big));
  CHECK(big[199999] != 0 || big[199998] != 0 || big[199997] != 0);
  DONE("clock_random");
}
