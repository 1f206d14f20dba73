/**
 * A large synthetic module for instrumentation throughput: many functions mixing loops, calls,
 * memory traffic, constants of every width, br_table, if/else, SIMD and (some) atomic wait/notify,
 * over a shared memory. Valid, but only for instrumenting and validating, never run.
 */

import { ByteWriter } from "../../src/libos/loader/instrument/bytes.ts";

export function syntheticModule(targetBytes: number): Uint8Array {
  const w = new ByteWriter(targetBytes + 65536);
  w.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, body: () => void) => {
    w.byte(id);
    const m = w.reserveLength();
    body();
    w.patchLength(m);
  };
  // Type 0: (i32) -> i32.
  section(1, () => w.bytes([1, 0x60, 1, 0x7f, 1, 0x7f]));
  // One import so defined functions really move.
  section(2, () => {
    w.u32(1);
    w.name("env");
    w.name("f");
    w.byte(0);
    w.u32(0);
  });
  const body = (i: number, n: number): Uint8Array => {
    const b = new ByteWriter(1024);
    b.bytes([1, 2, 0x7f]); // 2 i32 locals
    b.bytes([0x02, 0x40, 0x03, 0x40]); // block loop
    b.bytes([0x20, 0, 0x45, 0x0d, 1]); // local.get 0; i32.eqz; br_if 1
    b.bytes([0x20, 0, 0x41, 1, 0x6b, 0x21, 0]); // n--
    for (let r = 0; r < 6; r++) {
      b.bytes([0x20, 1, 0x41]);
      b.i32((i * 2654435761 + r * 40503) | 0);
      b.bytes([0x6a, 0x20, 0, 0x28, 2]);
      b.u32((r * 4096 + i) & 0xfffc);
      b.bytes([0x73, 0x21, 1]); // local1 = (local1 + K) ^ load(n + off)
      b.bytes([0x20, 0, 0x20, 1, 0x36, 2]);
      b.u32(r * 8);
      b.bytes([0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x44, 0, 0, 0, 0, 0, 0, 0, 0x40, 0xa0, 0x1a]); // f64 add, drop
      b.bytes([0x42]);
      b.i32(i * 977 - r); // i64.const (fits i32 LEB encoding)
      b.byte(0x1a);
      b.bytes([0x20, 1, 0x41, 3, 0x71]); // local1 & 3
      b.bytes([0x04, 0x7f, 0x41, 5, 0x05, 0x41, 6, 0x0b, 0x20, 1, 0x6a, 0x21, 1]); // if/else
    }
    b.bytes([0x02, 0x40, 0x02, 0x40, 0x20, 1, 0x0e, 2, 0, 1, 0, 0x0b, 0x0b]); // br_table
    b.bytes([0x41, 0, 0xfd, 0x0f, 0xfd, 0x1b, 0, 0x1a]); // i8x16.splat, extract_lane_s 0 (SIMD)
    b.bytes([0x0c, 0, 0x0b, 0x0b]); // br 0; end loop; end block
    b.bytes([0x20, 1, 0x10]);
    b.u32(1 + ((i * 7919) % n)); // call another defined function
    b.bytes([0x20, 0, 0x10, 0, 0x6a]); // + call import
    if (i % 64 === 0) b.bytes([0x20, 1, 0x41, 1, 0xfe, 0x00, 2, 8, 0x6a]); // + memory.atomic.notify offset=8
    if (i % 128 === 0) b.bytes([0x41, 16, 0x20, 1, 0x42, 0x7f, 0xfe, 0x01, 2, 0, 0x6a]); // + wait32
    b.byte(0x0b);
    return b.finish();
  };
  const sample = body(1, 2).length;
  const n = Math.max(1, Math.floor(targetBytes / (sample + 3)));
  section(3, () => {
    w.u32(n);
    for (let i = 0; i < n; i++) w.u32(0);
  });
  section(5, () => w.bytes([1, 3, 1, 1])); // shared memory, 1 page min and max
  section(7, () => {
    w.u32(1);
    w.name("f0");
    w.byte(0);
    w.u32(1);
  });
  section(10, () => {
    w.u32(n);
    for (let i = 0; i < n; i++) {
      const b = body(i, n);
      w.u32(b.length);
      w.bytes(b);
    }
  });
  return w.finish();
}
