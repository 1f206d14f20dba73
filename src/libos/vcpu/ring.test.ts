/**
 * The ring and its sender: order, values (i32, i64, f64), many messages in flight with
 * completions matched by id in any order, wrap of the slot index and of the int32 counters,
 * overflow when full (kept in order, flushed after the consumer drains), and the same traffic
 * between two agents (a worker echoing completions in shuffled order, woken by doorbells).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { Doorbell, MAX_ARGS, Ring, Sender, type RingMessage } from "./ring.ts";

function drainAll(r: Ring): RingMessage[] {
  const out: RingMessage[] = [];
  r.drain((m) => out.push(m));
  return out;
}

test("messages come out in order with their values (i32, negative, i64, f64)", () => {
  const r = Ring.create(4);
  assert.equal(r.tryPush({ id: 1, key: 7, op: 3, args: [-1, 0xffffffff, 2n ** 63n - 1n, -(2n ** 63n), 1.5] }), true);
  assert.equal(r.tryPush({ id: 2, key: 7, op: -1, args: [] }), true);
  assert.equal(r.length, 2);
  const got = drainAll(r);
  assert.deepEqual(got, [
    { id: 1, key: 7, op: 3, args: [-1, 0xffffffff, 2n ** 63n - 1n, -(2n ** 63n), 1.5] },
    { id: 2, key: 7, op: -1, args: [] },
  ]);
  assert.equal(r.length, 0);
  assert.throws(() => r.tryPush({ id: 3, key: 0, op: 0, args: new Array(MAX_ARGS + 1).fill(0) }), RangeError);
});

test("a full ring refuses and flags WANT_SPACE; slot indices and int32 counters wrap", () => {
  // Counters start below 2^31 and at -3 (2^32 wraps): the fill level stays right across both.
  for (const start of [0, 0x7ffffffe, -3]) {
    const r = Ring.create(4, start);
    let next = 0;
    let expect = 0;
    for (let round = 0; round < 12; round++) {
      // 1..4 messages a round: the window slides across the end of the slots again and again.
      const k = (round % 4) + 1;
      for (let i = 0; i < k; i++) assert.equal(r.tryPush({ id: next, key: 0, op: 0, args: [next++] }), true);
      if (k === 4) {
        assert.equal(r.tryPush({ id: -1, key: 0, op: 0, args: [] }), false);
        assert.equal(r.takeWantSpace(), true);
      }
      assert.equal(r.takeWantSpace(), false);
      assert.equal(r.length, k);
      r.drain((m) => {
        assert.equal(m.id, expect);
        assert.equal(m.args[0], expect++);
      });
      assert.equal(r.length, 0);
    }
    assert.equal(expect, next);
  }
});

test("Sender keeps overflow in order and flushes it after the consumer drains", () => {
  const r = Ring.create(2);
  const bell = new Doorbell();
  const s = new Sender(r, bell);
  for (let i = 0; i < 7; i++) s.send({ id: i, key: 0, op: 0, args: [] });
  assert.equal(s.backlog, 5);
  assert.equal(bell.value, 2); // one ring per message that entered the ring
  const seen: number[] = [];
  while (seen.length < 7) {
    r.drain((m) => seen.push(m.id));
    if (r.takeWantSpace()) s.flush();
  }
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(s.backlog, 0);
  // batch(): one ring for many messages.
  const before = bell.value;
  s.batch(() => {
    s.send({ id: 10, key: 0, op: 0, args: [] });
    s.send({ id: 11, key: 0, op: 0, args: [] });
  });
  assert.equal(bell.value, before + 1);
});

test("many requests in flight between two agents; completions out of order, matched by id", async () => {
  const req = Ring.create(8); // smaller than the number in flight: overflow on both sides
  const comp = Ring.create(8);
  const myBell = new Doorbell();
  const peerBell = new Doorbell();
  const w = new Worker(new URL("./ring-echo.fixture.ts", import.meta.url), {
    workerData: { req: req.sab, comp: comp.sab, myBell: peerBell.sab, peerBell: myBell.sab },
  });
  try {
    const send = new Sender(req, peerBell);
    const N = 500;
    const pending = new Map<number, bigint>();
    for (let id = 1; id <= N; id++) {
      pending.set(id, BigInt(id) * 3n);
      send.send({ id, key: id % 5, op: 1, args: [BigInt(id)] });
    }
    const order: number[] = [];
    while (pending.size > 0) {
      const seen = myBell.value;
      comp.drain((m) => {
        assert.equal(m.args[0], pending.get(m.id), `completion ${m.id} carries its own request's answer`);
        pending.delete(m.id);
        order.push(m.id);
      });
      if (comp.takeWantSpace()) peerBell.ring();
      if (req.takeWantSpace() || send.backlog > 0) send.flush();
      if (pending.size === 0) break;
      const p = myBell.waitAsync(seen);
      if (p) await p;
    }
    assert.equal(order.length, N);
    assert.notDeepEqual(order, [...order].sort((a, b) => a - b), "the worker answered out of order");
  } finally {
    await w.terminate();
  }
});
