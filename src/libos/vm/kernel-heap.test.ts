import { test } from "node:test";
import assert from "node:assert/strict";
import { KernelHeap } from "./kernel-heap.ts";
import { VmError } from "./limits.ts";

const KB = 1024;

test("charges are exact per owner, with peak tracking", () => {
  const h = new KernelHeap({ edmm: true, init: 16 * KB, max: 64 * KB });
  h.charge(10 * KB, "pipe");
  h.charge(20 * KB, "page-cache");
  h.uncharge(5 * KB, "pipe");
  const s = h.stats();
  assert.equal(s.used, 25 * KB);
  assert.equal(s.peak, 30 * KB);
  assert.deepEqual(s.byOwner, { pipe: 5 * KB, "page-cache": 20 * KB });
  assert.throws(() => h.uncharge(6 * KB, "pipe"), /holds 5120/);
});

test("without EDMM the static size is the limit; with EDMM, Max", () => {
  assert.equal(new KernelHeap({ edmm: false, init: 32 * KB, max: 32 * KB }).limit, 32 * KB);
  assert.equal(new KernelHeap({ edmm: true, init: 4 * KB, max: 1024 * KB }).limit, 1024 * KB);
});

test("shrinkers run, in order, before a charge fails, and only as far as needed", () => {
  const h = new KernelHeap({ edmm: false, init: 100 * KB, max: 100 * KB });
  let cache = 0;
  h.charge(60 * KB, "page-cache");
  cache = 60 * KB;
  h.charge(30 * KB, "socket");
  const calls: string[] = [];
  h.registerShrinker("page-cache", (want) => {
    calls.push(`cache:${want}`);
    const freed = Math.min(want, cache);
    cache -= freed;
    h.uncharge(freed, "page-cache");
    return freed;
  });
  h.registerShrinker("never", () => {
    calls.push("never");
    return 0;
  });
  h.charge(25 * KB, "pipe"); // 15 KB over: the cache gives 15 KB, the second shrinker is not asked
  assert.deepEqual(calls, [`cache:${15 * KB}`]);
  assert.equal(h.inUse, 100 * KB);
  assert.equal(h.stats().shrunkBytes, 15 * KB);
  // More than the caches can give: every shrinker is asked, then ENOSPC for the caller.
  calls.length = 0;
  assert.throws(() => h.charge(60 * KB, "ramfs", "ENOSPC"), (e: unknown) => e instanceof VmError && e.code === "ENOSPC" && /ramfs needs 61440 bytes/.test(e.message));
  assert.deepEqual(calls, [`cache:${60 * KB}`, "never"]);
  assert.equal(cache, 0);
  assert.equal(h.stats().failedCharges, 1);
  assert.equal(h.tryCharge(45 * KB, "ramfs"), true, "what the shrink freed is usable");
});

test("a charge made inside a shrinker does not recurse", () => {
  const h = new KernelHeap({ edmm: false, init: 10, max: 10 });
  let depth = 0;
  h.registerShrinker("x", () => {
    depth++;
    assert.equal(h.tryCharge(100, "inner"), false);
    return 0;
  });
  assert.equal(h.tryCharge(11, "outer"), false);
  assert.equal(depth, 1);
});

test("unregistered shrinkers are not asked; the start-up peak freezes at markStarted", () => {
  const h = new KernelHeap({ edmm: true, init: 10, max: 20 });
  let asked = 0;
  const off = h.registerShrinker("x", () => ++asked && 0);
  off();
  h.charge(8, "a");
  h.markStarted();
  h.charge(12, "b");
  assert.equal(h.tryCharge(1, "c"), false);
  assert.equal(asked, 0);
  assert.equal(h.stats().startupPeak, 8);
  assert.equal(h.stats().peak, 20);
});
