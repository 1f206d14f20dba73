import { test } from "node:test";
import assert from "node:assert/strict";
import { ThreadBudget } from "./threads.ts";
import { VmError } from "./limits.ts";

test("TCSNum contexts are prepared (and committed) at boot", () => {
  const tb = ThreadBudget.boot({ edmm: true, init: 4, max: 16 }, 16 << 10);
  const s = tb.stats();
  assert.equal(s.prepared, 4);
  assert.equal(s.preparedBytes, 4 * (16 << 10));
  assert.equal(s.createdOnDemand, 0);
  assert.equal(s.live, 0);
});

test("threads beyond max_num_of_threads get EAGAIN; contexts beyond Init come on demand and stay", () => {
  const tb = ThreadBudget.boot({ edmm: true, init: 2, max: 3 }, 4096);
  const a = tb.acquire(1);
  const b = tb.acquire(1);
  const c = tb.acquire(2);
  assert.deepEqual([a.slot, b.slot, c.slot].sort(), [0, 1, 2]);
  assert.equal(tb.stats().createdOnDemand, 1);
  assert.throws(() => tb.acquire(2), (e: unknown) => e instanceof VmError && e.code === "EAGAIN" && /max_num_of_threads is 3/.test(e.message));
  assert.equal(tb.stats().refused, 1);
  assert.equal(tb.threadsOf(1), 2);
  assert.equal(tb.threadsOf(2), 1);
  new Uint8Array(b.scratch)[0] = 5;
  tb.release(b);
  assert.equal(tb.threadsOf(1), 1);
  const d = tb.acquire(2);
  assert.equal(d, b, "a freed context is reused");
  assert.equal(new Uint8Array(d.scratch)[0], 0, "and cleared");
  assert.equal(tb.stats().prepared, 3);
  assert.equal(tb.stats().peakLive, 3);
});

test("without EDMM all max_num_of_threads contexts are prepared at boot (TCSNum = TCSMaxNum)", () => {
  const tb = ThreadBudget.boot({ edmm: false, init: 8, max: 8 }, 4096);
  assert.equal(tb.stats().prepared, 8);
  for (let i = 0; i < 8; i++) tb.acquire(1);
  assert.equal(tb.stats().createdOnDemand, 0);
  assert.throws(() => tb.acquire(1), /EAGAIN/);
});
