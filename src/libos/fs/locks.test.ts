import { test } from "node:test";
import assert from "node:assert/strict";
import {
  END_INF, LockType, locksOf, releaseOnClose, releaseRecordLocks, testLock, trySetLock, tryFlock, unflock, waitForLocks,
  wouldDeadlock, type LockKind, type LockRequest,
} from "./locks.ts";
import type { Interruptible } from "../sched/wait-queue.ts";

const { RD, WR, UN } = LockType;
let n = 0;
const fresh = (): string => `test:${++n}`;
const req = (owner: object, type: number, start: number, end: bigint | number, kind: LockKind = "posix", pid = 7): LockRequest =>
  ({ owner, kind, type, start: BigInt(start), end: typeof end === "bigint" ? end : BigInt(end), pid });
const ranges = (key: string): string[] =>
  locksOf(key).records.map((l) => `${l.type === RD ? "R" : "W"}${l.start}-${l.end === END_INF ? "inf" : l.end}`);

test("setting a lock splits, merges and replaces the owner's own locks only", () => {
  const key = fresh();
  const p = {};
  assert.equal(trySetLock(key, req(p, WR, 0, 100)), undefined);
  assert.equal(trySetLock(key, req(p, UN, 40, 60)), undefined);
  assert.deepEqual(ranges(key), ["W0-40", "W60-100"]);
  assert.equal(trySetLock(key, req(p, RD, 30, 70)), undefined); // a downgrade of one part, and a new part
  assert.deepEqual(ranges(key), ["W0-30", "R30-70", "W70-100"]);
  assert.equal(trySetLock(key, req(p, WR, 30, 70)), undefined); // adjacent write locks merge
  assert.deepEqual(ranges(key), ["W0-100"]);
  assert.equal(trySetLock(key, req(p, UN, 0, END_INF)), undefined);
  assert.deepEqual(ranges(key), []);
});

test("locks of different owners conflict when they overlap and one writes", () => {
  const key = fresh();
  const a = {}, b = {};
  assert.equal(trySetLock(key, req(a, RD, 0, 10)), undefined);
  assert.equal(trySetLock(key, req(b, RD, 5, 15)), undefined, "two readers share");
  const c = trySetLock(key, req(b, WR, 8, 9));
  assert.equal(c?.owner, a, "a writer meets the reader");
  assert.equal(trySetLock(key, req(b, WR, 10, 20)), undefined, "no overlap with a's range");
  assert.equal(testLock(key, req(a, WR, 0, END_INF))?.owner, b);
  assert.equal(testLock(key, req(a, RD, 0, 10)), undefined, "own locks never conflict");
  // An OFD lock of the same process is another owner.
  assert.equal(trySetLock(key, req({}, WR, 0, 1, "ofd", -1))?.owner, a);
  releaseRecordLocks(key, a, "posix");
  releaseRecordLocks(key, b, "posix");
  assert.deepEqual(ranges(key), []);
});

test("deadlock: a wait that would close a cycle of POSIX owners is refused", async () => {
  const k1 = fresh(), k2 = fresh();
  const a = {}, b = {};
  trySetLock(k1, req(a, WR, 0, 1));
  trySetLock(k2, req(b, WR, 0, 1));
  const intr: Interruptible & { cancel?: () => void } = {
    interruptPending: false,
    setCanceller(c) {
      this.cancel = c;
    },
  };
  // b waits for a's lock on k1.
  const breq = req(b, WR, 0, 1);
  const blocker = trySetLock(k1, breq)!;
  assert.equal(wouldDeadlock(breq, blocker), false);
  const waiting = waitForLocks(k1, breq, intr);
  // a now asks for b's lock on k2: a cycle.
  const areq = req(a, WR, 0, 1);
  assert.equal(wouldDeadlock(areq, trySetLock(k2, areq)!), true);
  // OFD locks take no part in the detection.
  assert.equal(wouldDeadlock(req({}, WR, 0, 1, "ofd", -1), trySetLock(k2, req({}, WR, 0, 1, "ofd", -1))!), false);
  releaseRecordLocks(k1, a, "posix"); // wakes b
  assert.equal(await waiting, "woken");
  assert.equal(trySetLock(k1, breq), undefined);
  releaseRecordLocks(k1, b, "posix");
  releaseRecordLocks(k2, b, "posix");
});

test("a close by a process drops its POSIX locks on that file, through any of its descriptions", async () => {
  const proc = {};
  const desc1 = { stat: () => ({ dev: 9n, ino: 1n }) as never };
  const desc2 = { stat: () => Promise.resolve({ dev: 9n, ino: 1n } as never) };
  trySetLock("9:1", req(proc, WR, 0, 10)); // the table key of (dev 9, ino 1)
  assert.equal(locksOf("9:1").records.length, 1);
  await releaseOnClose({}, desc1); // another process: nothing
  assert.equal(locksOf("9:1").records.length, 1);
  await releaseOnClose(proc, desc2); // another description of the same file (an async stat)
  assert.equal(locksOf("9:1").records.length, 0);
});

test("flock: shared locks share, an exclusive one excludes, a conversion drops the old lock first", () => {
  const key = fresh();
  const d1 = {}, d2 = {};
  assert.equal(tryFlock(key, d1, false), true);
  assert.equal(tryFlock(key, d2, false), true);
  assert.equal(tryFlock(key, d2, true), false, "d1 still shares");
  assert.equal(locksOf(key).flocks, 1, "d2's shared lock went with the failed conversion");
  assert.equal(tryFlock(key, d1, true), true);
  assert.equal(tryFlock(key, d2, false), false);
  unflock(key, d1);
  assert.equal(tryFlock(key, d2, true), true);
  unflock(key, d2);
  assert.equal(locksOf(key).flocks, 0);
});
