// Imports a function the LibOS does not provide: instantiation must still succeed, and the call
// returns ENOSYS (52).
#include <stdio.h>

__attribute__((import_module("occlum_test_ext"), import_name("no_such_call")))
int no_such_call(int x);

int main(void) {
  printf("no_such_call returned %d\n", no_such_call(1));
  return 0;
}
