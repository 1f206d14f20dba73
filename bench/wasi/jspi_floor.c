// The floor under a blocking syscall: a loop calling one import n times. The bench instantiates
// it with a plain import, a Suspending import that returns at once (no suspension), and a
// Suspending import that returns a resolved Promise (a full suspend + resume).
__attribute__((import_module("env"), import_name("k"))) int k(void);

__attribute__((export_name("loop"))) int loop(int n) {
  int acc = 0;
  for (int i = 0; i < n; i++) acc += k();
  return acc;
}
