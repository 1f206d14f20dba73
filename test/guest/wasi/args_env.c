// args_* and environ_*: sizes agree with contents; argv and the merged environment as given.
#include <stdlib.h>
#include "check.h"

int main(void) {
  __wasi_size_t argc = 0, argv_size = 0, envc = 0, env_size = 0;
  OK(__wasi_args_sizes_get(&argc, &argv_size));
  CHECK(argc == 3);
  char *argv[8];
  char argbuf[256];
  OK(__wasi_args_get((uint8_t **)argv, (uint8_t *)argbuf));
  CHECK(strcmp(argv[0], "/bin/args_env") == 0);
  CHECK(strcmp(argv[1], "one") == 0);
  CHECK(strcmp(argv[2], "two words") == 0);
  CHECK(argv_size == strlen(argv[0]) + 1 + 4 + 10);

  OK(__wasi_environ_sizes_get(&envc, &env_size));
  char *envp[16];
  char envbuf[512];
  OK(__wasi_environ_get((uint8_t **)envp, (uint8_t *)envbuf));
  size_t total = 0;
  for (size_t i = 0; i < envc; i++) {
    printf("env[%zu]=%s\n", i, envp[i]);
    total += strlen(envp[i]) + 1;
  }
  CHECK(total == env_size);
  // env.default OCCLUM=yes kept, OVERRIDE=default replaced by the host's value, EXAMPLE from the host.
  CHECK(getenv("OCCLUM") && strcmp(getenv("OCCLUM"), "yes") == 0);
  CHECK(getenv("EXAMPLE") && strcmp(getenv("EXAMPLE"), "from-host") == 0);
  CHECK(getenv("OVERRIDE") && strcmp(getenv("OVERRIDE"), "host-wins") == 0);
  CHECK(getenv("SECRET") == NULL);  // a host variable not listed in env.untrusted
  DONE("args_env");
}
