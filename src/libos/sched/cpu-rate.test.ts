import { test } from "node:test";
import assert from "node:assert/strict";
import { CpuRate } from "./cpu-rate.ts";

test("the rate is CPU over busy time per window, at most 1, kept over windows too idle to measure", () => {
  let cpu = 0;
  let busy = 0;
  const r = new CpuRate(() => cpu, () => busy);
  assert.equal(r.rateAt(0), 1, "nothing measured yet");
  cpu += 5; busy += 10; // a host process took half of the core
  assert.equal(r.rateAt(5), 1, "within the window: no new sample");
  assert.equal(r.rateAt(10), 0.5);
  cpu += 1; busy += 1; // under MIN_BUSY_MS: the rate stays
  assert.equal(r.rateAt(20), 0.5);
  cpu += 12; busy += 10; // the agent's own work outside guest threads: capped at 1
  assert.equal(r.rateAt(30), 1);
  busy += 100; // busy without any CPU: the floor, not 0
  assert.equal(r.rateAt(40), 0.01);
  assert.equal(r.samples, 5);
});

test("this process's own rate stays within (0, 1]", async () => {
  const r = new CpuRate();
  r.rateAt(0);
  const until = Date.now() + 30;
  while (Date.now() < until) { /* busy: CPU and active time both grow */ }
  const v = r.rateAt(1000);
  assert.ok(v > 0 && v <= 1, `${v}`);
});
