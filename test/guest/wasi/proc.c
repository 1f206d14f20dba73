// sched_yield, proc_raise (ignored signal, then a terminating one, or a stop), and exit statuses.
#include <stdlib.h>
#include "check.h"

// wasi-libc dropped proc_raise from its headers; the import itself is still preview 1.
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
uint16_t raw_proc_raise(uint8_t sig);
#define __wasi_proc_raise raw_proc_raise
#define __WASI_SIGNAL_NONE 0
#define __WASI_SIGNAL_TERM 15
#define __WASI_SIGNAL_CHLD 16
#define __WASI_SIGNAL_STOP 18

int main(int argc, char **argv) {
  OK(__wasi_sched_yield());
  OK(__wasi_sched_yield());
  OK(__wasi_proc_raise(__WASI_SIGNAL_NONE));
  OK(__wasi_proc_raise(__WASI_SIGNAL_CHLD));  // ignored by default
  if (failures_) DONE("proc");
  if (argc > 1 && strcmp(argv[1], "stop") == 0) {
    // Stops the process, as raise(SIGSTOP) on Linux: returns once it is continued.
    printf("stopping\n");
    fflush(stdout);
    OK(__wasi_proc_raise(__WASI_SIGNAL_STOP));
    printf("continued\n");
    DONE("proc");
  }
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
