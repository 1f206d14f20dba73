// sock_*: on fd 4 the host hands in a connected socket (an in-memory echo), on fd 5 a listener
// with one pending connection. ENOTSOCK on other fds, EINVAL on bad flags.
#include "check.h"

int main(void) {
  __wasi_size_t n;
  __wasi_roflags_t ro;
  char buf[64];
  __wasi_ciovec_t out = {(const uint8_t *)"marco", 5};
  OK(__wasi_sock_send(4, &out, 1, 0, &n));
  CHECK(n == 5);
  __wasi_iovec_t in = {(uint8_t *)buf, sizeof buf};
  OK(__wasi_sock_recv(4, &in, 1, 0, &n, &ro));
  CHECK(n == 5 && memcmp(buf, "MARCO", 5) == 0 && ro == 0);

  EXPECT_ERR(__wasi_sock_send(1, &out, 1, 0, &n), __WASI_ERRNO_NOTSOCK);
  EXPECT_ERR(__wasi_sock_recv(ROOT, &in, 1, 0, &n, &ro), __WASI_ERRNO_NOTSOCK);
  EXPECT_ERR(__wasi_sock_shutdown(1, __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK);
  EXPECT_ERR(__wasi_sock_shutdown(4, 0), __WASI_ERRNO_INVAL);
  EXPECT_ERR(__wasi_sock_send(77, &out, 1, 0, &n), __WASI_ERRNO_BADF);

  __wasi_fd_t conn = 0;
  EXPECT_ERR(__wasi_sock_accept(4, 0, &conn), __WASI_ERRNO_INVAL);  // not a listener
  EXPECT_ERR(__wasi_sock_accept(1, 0, &conn), __WASI_ERRNO_NOTSOCK);
  OK(__wasi_sock_accept(5, 0, &conn));
  CHECK(conn == 6);
  __wasi_fdstat_t st;
  OK(__wasi_fd_fdstat_get(conn, &st));
  CHECK(st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM);
  OK(__wasi_sock_send(conn, &out, 1, 0, &n));
  OK(__wasi_sock_recv(conn, &in, 1, 0, &n, &ro));
  CHECK(n == 5 && memcmp(buf, "MARCO", 5) == 0);
  // the backlog is empty now: accepting on a non-blocking listener says EAGAIN
  OK(__wasi_fd_fdstat_set_flags(5, __WASI_FDFLAGS_NONBLOCK));
  EXPECT_ERR(__wasi_sock_accept(5, 0, &conn), __WASI_ERRNO_AGAIN);

  OK(__wasi_sock_shutdown(4, __WASI_SDFLAGS_WR));
  EXPECT_ERR(__wasi_sock_send(4, &out, 1, 0, &n), __WASI_ERRNO_PIPE);
  OK(__wasi_fd_close(conn));
  DONE("sock");
}
