import { test } from "node:test";
import assert from "node:assert/strict";
import { RtBudget } from "./rt-budget.ts";

test("real-time budget: 950 ms of each 1 s period, counted while a real-time thread holds the CPU, renewed with the period", () => {
  const b = new RtBudget();
  b.running(0);
  assert.equal(b.left(900), true);
  assert.equal(b.left(950), false, "950 ms of the period used");
  assert.equal(b.periodEnd, 1000);
  b.stopped(960);
  assert.equal(b.left(1000), true, "a new period");
  b.running(1000);
  assert.equal(b.left(1949), true);
  assert.equal(b.left(1951), false);
  b.stopped(1951);
  // Time off the CPU does not count; after a quiet spell a period starts with the next run.
  assert.equal(b.left(5000), true);
  assert.equal(b.periodEnd, 6000);
  b.running(5100);
  b.stopped(5600);
  b.running(5700);
  assert.equal(b.left(6000), true, "800 ms used, and the period is over");
});
