// CPU-bound work with no syscalls in the hot loops: SHA-256 over MB megabytes of generated data,
// sorting N 32-bit integers, then a recursive fib(F) (call-heavy: ~1 ns of work per call, the
// worst case for per-call preemption checks). Prints "sha256 <ms> <digest prefix>",
// "sort <ms> <check>" and "fib <ms> <value>".
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void block(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static double ms(void) {
  __wasi_timestamp_t t = 0;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
  return (double)t / 1e6;
}

// noinline: the recursion must stay a call (clang turns one of the two calls into a loop).
__attribute__((noinline)) static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  long mb = argc > 1 ? atol(argv[1]) : 256;
  long n = argc > 2 ? atol(argv[2]) : 4000000;
  int fn = argc > 3 ? atoi(argv[3]) : 36;
  static uint8_t chunk[1 << 20];
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof chunk; i++) {
    x = x * 1103515245u + 12345u;
    chunk[i] = (uint8_t)(x >> 16);
  }
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  double t0 = ms();
  for (long m = 0; m < mb; m++) {
    chunk[0] = (uint8_t)m;  // every megabyte differs
    for (size_t off = 0; off < sizeof chunk; off += 64) block(h, chunk + off);
  }
  double t1 = ms();
  printf("sha256 %.1f %08x\n", t1 - t0, h[0]);

  uint32_t *v = malloc((size_t)n * 4);
  if (!v) return 3;
  for (long i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    v[i] = x;
  }
  double t2 = ms();
  qsort(v, (size_t)n, 4, cmp);
  double t3 = ms();
  int sorted = 1;
  for (long i = 1; i < n; i++) sorted &= v[i - 1] <= v[i];
  printf("sort %.1f %d\n", t3 - t2, sorted);

  double t4 = ms();
  int f = fib(fn);
  double t5 = ms();
  printf("fib %.1f %d\n", t5 - t4, f);
  return sorted ? 0 : 1;
}
