/*
 * The program's name, which musl's startup sets and wasix-libc's leaves NULL: __progname (=
 * program_invocation_short_name, the base name of argv[0]) and __progname_full (=
 * program_invocation_name). err.h's messages and pthread_getname_np of an unnamed thread print it.
 * Set before main from the WASI arguments.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

extern char *__progname, *__progname_full;

__attribute__((constructor)) static void occlum_set_progname(void) {
  if (__progname) return;
  __wasi_size_t argc = 0, size = 0;
  if (__wasi_args_sizes_get(&argc, &size) != 0 || argc == 0) return;
  char **argv = malloc((argc + 1) * sizeof *argv);
  char *buf = malloc(size); /* kept: the names point into it */
  if (!argv || !buf || __wasi_args_get((uint8_t **)argv, (uint8_t *)buf) != 0) {
    free(argv);
    free(buf);
    return;
  }
  char *slash = strrchr(argv[0], '/');
  __progname_full = argv[0];
  __progname = slash ? slash + 1 : argv[0];
  free(argv);
}
