// path_*: create/remove directories, open flags, unlink, rename, link, symlink/readlink,
// filestat and times by path, and the error paths (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY,
// ELOOP, ENAMETOOLONG, EINVAL, ENOTCAPABLE).
#include "check.h"

// The import itself, with an explicit length (the libc wrapper stops at the first NUL).
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_create_directory")))
int32_t raw_mkdir(int32_t fd, const char *path, int32_t len);

static __wasi_errno_t open_e(const char *p, __wasi_lookupflags_t lf, __wasi_oflags_t of, __wasi_rights_t r, __wasi_fd_t *fd) {
  return __wasi_path_open(ROOT, lf, p, of, r, r, 0, fd);
}

int main(void) {
  __wasi_fd_t fd;
  __wasi_size_t n;
  __wasi_filestat_t fs;
  char buf[64];

  // ---- directories
  OK(__wasi_path_create_directory(ROOT, "tmp/p"));
  EXPECT_ERR(__wasi_path_create_directory(ROOT, "tmp/p"), __WASI_ERRNO_EXIST);
  EXPECT_ERR(__wasi_path_create_directory(ROOT, "tmp/nope/sub"), __WASI_ERRNO_NOENT);
  OK(__wasi_path_create_directory(ROOT, "tmp/p/sub"));
  EXPECT_ERR(__wasi_path_remove_directory(ROOT, "tmp/p"), __WASI_ERRNO_NOTEMPTY);
  OK(__wasi_path_filestat_get(ROOT, 0, "tmp/p/sub", &fs));
  CHECK(fs.filetype == __WASI_FILETYPE_DIRECTORY);

  // ---- files: CREAT, EXCL, TRUNC, DIRECTORY
  fd = open_at("tmp/p/a.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0);
  CHECK(fd != (__wasi_fd_t)-1);
  OK(write_str(fd, "abcdef", &n));
  OK(__wasi_fd_close(fd));
  EXPECT_ERR(open_e("tmp/p/a.txt", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, ALL_RIGHTS, &fd), __WASI_ERRNO_EXIST);
  EXPECT_ERR(open_e("tmp/p/missing", 0, 0, ALL_RIGHTS, &fd), __WASI_ERRNO_NOENT);
  EXPECT_ERR(open_e("tmp/p/a.txt", 0, __WASI_OFLAGS_DIRECTORY, ALL_RIGHTS, &fd), __WASI_ERRNO_NOTDIR);
  EXPECT_ERR(open_e("tmp/p/a.txt/x", 0, 0, ALL_RIGHTS, &fd), __WASI_ERRNO_NOTDIR);
  EXPECT_ERR(open_e("tmp/p/sub", 0, 0, __WASI_RIGHTS_FD_WRITE, &fd), __WASI_ERRNO_ISDIR);
  EXPECT_ERR(open_e("tmp/p/a.txt", 0, 0x10, ALL_RIGHTS, &fd), __WASI_ERRNO_INVAL);
  OK(__wasi_path_filestat_get(ROOT, 0, "tmp/p/a.txt", &fs));
  CHECK(fs.size == 6 && fs.filetype == __WASI_FILETYPE_REGULAR_FILE);
  fd = open_at("tmp/p/a.txt", __WASI_OFLAGS_TRUNC, 0);
  OK(__wasi_fd_filestat_get(fd, &fs));
  CHECK(fs.size == 0);
  OK(__wasi_fd_close(fd));

  // ---- path ops relative to a directory fd, and on a non-directory fd
  __wasi_fd_t dir;
  OK(open_e("tmp/p", 0, __WASI_OFLAGS_DIRECTORY, ALL_RIGHTS, &dir));
  OK(__wasi_path_filestat_get(dir, 0, "a.txt", &fs));
  OK(__wasi_path_filestat_get(dir, 0, "../p/a.txt", &fs));
  fd = open_at("tmp/p/a.txt", 0, 0);
  EXPECT_ERR(__wasi_path_filestat_get(fd, 0, "x", &fs), __WASI_ERRNO_NOTDIR);
  EXPECT_ERR(__wasi_path_create_directory(fd, "x"), __WASI_ERRNO_NOTDIR);
  OK(__wasi_fd_close(fd));
  EXPECT_ERR(__wasi_path_filestat_get(99, 0, "x", &fs), __WASI_ERRNO_BADF);

  // ---- a directory fd without a right: ENOTCAPABLE
  __wasi_fd_t limited;
  OK(open_e("tmp/p", 0, __WASI_OFLAGS_DIRECTORY, ALL_RIGHTS, &limited));
  OK(__wasi_fd_fdstat_set_rights(limited, __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_READ, __WASI_RIGHTS_FD_READ));
  EXPECT_ERR(__wasi_path_create_directory(limited, "nope"), __WASI_ERRNO_NOTCAPABLE);
  EXPECT_ERR(__wasi_path_unlink_file(limited, "a.txt"), __WASI_ERRNO_NOTCAPABLE);
  EXPECT_ERR(__wasi_path_open(limited, 0, "a.txt", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0, 0, &fd), __WASI_ERRNO_NOTCAPABLE);
  EXPECT_ERR(__wasi_path_open(limited, 0, "a.txt", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd), __WASI_ERRNO_NOTCAPABLE);
  OK(__wasi_path_open(limited, 0, "a.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
  OK(__wasi_fd_close(fd));
  OK(__wasi_fd_close(limited));

  // ---- unlink / rmdir on the wrong kind
  EXPECT_ERR(__wasi_path_unlink_file(ROOT, "tmp/p/sub"), __WASI_ERRNO_ISDIR);
  EXPECT_ERR(__wasi_path_remove_directory(ROOT, "tmp/p/a.txt"), __WASI_ERRNO_NOTDIR);
  EXPECT_ERR(__wasi_path_unlink_file(ROOT, "tmp/p/missing"), __WASI_ERRNO_NOENT);

  // ---- rename and link
  OK(__wasi_path_rename(ROOT, "tmp/p/a.txt", dir, "b.txt"));
  EXPECT_ERR(__wasi_path_filestat_get(ROOT, 0, "tmp/p/a.txt", &fs), __WASI_ERRNO_NOENT);
  OK(__wasi_path_filestat_get(ROOT, 0, "tmp/p/b.txt", &fs));
  EXPECT_ERR(__wasi_path_rename(ROOT, "tmp/p/missing", ROOT, "tmp/p/c"), __WASI_ERRNO_NOENT);
  EXPECT_ERR(__wasi_path_rename(ROOT, "tmp/p/b.txt", ROOT, "tmp/p/sub"), __WASI_ERRNO_ISDIR);
  OK(__wasi_path_link(ROOT, 0, "tmp/p/b.txt", ROOT, "tmp/p/hard"));
  OK(__wasi_path_filestat_get(ROOT, 0, "tmp/p/hard", &fs));
  CHECK(fs.nlink == 2);
  EXPECT_ERR(__wasi_path_link(ROOT, 0, "tmp/p/b.txt", ROOT, "tmp/p/hard"), __WASI_ERRNO_EXIST);
  OK(__wasi_path_unlink_file(ROOT, "tmp/p/hard"));

  // ---- symlinks
  OK(__wasi_path_symlink("b.txt", ROOT, "tmp/p/ln"));
  EXPECT_ERR(__wasi_path_symlink("b.txt", ROOT, "tmp/p/ln"), __WASI_ERRNO_EXIST);
  memset(buf, 0, sizeof buf);
  OK(__wasi_path_readlink(ROOT, "tmp/p/ln", (uint8_t *)buf, sizeof buf, &n));
  CHECK(n == 5 && memcmp(buf, "b.txt", 5) == 0);
  OK(__wasi_path_readlink(ROOT, "tmp/p/ln", (uint8_t *)buf, 2, &n));
  CHECK(n == 2);
  EXPECT_ERR(__wasi_path_readlink(ROOT, "tmp/p/b.txt", (uint8_t *)buf, sizeof buf, &n), __WASI_ERRNO_INVAL);
  OK(__wasi_path_filestat_get(ROOT, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "tmp/p/ln", &fs));
  CHECK(fs.filetype == __WASI_FILETYPE_REGULAR_FILE);
  OK(__wasi_path_filestat_get(ROOT, 0, "tmp/p/ln", &fs));
  CHECK(fs.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
  OK(open_e("tmp/p/ln", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, ALL_RIGHTS, &fd));
  OK(__wasi_fd_close(fd));
  EXPECT_ERR(open_e("tmp/p/ln", 0, 0, ALL_RIGHTS, &fd), __WASI_ERRNO_LOOP);  // O_NOFOLLOW on a link
  OK(__wasi_path_symlink("loop2", ROOT, "tmp/p/loop1"));
  OK(__wasi_path_symlink("loop1", ROOT, "tmp/p/loop2"));
  EXPECT_ERR(open_e("tmp/p/loop1", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, ALL_RIGHTS, &fd), __WASI_ERRNO_LOOP);
  OK(__wasi_path_symlink("/tmp/p/b.txt", ROOT, "tmp/p/abs"));  // absolute: resolved from the root
  OK(__wasi_path_filestat_get(ROOT, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "tmp/p/abs", &fs));
  OK(__wasi_path_unlink_file(ROOT, "tmp/p/ln"));
  OK(__wasi_path_filestat_get(ROOT, 0, "tmp/p/b.txt", &fs));  // unlinking the link keeps the target

  // ---- name too long
  char longname[300];
  memset(longname, 'x', sizeof longname);
  memcpy(longname, "tmp/", 4);
  longname[299] = 0;
  EXPECT_ERR(open_e(longname, 0, __WASI_OFLAGS_CREAT, ALL_RIGHTS, &fd), __WASI_ERRNO_NAMETOOLONG);

  // ---- a path with a NUL byte inside (EINVAL), invalid UTF-8 (EILSEQ)
  EXPECT_ERR(raw_mkdir(ROOT, "tmp/a\0b", 7), __WASI_ERRNO_INVAL);
  EXPECT_ERR(__wasi_path_create_directory(ROOT, "tmp/\xff\xfe"), __WASI_ERRNO_ILSEQ);

  // ---- set times by path
  OK(__wasi_path_filestat_set_times(ROOT, 0, "tmp/p/b.txt", 5000000000ull, 6000000000ull, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  OK(__wasi_path_filestat_get(ROOT, 0, "tmp/p/b.txt", &fs));
  CHECK(fs.mtim == 6000000000ull && fs.atim == 5000000000ull);
  EXPECT_ERR(__wasi_path_filestat_set_times(ROOT, 0, "tmp/p/b.txt", 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW), __WASI_ERRNO_INVAL);

  // ---- `..` never leaves the root
  OK(__wasi_path_filestat_get(ROOT, 0, "../../../tmp/p/b.txt", &fs));

  // ---- clean up
  OK(__wasi_path_unlink_file(ROOT, "tmp/p/b.txt"));
  OK(__wasi_path_unlink_file(ROOT, "tmp/p/loop1"));
  OK(__wasi_path_unlink_file(ROOT, "tmp/p/loop2"));
  OK(__wasi_path_unlink_file(ROOT, "tmp/p/abs"));
  OK(__wasi_path_remove_directory(ROOT, "tmp/p/sub"));
  OK(__wasi_fd_close(dir));
  OK(__wasi_path_remove_directory(ROOT, "tmp/p"));
  EXPECT_ERR(__wasi_path_remove_directory(ROOT, "tmp/p"), __WASI_ERRNO_NOENT);
  DONE("path");
}
