// fd_*: read/write/pread/pwrite/seek/tell, fdstat flags and rights, filestat, sizes and times,
// sync/advise/allocate, close/renumber, prestat, readdir (layout, truncation, cookies), and errnos.
#include "check.h"

static __wasi_dirent_t dirent_at(const uint8_t *p) {
  __wasi_dirent_t d;
  memcpy(&d, p, sizeof d);
  return d;
}

int main(void) {
  __wasi_size_t n;
  __wasi_filesize_t pos;
  char buf[256];

  // ---- prestat: fd 3 is the preopen "/"
  __wasi_prestat_t ps;
  OK(__wasi_fd_prestat_get(ROOT, &ps));
  CHECK(ps.tag == __WASI_PREOPENTYPE_DIR && ps.u.dir.pr_name_len == 1);
  char name[8] = {0};
  OK(__wasi_fd_prestat_dir_name(ROOT, (uint8_t *)name, sizeof name));
  CHECK(name[0] == '/');
  EXPECT_ERR(__wasi_fd_prestat_dir_name(ROOT, (uint8_t *)name, 0), __WASI_ERRNO_NAMETOOLONG);
  EXPECT_ERR(__wasi_fd_prestat_get(1, &ps), __WASI_ERRNO_BADF);
  EXPECT_ERR(__wasi_fd_prestat_get(77, &ps), __WASI_ERRNO_BADF);

  // ---- stdio fdstat (wasmtime's rights for stdio)
  __wasi_fdstat_t st;
  OK(__wasi_fd_fdstat_get(1, &st));
  CHECK(st.fs_rights_base == (__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_POLL_FD_READWRITE));
  OK(__wasi_fd_fdstat_get(0, &st));
  CHECK(st.fs_rights_base == (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_POLL_FD_READWRITE));
  EXPECT_ERR(__wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_SPIPE);  // a stream: ESPIPE, as wasmtime
  EXPECT_ERR(__wasi_fd_tell(0, &pos), __WASI_ERRNO_SPIPE);
  {
    char c;
    __wasi_iovec_t one = {(uint8_t *)&c, 1};
    __wasi_size_t got;
    EXPECT_ERR(__wasi_fd_pread(0, &one, 1, 0, &got), __WASI_ERRNO_SPIPE);
  }
  EXPECT_ERR(__wasi_fd_fdstat_get(99, &st), __WASI_ERRNO_BADF);

  // ---- a regular file
  __wasi_fd_t fd = open_at("tmp/fd_test.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0);
  CHECK(fd > 3);
  OK(write_str(fd, "hello world", &n));
  CHECK(n == 11);
  OK(__wasi_fd_tell(fd, &pos));
  CHECK(pos == 11);
  OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  CHECK(pos == 0);
  memset(buf, 0, sizeof buf);
  OK(read_buf(fd, buf, 5, &n));
  CHECK(n == 5 && memcmp(buf, "hello", 5) == 0);
  OK(__wasi_fd_seek(fd, -2, __WASI_WHENCE_END, &pos));
  CHECK(pos == 9);
  OK(__wasi_fd_seek(fd, 1, __WASI_WHENCE_CUR, &pos));
  CHECK(pos == 10);
  EXPECT_ERR(__wasi_fd_seek(fd, -100, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_INVAL);
  EXPECT_ERR(__wasi_fd_seek(fd, 0, 3, &pos), __WASI_ERRNO_INVAL);
  // multi-iovec read at EOF-1
  {
    char a[1], b[4];
    __wasi_iovec_t iovs[2] = {{(uint8_t *)a, 1}, {(uint8_t *)b, 4}};
    OK(__wasi_fd_read(fd, iovs, 2, &n));
    CHECK(n == 1 && a[0] == 'd');
    OK(__wasi_fd_read(fd, iovs, 2, &n));
    CHECK(n == 0);
  }
  // pread / pwrite do not move the offset
  OK(__wasi_fd_tell(fd, &pos));
  CHECK(pos == 11);
  {
    __wasi_ciovec_t w = {(const uint8_t *)"HE", 2};
    OK(__wasi_fd_pwrite(fd, &w, 1, 0, &n));
    CHECK(n == 2);
    __wasi_iovec_t r = {(uint8_t *)buf, 5};
    OK(__wasi_fd_pread(fd, &r, 1, 0, &n));
    CHECK(n == 5 && memcmp(buf, "HEllo", 5) == 0);
    OK(__wasi_fd_pread(fd, &r, 1, 100, &n));
    CHECK(n == 0);
  }
  OK(__wasi_fd_tell(fd, &pos));
  CHECK(pos == 11);

  // ---- fdstat and flags
  OK(__wasi_fd_fdstat_get(fd, &st));
  CHECK(st.fs_filetype == __WASI_FILETYPE_REGULAR_FILE);
  CHECK((st.fs_rights_base & __WASI_RIGHTS_FD_READ) && (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE));
  CHECK(st.fs_flags == 0);
  OK(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
  OK(__wasi_fd_fdstat_get(fd, &st));
  CHECK(st.fs_flags == __WASI_FDFLAGS_APPEND);
  OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  OK(write_str(fd, "!", &n));
  OK(__wasi_fd_tell(fd, &pos));
  CHECK(pos == 12);  // appended at the end, not at 0
  OK(__wasi_fd_fdstat_set_flags(fd, 0));
  EXPECT_ERR(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_DSYNC), __WASI_ERRNO_INVAL);
  EXPECT_ERR(__wasi_fd_fdstat_set_flags(fd, 0x100), __WASI_ERRNO_INVAL);

  // ---- filestat, set_size, set_times, allocate, advise, sync
  __wasi_filestat_t fs;
  OK(__wasi_fd_filestat_get(fd, &fs));
  CHECK(fs.filetype == __WASI_FILETYPE_REGULAR_FILE && fs.size == 12 && fs.nlink >= 1);
  OK(__wasi_fd_filestat_set_size(fd, 4));
  OK(__wasi_fd_filestat_get(fd, &fs));
  CHECK(fs.size == 4);
  OK(__wasi_fd_filestat_set_size(fd, 100));
  OK(__wasi_fd_filestat_get(fd, &fs));
  CHECK(fs.size == 100);
  OK(__wasi_fd_filestat_set_times(fd, 1000000000ull, 2000000000ull, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  OK(__wasi_fd_filestat_get(fd, &fs));
  CHECK(fs.mtim == 2000000000ull);
  CHECK(fs.atim == 1000000000ull);
  EXPECT_ERR(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_INVAL);
  EXPECT_ERR(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW), __WASI_ERRNO_INVAL);
  OK(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  OK(__wasi_fd_filestat_get(fd, &fs));
  CHECK(fs.mtim > 1600000000ull * 1000000000ull);
  // fd_allocate: supported by the file system, or ENOTSUP as wasmtime (never another error)
  __wasi_errno_t ae = __wasi_fd_allocate(fd, 0, 200);
  CHECK(ae == 0 || ae == __WASI_ERRNO_NOTSUP);
  OK(__wasi_fd_filestat_get(fd, &fs));
  CHECK(fs.size == (ae == 0 ? 200 : 100));
  EXPECT_ERR(__wasi_fd_allocate(fd, 0, 0), __WASI_ERRNO_INVAL);
  OK(__wasi_fd_advise(fd, 0, 10, __WASI_ADVICE_SEQUENTIAL));
  EXPECT_ERR(__wasi_fd_advise(fd, 0, 10, 9), __WASI_ERRNO_INVAL);
  OK(__wasi_fd_sync(fd));
  OK(__wasi_fd_datasync(fd));

  // ---- rights: narrowing only; a missing right is ENOTCAPABLE
  OK(__wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL, 0));
  OK(__wasi_fd_fdstat_get(fd, &st));
  CHECK(st.fs_rights_base == (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL));
  CHECK(st.fs_rights_inheriting == 0);
  EXPECT_ERR(write_str(fd, "x", &n), __WASI_ERRNO_NOTCAPABLE);
  EXPECT_ERR(__wasi_fd_filestat_get(fd, &fs), __WASI_ERRNO_NOTCAPABLE);
  EXPECT_ERR(__wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0), __WASI_ERRNO_NOTCAPABLE);
  OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  OK(read_buf(fd, buf, 4, &n));
  CHECK(n == 4);

  // ---- a read-only open cannot write, a write-only one cannot read: EBADF as on Linux/wasmtime
  __wasi_fd_t ro = (__wasi_fd_t)-1, wo = (__wasi_fd_t)-1;
  OK(__wasi_path_open(ROOT, 0, "tmp/fd_test.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, 0, 0, &ro));
  EXPECT_ERR(write_str(ro, "x", &n), __WASI_ERRNO_BADF);
  OK(__wasi_path_open(ROOT, 0, "tmp/fd_test.txt", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &wo));
  EXPECT_ERR(read_buf(wo, buf, 1, &n), __WASI_ERRNO_BADF);
  EXPECT_ERR(read_buf(1, buf, 1, &n), __WASI_ERRNO_BADF);  // stdout is write-only
  // ...while a right removed by fd_fdstat_set_rights is ENOTCAPABLE (above)

  // ---- close, renumber, lowest-free reuse
  OK(__wasi_fd_close(wo));
  EXPECT_ERR(__wasi_fd_close(wo), __WASI_ERRNO_BADF);
  __wasi_fd_t again = open_at("tmp/fd_test.txt", 0, 0);
  CHECK(again == wo);  // the lowest free number is reused
  OK(__wasi_fd_renumber(again, ro));  // ro now names `again`'s description, `again` is free
  EXPECT_ERR(__wasi_fd_fdstat_get(again, &st), __WASI_ERRNO_BADF);
  OK(__wasi_fd_fdstat_get(ro, &st));
  CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE);
  EXPECT_ERR(__wasi_fd_renumber(ro, 200), __WASI_ERRNO_BADF);
  EXPECT_ERR(__wasi_fd_renumber(200, ro), __WASI_ERRNO_BADF);
  OK(__wasi_fd_close(ro));
  OK(__wasi_fd_close(fd));
  EXPECT_ERR(read_buf(fd, buf, 1, &n), __WASI_ERRNO_BADF);
  EXPECT_ERR(write_str(1000, "x", &n), __WASI_ERRNO_BADF);
  EXPECT_ERR(__wasi_fd_sync(1000), __WASI_ERRNO_BADF);

  // ---- directories: read is EISDIR, readdir lists . .. and the entries, in stable cookie order
  OK(__wasi_path_create_directory(ROOT, "tmp/rd"));
  for (int i = 0; i < 5; i++) {
    char p[32];
    snprintf(p, sizeof p, "tmp/rd/file%d", i);
    __wasi_fd_t f = open_at(p, __WASI_OFLAGS_CREAT, 0);
    __wasi_fd_close(f);
  }
  __wasi_fd_t dfd = (__wasi_fd_t)-1;
  OK(__wasi_path_open(ROOT, 0, "tmp/rd", __WASI_OFLAGS_DIRECTORY, ALL_RIGHTS, ALL_RIGHTS, 0, &dfd));
  OK(__wasi_fd_fdstat_get(dfd, &st));
  CHECK(st.fs_filetype == __WASI_FILETYPE_DIRECTORY);
  EXPECT_ERR(read_buf(dfd, buf, 4, &n), __WASI_ERRNO_ISDIR);
  uint8_t dbuf[1024];
  __wasi_size_t used = 0;
  OK(__wasi_fd_readdir(dfd, dbuf, sizeof dbuf, 0, &used));
  int count = 0, dots = 0, files = 0;
  __wasi_dircookie_t third = 0;
  for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
    __wasi_dirent_t d = dirent_at(dbuf + off);
    const char *nm = (const char *)dbuf + off + sizeof d;
    if ((d.d_namlen == 1 && nm[0] == '.') || (d.d_namlen == 2 && nm[0] == '.' && nm[1] == '.')) {
      dots++;
      CHECK(d.d_type == __WASI_FILETYPE_DIRECTORY);
    } else if (d.d_namlen == 5 && memcmp(nm, "file", 4) == 0) {
      files++;
      CHECK(d.d_type == __WASI_FILETYPE_REGULAR_FILE);
    }
    count++;
    if (count == 3) third = d.d_next;
    off += sizeof d + d.d_namlen;
  }
  CHECK(used < sizeof dbuf);
  CHECK(dots == 2 && files == 5 && count == 7);
  // resume from the cookie after the third entry: the 4 remaining entries
  OK(__wasi_fd_readdir(dfd, dbuf, sizeof dbuf, third, &used));
  int rest = 0;
  for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used; rest++) off += sizeof(__wasi_dirent_t) + dirent_at(dbuf + off).d_namlen;
  CHECK(rest == 4);
  // a buffer too small for everything is filled completely (the last entry truncated)
  OK(__wasi_fd_readdir(dfd, dbuf, 40, 0, &used));
  CHECK(used == 40);
  // cookie past the end: nothing
  OK(__wasi_fd_readdir(dfd, dbuf, sizeof dbuf, 1000, &used));
  CHECK(used == 0);
  __wasi_fd_t f0 = open_at("tmp/rd/file0", 0, 0);
  EXPECT_ERR(__wasi_fd_readdir(f0, dbuf, sizeof dbuf, 0, &used), __WASI_ERRNO_NOTDIR);
  __wasi_fd_close(f0);
  OK(__wasi_fd_close(dfd));
  DONE("fd");
}
