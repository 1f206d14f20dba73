/**
 * CpuSlot: a vCPU thread's CPU time, written by its worker and read by the kernel thread. Here both
 * sides are one object pair over one SharedArrayBuffer, as the kernel (reader) and a worker
 * (writer) hold them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CpuSlot } from "./cpu-slot.ts";
import { nowMs } from "../sched/clock.ts";

/** Charged as held (this process's own rate would depend on its load). */
const whole = { rate: 1, rateAt: () => 1 };

test("turns add up; the reader sees a running turn grow and a finished one stay", () => {
  const reader = new CpuSlot();
  const writer = new CpuSlot(reader.buffer, whole);
  assert.equal(reader.readMs(), 0);
  writer.on(100);
  writer.off(130);
  assert.equal(reader.readMs(), 30);
  writer.on(200);
  writer.off(205);
  assert.equal(reader.readMs(), 35);
  const later = nowMs() + 1e6; // a turn whose start the reader's clock has not reached
  writer.on(later);
  assert.equal(reader.readMs(), 35, "a running turn adds max(0, now - start)");
  writer.off(later + 1);
  assert.equal(reader.readMs(), 36);
});

test("on twice or off twice changes nothing (a handler's turn inside the thread's own)", () => {
  const reader = new CpuSlot();
  const writer = new CpuSlot(reader.buffer, whole);
  writer.on(10);
  writer.on(20);
  writer.off(30);
  writer.off(40);
  assert.equal(reader.readMs(), 20);
});

test("the reader's clock never goes back, even if the writer's last turn was counted short", () => {
  const reader = new CpuSlot();
  const writer = new CpuSlot(reader.buffer, whole);
  writer.on(0); // running since 0: the reader counts up to its now
  const running = reader.readMs();
  assert.ok(running > 1000, `counted from 0 to now: ${running}`);
  writer.off(5); // the writer ends the turn at 5: 5 ms in all, less than the reader saw
  assert.equal(reader.readMs(), running, "never below a value already read");
});

test("held time is charged at the writer's rate, which a running turn uses too", () => {
  const reader = new CpuSlot();
  const half = { rate: 0.5, rateAt: () => 0.5 };
  const writer = new CpuSlot(reader.buffer, half);
  writer.on(100);
  writer.off(140);
  assert.equal(reader.readMs(), 20);
  const start = nowMs() - 10;
  writer.on(start);
  const r = reader.readMs();
  assert.ok(r >= 25 && r < 20 + (nowMs() - start) * 0.5 + 0.001, `20 + half of ~10 ms: ${r}`);
});
