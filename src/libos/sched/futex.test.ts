import { test } from "node:test";
import assert from "node:assert/strict";
import { FutexTable, futexTable } from "./futex.ts";
import { executor } from "./executor.ts";
import type { Interruptible } from "./wait-queue.ts";
import { nowMs } from "./clock.ts";

class Intr implements Interruptible {
  interruptPending = false;
  private cancel: (() => void) | undefined;
  setCanceller(c: (() => void) | undefined): void {
    this.cancel = c;
  }
  interrupt(): void {
    this.interruptPending = true;
    this.cancel?.();
  }
}

test("wake wakes waiters of one address in FIFO order, up to n", async () => {
  const f = new FutexTable();
  const order: number[] = [];
  const ws = [1, 2, 3].map((i) => f.wait(8).then((r) => (order.push(i), r)));
  const other = f.wait(12);
  assert.equal(f.waiting(8), 3);
  assert.equal(f.wake(8, 2), 2);
  assert.equal(f.wake(16, 1), 0);
  await Promise.all(ws.slice(0, 2));
  assert.deepEqual(order, [1, 2]);
  assert.equal(f.wake(8, Infinity), 1);
  assert.equal(await ws[2], "woken");
  assert.equal(f.wake(12, 1), 1);
  assert.equal(await other, "woken");
  assert.equal(f.size, 0);
});

test("the first waiter a wake wakes runs before the threads already ready; the others after them", async () => {
  const f = new FutexTable();
  const order: string[] = [];
  const w1 = f.wait(8).then(() => order.push("W1"));
  const w2 = f.wait(8).then(() => order.push("W2"));
  // A thread that yielded while others were ready: in the run queue's deque before the wake.
  const y = new Promise<void>((r) => executor.resume(r, undefined, "ready")).then(() => order.push("Y"));
  assert.equal(f.wake(8, 2), 2);
  await Promise.all([w1, w2, y]);
  assert.deepEqual(order, ["W1", "Y", "W2"]);
});

test("a waiter woken in vain that waits again keeps its place at the head, behind real-time waiters", async () => {
  const f = new FutexTable();
  const names = new Map<Interruptible, string>();
  const who = (name: string, rtPriority = 0): Intr => {
    const i = Object.assign(new Intr(), { rtPriority });
    names.set(i, name);
    return i;
  };
  const queue = (): string[] => f.firstOwners(8, Infinity).map((o) => names.get(o)!);
  const a = who("A"), b = who("B"), c = who("C");
  const woken = f.park(8, a);
  void f.park(8, b);
  void f.park(8, c);
  assert.equal(f.wake(8, 1), 1);
  assert.equal(await woken, "woken");
  // A found its lock taken again: it waits once more, ahead of B and C (not behind them).
  void f.park(8, a, undefined, true);
  assert.deepEqual(queue(), ["A", "B", "C"]);
  // A plain wait still joins the tail; a real-time waiter goes first; a re-wait goes behind it.
  void f.park(8, who("D"));
  void f.park(8, who("RT", 5));
  assert.deepEqual(queue(), ["RT", "A", "B", "C", "D"]);
  void f.park(8, who("E"), undefined, true);
  assert.deepEqual(queue(), ["RT", "E", "A", "B", "C", "D"]);
  // (The waits stay parked: a real-time resume needs the run queue of real threads.)
});

test("a timed wait times out and leaves the queue", async () => {
  const f = new FutexTable();
  const r = await f.wait(4, { deadlineMs: nowMs() + 5 });
  assert.equal(r, "timeout");
  assert.equal(f.waiting(4), 0);
  assert.equal(f.wake(4, 1), 0);
});

test("requeue wakes some and moves the rest to another address", async () => {
  const f = new FutexTable();
  const ws = [0, 1, 2, 3].map(() => f.wait(100));
  assert.equal(f.requeue(100, 200, 1, 2), 3);
  assert.equal(await ws[0], "woken");
  assert.equal(f.waiting(100), 1);
  assert.equal(f.waiting(200), 2);
  assert.equal(f.wake(200, 10), 2);
  assert.deepEqual(await Promise.all([ws[1], ws[2]]), ["woken", "woken"]);
  assert.equal(f.wake(100, 1), 1);
  assert.equal(await ws[3], "woken");
});

test("requeue onto the same address: the ones it would move stay and count, as Linux's", async () => {
  const f = new FutexTable();
  const ws = [0, 1, 2].map(() => f.wait(100));
  assert.equal(f.requeue(100, 100, 1, 5), 3);
  assert.equal(await ws[0], "woken");
  assert.equal(f.waiting(100), 2);
  assert.equal(f.requeue(100, 100, 0, 1), 1);
  assert.equal(f.waiting(100), 2);
  assert.equal(f.wake(100, 10), 2);
  assert.deepEqual(await Promise.all([ws[1], ws[2]]), ["woken", "woken"]);
});

test("bitset waits: wakeBits takes the oldest waiters whose mask shares a bit; wake() takes any; a reused waiter matches any again", async () => {
  const f = new FutexTable();
  const a = f.parkBits(8, undefined, undefined, 1);
  const b = f.parkBits(8, undefined, undefined, 2);
  const c = f.park(8, undefined);
  assert.equal(f.wakeBits(8, 10, 4), 1); // only the plain wait has bit 4
  assert.equal(await c, "woken");
  assert.equal(f.wakeBits(8, 1, 3), 1);
  assert.equal(await a, "woken");
  assert.equal(f.waiting(8), 1);
  assert.equal(f.wake(8, 10), 1);
  assert.equal(await b, "woken");
  const d = f.park(8, undefined); // a finished bitset waiter's object, reused
  assert.equal(f.wakeBits(8, 1, 4), 1);
  assert.equal(await d, "woken");
});

