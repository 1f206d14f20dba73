/*
 * The root directory without fd 3. wasix-libc finds "/" as a preopened fd (3) and resolves every
 * absolute path through it (chdir.c's __wasilibc_find_relpath_alloc calls
 * __wasilibc_find_abspath), so a program that closed fd 3, as daemons close every fd from 3 up,
 * or dup2'd over it could open no file any more, and its first open() got 4 where Linux gives 3.
 * Here every absolute path goes to the kernel's root fd (occlum.root_dirfd: not an fd number;
 * importing it tells the kernel this program needs no preopen, src/libos/process/fd-table.ts), so
 * fd 3 is the program's. occlum-cc links with --wrap=__wasilibc_find_abspath.
 */
#include <stdint.h>

#define OCCLUM_IMPORT(name) __attribute__((__import_module__("occlum"), __import_name__(#name)))
int32_t __occlum_root_dirfd(uint32_t *fd) OCCLUM_IMPORT(root_dirfd);

static int root_fd = -1;

/* Before any other constructor may open a file. */
__attribute__((constructor(100))) static void occlum_root(void) {
  uint32_t fd;
  if (__occlum_root_dirfd(&fd) == 0) root_fd = (int)fd;
}

int __wrap___wasilibc_find_abspath(const char *path, const char **abs_prefix, const char **relative_path) {
  if (root_fd < 0) occlum_root();
  while (*path == '/') path++;
  *abs_prefix = "/";
  *relative_path = *path ? path : ".";
  return root_fd;
}
