import { test } from "node:test";
import assert from "node:assert/strict";
import { RtQueue, type RtEntry } from "./rt-queue.ts";

const entry = (name: string, prio: number): RtEntry => ({ fn: () => {}, v: name, prio, owner: { name } });

test("real-time queue: highest priority first, FIFO within one, a head insert before its equals; take and find by match", () => {
  const q = new RtQueue();
  assert.equal(q.top, 0);
  for (const [name, prio] of [["a10", 10], ["b30", 30], ["c10", 10], ["d20", 20]] as const) q.insert(entry(name, prio), false);
  q.insert(entry("e10-head", 10), true);
  q.insert(entry("f30", 30), false);
  assert.equal(q.length, 6);
  assert.equal(q.top, 30);
  assert.equal(q.find((e) => e.v === "d20")?.prio, 20);
  assert.equal(q.take((e) => e.v === "d20")?.v, "d20");
  assert.equal(q.take((e) => e.v === "nobody"), undefined);
  const order: unknown[] = [];
  for (let e = q.shift(); e !== undefined; e = q.shift()) order.push(e.v);
  assert.deepEqual(order, ["b30", "f30", "e10-head", "a10", "c10"]);
  assert.equal(q.length, 0);
  assert.equal(q.top, 0);
});
