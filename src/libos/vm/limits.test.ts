import { test } from "node:test";
import assert from "node:assert/strict";
import { limitsFromResolved, occlumSize, pagesFor, touchPages } from "./limits.ts";

test("touching pages never changes their contents (plain and atomic paths)", () => {
  for (const concurrent of [false, true]) {
    const sab = new SharedArrayBuffer(5 * 4096 + 100);
    const u8 = new Uint8Array(sab);
    for (let i = 0; i < u8.length; i++) u8[i] = (i * 7) & 0xff;
    touchPages(sab, 3, sab.byteLength, concurrent);
    assert.ok(u8.every((v, i) => v === ((i * 7) & 0xff)));
  }
  const ab = new ArrayBuffer(3 * 4096);
  new Uint8Array(ab)[4096] = 9;
  touchPages(ab, 4000);
  assert.equal(new Uint8Array(ab)[4096], 9);
});

test("Occlum size strings in the largest exact unit", () => {
  assert.equal(occlumSize(64 << 20), "64MB");
  assert.equal(occlumSize(16 * 2 ** 30), "16GB");
  assert.equal(occlumSize(1536 << 20), "1536MB");
  assert.equal(occlumSize(300 << 10), "300KB");
  assert.equal(occlumSize(5), "5B");
  assert.equal(occlumSize(0), "0B");
  assert.equal(pagesFor(65537), 2);
});

test("limitsFromResolved maps the resolved config; the runtime mode may override EDMM", () => {
  const c = {
    edmm: { enabled: true }, kernelStack: 1n << 20n,
    kernelHeap: { init: 32n << 20n, max: 1n << 30n }, userSpace: { init: 300n << 20n, max: 16n << 30n },
    threads: { init: 16, max: 4096 }, process: { defaultStackSize: 4n << 20n, defaultHeapSize: 32n << 20n },
  };
  const l = limitsFromResolved(c);
  assert.deepEqual(l.userSpace, { edmm: true, init: 300 * 2 ** 20, max: 16 * 2 ** 30, processHeap: 32 * 2 ** 20, processStack: 4 * 2 ** 20 });
  assert.deepEqual(l.threads, { edmm: true, init: 16, max: 4096 });
  assert.equal(l.kernelStack, 2 ** 20);
  assert.equal(limitsFromResolved(c, false).kernelHeap.edmm, false);
});