test("interruption ends a wait; a pending interruption ends it at once", async () => {
  const f = new FutexTable();
  const i = new Intr();
  const w = f.wait(0, { intr: i });
  i.interrupt();
  assert.equal(await w, "interrupted");
  assert.equal(f.waiting(0), 0);
  assert.equal(await f.wait(0, { intr: i }), "interrupted");
});

test("tables are per memory", () => {
  const a = {}, b = {};
  assert.equal(futexTable(a), futexTable(a));
  assert.notEqual(futexTable(a), futexTable(b));
});

test("a timeout beyond the timer range is no timeout (not 1 ms)", async () => {
  const f = new FutexTable();
  const w = f.wait(4, { deadlineMs: nowMs() + 2 ** 40 });
  const early = await Promise.race([w, new Promise((r) => setTimeout(() => r("still waiting"), 20))]);
  assert.equal(early, "still waiting");
  assert.equal(f.wake(4, 1), 1);
  assert.equal(await w, "woken");
});

test("futex ping-pong hands over directly yet never starves the event loop (timers still fire)", async () => {
  const f = new FutexTable();
  let stop = false;
  let timerFired = false;
  setTimeout(() => {
    timerFired = true;
    stop = true;
  }, 5);
  const counts = [0, 0];
  // Two coroutines handing a turn back and forth on one word, as a mutex+condvar pair does. A
  // starved event loop would let them reach the round cap (seconds of work) before the timer.
  const CAP = 1_000_000;
  let turn = 0;
  const side = async (me: number): Promise<void> => {
    while (!stop) {
      while (turn !== me && !stop) await f.wait(64);
      if (++counts[me]! >= CAP) stop = true;
      turn = 1 - me;
      f.wake(64, 1);
    }
    f.wake(64, 1);
  };
  await Promise.all([side(0), side(1)]);
  assert.ok(timerFired, `the timer did not fire before ${CAP} rounds: ${JSON.stringify(counts)}`);
  // Both sides ran, in strict alternation.
  assert.ok(counts[0]! > 0 && counts[1]! > 0, JSON.stringify(counts));
  assert.ok(Math.abs(counts[0]! - counts[1]!) <= 1, JSON.stringify(counts));
  assert.equal(f.size, 0);
});

test("an emptied bucket is kept for reuse, and swept once empty buckets pile up", async () => {
  const f = new FutexTable();
  for (let addr = 0; addr < 1000; addr += 4) {
    const w = f.wait(addr);
    assert.equal(f.wake(addr, 1), 1);
    assert.equal(await w, "woken");
  }
  assert.equal(f.size, 0);
  const w = f.wait(4);
  assert.equal(f.waiting(4), 1);
  assert.equal(f.size, 1);
  assert.equal(f.wake(4, 5), 1);
  assert.equal(await w, "woken");
});

test("parkWith: the waker maps the reason once, as it ends the wait; wake, timeout, requeue and interruption", async () => {
  const f = new FutexTable();
  const seen: string[] = [];
  const complete = (r: string): string => {
    seen.push(r);
    return `done:${r}`;
  };
  const i = new Intr();
  const woken = f.parkWith(8, i, undefined, complete);
  const timed = f.parkWith(8, undefined, nowMs() + 2, complete);
  const moved = f.parkWith(16, undefined, undefined, complete);
  assert.equal(f.wake(8, 1), 1);
  assert.deepEqual(seen, ["woken"]); // at the wake, before anyone awaits
  assert.equal(await woken, "done:woken");
  assert.equal(await timed, "done:timeout");
  i.interrupt(); // its wait is over: nothing more happens
  assert.deepEqual(seen, ["woken", "timeout"]);
  assert.equal(f.requeue(16, 24, 0, 1), 1);
  assert.equal(f.wake(24, 1), 1);
  assert.equal(await moved, "done:woken");
  const j = new Intr();
  const cut = f.parkWith(8, j, nowMs() + 60_000, complete);
  j.interrupt();
  assert.equal(await cut, "done:interrupted");
  assert.equal(f.wake(8, 1), 0); // its timer and queue entry are gone
  assert.equal(await f.parkWith(8, j, undefined, complete), "done:interrupted"); // already pending
  assert.deepEqual(seen, ["woken", "timeout", "woken", "interrupted", "interrupted"]);
  assert.equal(f.size, 0);
});

test("a timed wait and a sleep never end before their deadline (a Node timer may fire up to 1 ms early)", async () => {
  const { sleepUntil } = await import("./wait-queue.ts");
  // Node counts a timer in whole milliseconds of libuv's loop time: one armed at x.9 ms for 3 ms
  // may fire at x + 3. Many short waits at every phase of the millisecond: none may end early.
  const ft = new FutexTable();
  let early = 0;
  for (let i = 0; i < 120; i++) {
    const until = nowMs() + (i % 20) / 20; // spread the start over the millisecond
    while (nowMs() < until) { /* phase */ }
    const deadline = nowMs() + 2.5;
    const [[wr, wAt], [sr, sAt]] = await Promise.all([
      ft.wait(0x40, { deadlineMs: deadline }).then((r) => [r, nowMs()] as const),
      sleepUntil(deadline).then((r) => [r, nowMs()] as const),
    ]);
    assert.equal(wr, "timeout");
    assert.equal(sr, "timeout");
    if (wAt < deadline || sAt < deadline) early++;
  }
  assert.equal(early, 0, `${early} of 120 rounds ended before the deadline`);
});
