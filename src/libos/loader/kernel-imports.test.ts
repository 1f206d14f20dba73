/**
 * The kernel thread's fuel grant while threads run on vCPU workers (kernel-imports.ts
 * nextSharedFuel): scaled so that checks come about every 20 µs of computing, whatever the code.
 * The end-to-end effect (a worker's getpid() while the kernel thread computes) is measured by
 * bench/threads/vcpu.ts's kbusy row, not asserted here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FUEL, kernelImportFns, nextSharedFuel, type KernelImportContext } from "./kernel-imports.ts";
import type { Thread } from "../process/thread.ts";
import { CHECKS_PER_SLICE, FIRST_GRANT_SHARE, scaleGrant } from "./fuel-grant.ts";

const max = FUEL / 16, min = FUEL / 1024;

test("a grant that lasted too long shrinks toward 20 µs, by at most 4x per check", () => {
  assert.equal(nextSharedFuel(max, 0.45), max / 4, "0.45 ms: 22x too long, 4x at most");
  assert.equal(nextSharedFuel(max / 4, 0.04), max / 8, "40 µs: twice too long");
  assert.equal(nextSharedFuel(min, 10), min, "never below FUEL / 1024");
});

test("a grant that lasted too short grows, up to FUEL / 16 (call-heavy code is not checked every few µs)", () => {
  assert.equal(nextSharedFuel(min, 0.01), min * 2, "10 µs: half of the aim");
  assert.equal(nextSharedFuel(min, 0.001), min * 4, "4x at most");
  assert.equal(nextSharedFuel(max, 0.001), max, "never above FUEL / 16");
  assert.equal(nextSharedFuel(min * 4, 0), min * 16, "no time at all: the most growth");
});

test("at the aim it stays; repeated checks converge from either end", () => {
  assert.equal(nextSharedFuel(1000, 0.02), 1000);
  // Code where a grant of g units lasts g × 0.1 µs: the aim is 200 units.
  let g = max;
  for (let i = 0; i < 8; i++) g = nextSharedFuel(g, g * 0.0001);
  assert.equal(g, 200);
  g = min;
  for (let i = 0; i < 8; i++) g = nextSharedFuel(g, g * 0.0001);
  assert.equal(g, 200);
});

test("a thread with a short slice (a nice value) gets grants that last a quarter of it", () => {
  // Nice 10: a 1.07 ms slice, so checks aim at ~0.27 ms; code where a grant of g lasts g x 0.01 µs.
  const target = 1.07 / CHECKS_PER_SLICE;
  let g = FUEL;
  for (let i = 0; i < 8; i++) g = scaleGrant(g, g * 0.00001, target, FUEL / 1024, FUEL);
  assert.equal(g, Math.round(target / 0.00001));
  assert.equal(scaleGrant(FUEL, 0.001, 5, FUEL / 1024, FUEL), FUEL, "never above the full grant");
});

test("a thread starts on a small grant (its code's cost per unit of fuel is not known yet), whatever the module's initial fuel", () => {
  // The module's initial value is the full grant: ~20 ms of a loop calling clock_gettime, which
  // then went unchecked for its first 20 ms (a 5 ms nanosleep of another thread ended after it).
  const fuel = { value: FUEL };
  const k: KernelImportContext = { t: { heldAt: () => 0 } as unknown as Thread, exports: { __occlum_fuel: fuel }, mem: undefined, running: false, fuelExport: "__occlum_fuel" };
  kernelImportFns(k);
  k.begin!();
  assert.equal(fuel.value, Math.round(FUEL * FIRST_GRANT_SHARE));
  assert.ok(fuel.value <= FUEL / 64);
});
