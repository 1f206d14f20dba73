// The floor under clock_time_get: a loop calling an import of the same signature as WASI's
// (clock id, i64 precision, u64 out-pointer) n times. The bench instantiates it with imports
// that do nothing, that only read a JS clock, and that read one and store the u64 result.
#include <stdint.h>
__attribute__((import_module("env"), import_name("k"))) int k(int id, long long precision, uint64_t *out);

__attribute__((export_name("loop"))) int loop(int n) {
  static uint64_t t;
  int acc = 0;
  for (int i = 0; i < n; i++) acc += k(1, 1, &t);
  return acc;
}
