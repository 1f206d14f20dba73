import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteBudget, ByteRing } from "./byte-ring.ts";
import { Errno, SysError } from "../syscall/errno.ts";

const bytes = (...v: number[]) => new Uint8Array(v);

test("write and read across the wrap point, into and from several iovecs", () => {
  const r = new ByteRing({ capacity: 8 });
  assert.equal(r.write([bytes(1, 2, 3, 4, 5, 6)]), 6);
  const a = new Uint8Array(4);
  assert.equal(r.read([a]), 4);
  assert.deepEqual(a, bytes(1, 2, 3, 4));
  // 2 left at indices 4..5 of an 8-byte... storage grows to capacity; wrap with 6 more
  assert.equal(r.write([bytes(7, 8), bytes(9, 10, 11, 12), bytes(13)]), 6);
  assert.equal(r.length, 8);
  assert.equal(r.free, 0);
  assert.equal(r.write([bytes(99)]), 0);
  const x = new Uint8Array(3);
  const y = new Uint8Array(10);
  assert.equal(r.read([x, y], true), 8);
  assert.equal(r.length, 8, "peek leaves the bytes");
  assert.deepEqual([...x, ...y.subarray(0, 5)], [5, 6, 7, 8, 9, 10, 11, 12]);
  assert.equal(r.read([x, y]), 8);
  assert.equal(r.length, 0);
});

test("peekContiguous gives views valid until consume, even across growth", () => {
  const r = new ByteRing({ capacity: 64 * 1024 });
  r.write([new Uint8Array(4000).fill(7)]);
  const v = r.peekContiguous();
  assert.equal(v.byteLength, 4000);
  r.write([new Uint8Array(10000).fill(9)]); // grows the storage
  assert.ok(v.every((b) => b === 7), "the old view still holds the sent bytes");
  r.consume(4000);
  const w = r.peekContiguous(100);
  assert.equal(w.byteLength, 100);
  assert.ok(w.every((b) => b === 9));
});

test("storage is charged as it grows, refusals give partial writes then the errno", () => {
  const budget = new ByteBudget(8192);
  const r = new ByteRing({ capacity: 64 * 1024, mem: budget, refuseErrno: Errno.NOBUFS });
  assert.equal(r.allocated, 0, "lazy: nothing allocated before the first write");
  assert.equal(r.write([new Uint8Array(100)]), 100);
  assert.equal(budget.used, 4096);
  assert.equal(r.write([new Uint8Array(10000)]), 8092, "grew to 8 KiB, the budget's limit, and stored what fit");
  assert.equal(budget.used, 8192);
  assert.throws(() => r.write([new Uint8Array(1)]), (e: unknown) => e instanceof SysError && e.errno === Errno.NOBUFS);
  r.dispose();
  assert.equal(budget.used, 0);
});

test("byte-for-byte integrity over many random writes and reads", () => {
  const r = new ByteRing({ capacity: 1000 });
  let wseq = 0;
  let rseq = 0;
  let seed = 12345;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 2000; i++) {
    const w = new Uint8Array(rnd(700));
    for (let j = 0; j < w.length; j++) w[j] = (wseq + j) & 0xff;
    wseq += r.write([w.subarray(0, w.length >> 1), w.subarray(w.length >> 1)]);
    const out = new Uint8Array(rnd(700));
    const n = r.read([out]);
    for (let j = 0; j < n; j++) assert.equal(out[j], (rseq + j) & 0xff);
    rseq += n;
  }
  assert.equal(wseq - rseq, r.length);
});
