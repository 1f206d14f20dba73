// sched_yield, proc_raise (ignored signal, then a terminating one), and exit statuses.
#include <stdlib.h>
#include "check.h"

int main(int argc, char **argv) {
  OK(__wasi_sched_yield());
  OK(__wasi_sched_yield());
  OK(__wasi_proc_raise(__WASI_SIGNAL_NONE));
  OK(__wasi_proc_raise(__WASI_SIGNAL_CHLD));  // ignored by default
  EXPECT_ERR(__wasi_proc_raise(__WASI_SIGNAL_STOP), __WASI_ERRNO_NOSYS);
  if (failures_) DONE("proc");
  if (argc > 1 && strcmp(argv[1], "raise") == 0) {
    printf("raising SIGTERM\n");
    fflush(stdout);
    __wasi_proc_raise(__WASI_SIGNAL_TERM);
    printf("still alive?\n");
    return 3;
  }
  if (argc > 1) {
    fflush(stdout);
    __wasi_proc_exit((__wasi_exitcode_t)atoi(argv[1]));
  }
  DONE("proc");
}
