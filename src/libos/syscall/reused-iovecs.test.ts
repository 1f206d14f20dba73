/**
 * The iovecs codec of the socket rows (codecs.ts reusedIovecs): the same one-iovec array is
 * handed out again only while it names the same live bytes; anything else decodes afresh.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { A, reusedIovecs } from "./codecs.ts";
import { GuestMemory, GuestTrap } from "./memory.ts";
import { Wasm } from "../wasm.ts";

const IOV = 64; // where the test puts the iovec array (8 bytes per iovec)

function setIov(m: GuestMemory, k: number, base: number, len: number): void {
  m.dv.setUint32(IOV + 8 * k, base, true);
  m.dv.setUint32(IOV + 8 * k + 4, len, true);
}

test("one iovec naming the same bytes: the same array again; other bytes, other memories, several iovecs: decoded afresh", () => {
  const m = new GuestMemory(new Wasm.Memory({ initial: 1, maximum: 4 }));
  const c = reusedIovecs();
  setIov(m, 0, 1024, 100);
  const a = c.decode(m, [IOV, 1], 0);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.byteOffset, 1024);
  assert.equal(a[0]!.byteLength, 100);
  assert.equal(c.decode(m, [IOV, 1], 0), a, "same iovec: the array is reused");
  m.u8[1024] = 7;
  assert.equal(c.decode(m, [IOV, 1], 0)[0]![0], 7, "a live view: it sees what the guest wrote since");

  setIov(m, 0, 1024, 50);
  const b = c.decode(m, [IOV, 1], 0);
  assert.notEqual(b, a);
  assert.equal(b[0]!.byteLength, 50);
  assert.equal(a[0]!.byteLength, 100, "the array handed out before is not modified");

  const other = new GuestMemory(new Wasm.Memory({ initial: 1 }));
  other.dv.setUint32(IOV, 1024, true);
  other.dv.setUint32(IOV + 4, 50, true);
  const o = c.decode(other, [IOV, 1], 0);
  assert.notEqual(o, b, "another process's memory: its own view");
  assert.equal(o[0]!.buffer, other.u8.buffer);

  setIov(m, 0, 1024, 10);
  setIov(m, 1, 2048, 20);
  const two = c.decode(m, [IOV, 2], 0);
  assert.deepEqual(two.map((v) => [v.byteOffset, v.byteLength]), [[1024, 10], [2048, 20]]);
  assert.deepEqual(two.map((v) => [v.byteOffset, v.byteLength]), A.iovecs.decode(m, [IOV, 2], 0).map((v) => [v.byteOffset, v.byteLength]));
});

test("a non-shared memory that grew detached the old view: decoded afresh, never a stale (empty) view", () => {
  const mem = new Wasm.Memory({ initial: 1, maximum: 4 });
  const m = new GuestMemory(mem);
  const c = reusedIovecs();
  setIov(m, 0, 4096, 16);
  const a = c.decode(m, [IOV, 1], 0);
  mem.grow(1);
  m.refresh();
  const b = c.decode(m, [IOV, 1], 0);
  assert.equal(a[0]!.byteLength, 0, "the old view is detached");
  assert.notEqual(b, a);
  assert.equal(b[0]!.byteLength, 16);
  assert.equal(b[0]!.buffer, mem.buffer);
});

test("a bad iovec array or iovec traps", () => {
  const m = new GuestMemory(new Wasm.Memory({ initial: 1 }));
  const c = reusedIovecs();
  setIov(m, 0, 65536 - 8, 100);
  assert.throws(() => c.decode(m, [IOV, 1], 0), GuestTrap);
  assert.throws(() => c.decode(m, [65536 - 4, 1], 0), GuestTrap, "the iovec array itself out of bounds");
  assert.throws(() => c.decode(m, [IOV + 2, 1], 0), GuestTrap, "misaligned iovec array");
});

test("two rows (a recv and a send naming different lengths) each keep their own array", () => {
  const m = new GuestMemory(new Wasm.Memory({ initial: 1 }));
  const recv = reusedIovecs(), send = reusedIovecs();
  setIov(m, 0, 1024, 4096);
  setIov(m, 1, 1024, 1);
  const r = recv.decode(m, [IOV, 1], 0);
  const s = send.decode(m, [IOV + 8, 1], 0);
  assert.equal(recv.decode(m, [IOV, 1], 0), r);
  assert.equal(send.decode(m, [IOV + 8, 1], 0), s);
  assert.deepEqual([r[0]!.byteLength, s[0]!.byteLength], [4096, 1]);
});
