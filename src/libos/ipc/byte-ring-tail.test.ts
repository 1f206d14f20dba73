/**
 * ByteRing's in-place producer API (tailSpace / commitTail), used by TCP to read host data straight
 * into a socket's receive ring: the view handed out must still be right when the bytes are
 * committed after the reader moved on (emptied the ring, wrapped, shrank the capacity), and a view
 * from storage that was since replaced is copied, never trusted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteBudget, ByteRing } from "./byte-ring.ts";

const fill = (v: Uint8Array, from: number): Uint8Array => {
  for (let i = 0; i < v.byteLength; i++) v[i] = (from + i) & 0xff;
  return v;
};
const readN = (r: ByteRing, n: number, peek = false): number[] => {
  const out = new Uint8Array(n);
  return [...out.subarray(0, r.read([out], peek))];
};

test("tailSpace hands out the ring's own storage; commitTail stores in place", () => {
  const r = new ByteRing({ capacity: 64 });
  const v = r.tailSpace(16);
  assert.ok(v.byteLength >= 16 && v.byteLength <= 64);
  fill(v, 1);
  assert.equal(r.length, 0, "nothing stored before the commit");
  assert.equal(r.commitTail(v, 5), 5);
  assert.deepEqual(readN(r, 3, true), [1, 2, 3], "peek");
  assert.deepEqual(readN(r, 10), [1, 2, 3, 4, 5]);
  // The tail view follows the data; a second commit appends.
  r.write([new Uint8Array([9, 9])]);
  const w = r.tailSpace(4);
  fill(w, 50);
  assert.equal(r.commitTail(w, 3), 3);
  assert.deepEqual(readN(r, 10), [9, 9, 50, 51, 52]);
});

test("the reader empties the ring between tailSpace and commitTail: the bytes become the whole ring", () => {
  const r = new ByteRing({ capacity: 32 });
  r.write([fill(new Uint8Array(10), 100)]);
  assert.deepEqual(readN(r, 4), [100, 101, 102, 103]);
  const v = r.tailSpace(8); // at offset 10
  assert.deepEqual(readN(r, 6), [104, 105, 106, 107, 108, 109]); // empty: head resets to 0
  fill(v, 7);
  assert.equal(r.commitTail(v, 4), 4);
  assert.equal(r.length, 4);
  assert.deepEqual(readN(r, 10), [7, 8, 9, 10]);
  // And the next view starts at the tail again.
  const w = r.tailSpace(4);
  fill(w, 1);
  r.commitTail(w, 2);
  r.write([new Uint8Array([3])]);
  assert.deepEqual(readN(r, 10), [1, 2, 3]);
});

test("around the wrap: the view ends at the storage's end, then continues before the head, in order", () => {
  const r = new ByteRing({ capacity: 16 });
  r.write([fill(new Uint8Array(16), 0)]); // storage grows to 16
  assert.equal(r.tailSpace(4).byteLength, 0, "full: no space");
  assert.deepEqual(readN(r, 12), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const all: number[] = [12, 13, 14, 15];
  let next = 200;
  for (let round = 0; round < 5; round++) {
    const v = r.tailSpace(16);
    assert.ok(v.byteLength > 0 && v.byteLength <= r.free);
    const n = Math.min(v.byteLength, 5);
    fill(v.subarray(0, n), next);
    for (let i = 0; i < n; i++) all.push((next + i) & 0xff);
    next += n;
    assert.equal(r.commitTail(v, n), n);
    const k = (round % 2) + 3;
    assert.deepEqual(readN(r, k), all.splice(0, k));
  }
  assert.deepEqual(readN(r, 64), all);
});

test("a capacity that shrank below the view stores what fits; the caller keeps the rest", () => {
  const r = new ByteRing({ capacity: 32 });
  r.write([new Uint8Array(4)]);
  const v = r.tailSpace(28);
  assert.equal(v.byteLength, 28);
  r.setCapacity(10);
  assert.equal(r.commitTail(fill(v, 0), 20), 6);
  assert.equal(r.length, 10);
});

test("a view from storage that growth replaced is copied, not trusted", () => {
  const r = new ByteRing({ capacity: 64 * 1024 });
  r.write([new Uint8Array([1, 2, 3])]);
  const stale = r.tailSpace(8); // small storage
  fill(stale, 40);
  r.write([new Uint8Array(10_000)]); // grows: new storage, `stale` now points at the old one
  assert.equal(r.commitTail(stale, 4), 4);
  const out = new Uint8Array(10_007);
  assert.equal(r.read([out]), 10_007);
  assert.deepEqual([...out.subarray(0, 3)], [1, 2, 3]);
  assert.deepEqual([...out.subarray(10_003)], [40, 41, 42, 43], "committed after what was written");
});

test("tailSpace grows storage within the budget only, and offers what is allocated when refused", () => {
  const budget = new ByteBudget(8192);
  const r = new ByteRing({ capacity: 1 << 20, mem: budget });
  assert.equal(r.tailSpace(4096).byteLength, 4096);
  assert.equal(budget.used, 4096);
  assert.equal(r.tailSpace(1 << 20).byteLength, 8192, "grew as far as the budget allows");
  assert.equal(budget.used, 8192);
  const none = new ByteRing({ capacity: 1024, mem: new ByteBudget(0) });
  assert.equal(none.tailSpace(512).byteLength, 0);
});
