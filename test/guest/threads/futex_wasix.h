/* Shared by the thread test guests that call WASIX futex_wait directly (not through libc). */
#ifndef FUTEX_WASIX_H
#define FUTEX_WASIX_H
#include <string.h>
#include <wasi/api_wasix.h>

/* futex_wait's timeout: `ns` nanoseconds, or none (wait for ever) when 0. */
static inline __wasi_option_timestamp_t after_ns(__wasi_timestamp_t ns) {
  __wasi_option_timestamp_t t;
  memset(&t, 0, sizeof t);
  t.tag = ns ? __WASI_OPTION_SOME : __WASI_OPTION_NONE;
  t.u.some = ns;
  return t;
}
#endif
