// Tiny assertion kit for the WASI conformance guests: every check prints on failure; main ends
// with DONE(), which prints "<name>: N checks, F failures" and exits 1 if any failed.
#ifndef CHECK_H
#define CHECK_H
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static int checks_, failures_;

#define EXPECT_ERR(call, want)                                                              \
  do {                                                                                      \
    __wasi_errno_t e_ = (call);                                                             \
    checks_++;                                                                              \
    if (e_ != (want)) {                                                                     \
      failures_++;                                                                          \
      printf("FAIL %s:%d: %s = %d, want %d\n", __FILE__, __LINE__, #call, e_, (int)(want)); \
    }                                                                                       \
  } while (0)
#define OK(call) EXPECT_ERR(call, 0)
#define CHECK(cond)                                                  \
  do {                                                               \
    checks_++;                                                       \
    if (!(cond)) {                                                   \
      failures_++;                                                   \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);         \
    }                                                                \
  } while (0)
#define DONE(name)                                                          \
  do {                                                                      \
    printf("%s: %d checks, %d failures\n", name, checks_, failures_);      \
    return failures_ ? 1 : 0;                                               \
  } while (0)

#define ROOT 3
#define ALL_RIGHTS ((__wasi_rights_t)0x3fffffff)

// Open (or create) a file under the root preopen with every right.
static __wasi_fd_t open_at(const char *path, __wasi_oflags_t oflags, __wasi_fdflags_t fdflags) {
  __wasi_fd_t fd = (__wasi_fd_t)-1;
  __wasi_errno_t e = __wasi_path_open(ROOT, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, oflags, ALL_RIGHTS, ALL_RIGHTS, fdflags, &fd);
  if (e != 0) {
    printf("open_at(%s) failed: %d\n", path, e);
    return (__wasi_fd_t)-1;
  }
  return fd;
}

static __wasi_errno_t write_str(__wasi_fd_t fd, const char *s, __wasi_size_t *n) {
  __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
  return __wasi_fd_write(fd, &iov, 1, n);
}

static __wasi_errno_t read_buf(__wasi_fd_t fd, void *buf, size_t len, __wasi_size_t *n) {
  __wasi_iovec_t iov = {(uint8_t *)buf, len};
  return __wasi_fd_read(fd, &iov, 1, n);
}
#endif
