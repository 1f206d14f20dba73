import { test } from "node:test";
import assert from "node:assert/strict";
import { Executor, executor } from "./executor.ts";
import { WaitQueue, waitAny, sleepUntil, type Interruptible } from "./wait-queue.ts";
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

test("the run queue resumes in FIFO order", async () => {
  const ex = new Executor();
  const order: number[] = [];
  const done = [1, 2, 3].map((i) => ex.yieldNow().then(() => order.push(i)));
  await Promise.all(done);
  assert.deepEqual(order, [1, 2, 3]);
  assert.equal(ex.switches, 3);
});

test("a resume with `next` runs before the coroutines already ready (runnext)", async () => {
  const ex = new Executor();
  const order: string[] = [];
  const ready = (name: string): Promise<number> => new Promise<string>((r) => ex.resume(r, name, "ready")).then((v) => order.push(v));
  // A and B are ready (yields while others are: the deque), then W is woken with `next`: W runs
  // first, then A and B in their order.
  const a = ready("A");
  const b = ready("B");
  const w = new Promise<string>((r) => ex.resume(r, "W", "next")).then((v) => order.push(v));
  assert.equal(ex.readyCount, 3);
  await Promise.all([a, b, w]);
  assert.deepEqual(order, ["W", "A", "B"]);
  // A second `next` moves the first to the back (Go's runnext): the latest woken runs first.
  order.length = 0;
  const c = ready("C");
  const p1 = new Promise<string>((r) => ex.resume(r, "W1", "next")).then((v) => order.push(v));
  const p2 = new Promise<string>((r) => ex.resume(r, "W2", "next")).then((v) => order.push(v));
  await Promise.all([c, p1, p2]);
  assert.deepEqual(order, ["W2", "C", "W1"]);
  assert.equal(ex.readyCount, 0);
  // With nothing in the deque a `next` resume and a yield are direct (no pump hop); a `next` right
  // after such a yield goes through the deque, so that it cannot pass a thread the deque orders.
  order.length = 0;
  const n = new Promise<string>((r) => ex.resume(r, "N", "next")).then((v) => order.push(v));
  assert.equal(ex.readyCount, 0);
  const y = ex.yieldNow().then(() => order.push("Y"));
  assert.equal(ex.readyCount, 0);
  const n2 = new Promise<string>((r) => ex.resume(r, "N2", "next")).then((v) => order.push(v));
  assert.equal(ex.readyCount, 1);
  await Promise.all([n, y, n2]);
  assert.deepEqual(order, ["N", "Y", "N2"]);
});

test("yielding coroutines take turns and let timers run (no starvation of the event loop)", async () => {
  const ex = new Executor();
  const trace: string[] = [];
  let stop = false;
  let timerFired = false;
  setTimeout(() => {
    timerFired = true;
    stop = true;
  }, 5);
  const worker = async (name: string): Promise<number> => {
    let n = 0;
    while (!stop) {
      if (trace.length < 6) trace.push(name);
      n++;
      await ex.yieldNow();
    }
    return n;
  };
  const [a, b] = await Promise.all([worker("a"), worker("b")]);
  assert.ok(timerFired);
  assert.deepEqual(trace, ["a", "b", "a", "b", "a", "b"]);
  assert.ok(a > 0 && b > 0);
});

test("preempted threads resume one per turn of the event loop, each after a whole turn: a timer due meanwhile runs first", async () => {
  const ex = new Executor();
  const order: string[] = [];
  // A timer that is due by the time the threads are preempted (a sleeping thread's deadline).
  setTimeout(() => order.push("timer"), 0);
  const until = performance.now() + 3;
  while (performance.now() < until);
  const done = ["A", "B", "C"].map((name) => ex.preempt().then(() => order.push(name)));
  // A callback posted in the same turn (a socket's) runs before them too; the timer runs in the
  // next turn's timers phase, before the first preempted thread, which resumes in that turn's
  // check phase: with one setImmediate it resumed in this turn's and computed a whole slice more
  // before the timer ran (a 5 ms nanosleep next to a computing thread ended after 25-43 ms).
  setImmediate(() => order.push("host"));
  await Promise.all(done);
  assert.deepEqual(order.slice(2), ["A", "B", "C"], order.join(" "));
  assert.deepEqual(new Set(order.slice(0, 2)), new Set(["host", "timer"]), order.join(" "));
  // And in FIFO order across turns, with later preemptions behind earlier ones.
  order.length = 0;
  const first = ex.preempt().then(() => {
    order.push("D");
    return ex.preempt().then(() => order.push("D again"));
  });
  const second = ex.preempt().then(() => order.push("E"));
  await Promise.all([first, second]);
  assert.deepEqual(order, ["D", "E", "D again"]);
});

test("wait queue: notify wakes in FIFO order, counts and resolves 'woken'", async () => {
  const q = new WaitQueue();
  const got: string[] = [];
  const w1 = q.wait().then((r) => got.push(`1:${r}`));
  const w2 = q.wait().then((r) => got.push(`2:${r}`));
  assert.equal(q.size, 2);
  assert.equal(q.notify(), 1);
  await w1;
  assert.equal(q.size, 1);
  assert.equal(q.notifyAll(), 1);
  await w2;
  assert.deepEqual(got, ["1:woken", "2:woken"]);
  assert.equal(q.notify(), 0);
});

test("wait queue: deadline gives 'timeout' and leaves the queue", async () => {
  const q = new WaitQueue();
  const r = await q.wait({ deadlineMs: nowMs() + 5 });
  assert.equal(r, "timeout");
  assert.equal(q.size, 0);
});

test("interruption cancels a wait, and a pending interruption fails the next wait at once", async () => {
  const q = new WaitQueue();
  const intr = new Intr();
  const p = q.wait({ intr });
  intr.interrupt();
  assert.equal(await p, "interrupted");
  assert.equal(q.size, 0);
  assert.equal(await q.wait({ intr }), "interrupted");
  assert.equal(await sleepUntil(nowMs() + 10_000, intr), "interrupted");
});

test("waitAny: the first queue to notify wins; the waiter leaves every queue", async () => {
  const a = new WaitQueue();
  const b = new WaitQueue();
  const p = waitAny([a, b]);
  assert.equal(a.size + b.size, 2);
  b.notify();
  assert.equal(await p, "woken");
  assert.equal(a.size + b.size, 0);
  assert.equal(a.notify(), 0);
});

test("the shared executor counts switches", async () => {
  const before = executor.switches;
  await executor.yieldNow();
  assert.equal(executor.switches, before + 1);
});

test("real-time resumes run before the others, highest priority first, FIFO within one; a preempted one keeps the head", async () => {
  const ex = new Executor();
  const order: string[] = [];
  const at = (name: string, prio: number, order_: "ready" | "next" = "ready"): Promise<number> =>
    new Promise<string>((r) => ex.resume(r, name, order_, prio)).then((v) => order.push(v));
  const all = [at("N1", 0), at("R10a", 10), at("R20", 20), at("R10b", 10), at("N2", 0, "next")];
  // A SCHED_FIFO thread of 10 preempted by a higher one goes back at the head of its priority.
  all.push(ex.yieldRt("R10-preempted", 10, true).then((v) => order.push(v)));
  assert.equal(ex.rtTop, 20);
  await Promise.all(all);
  assert.deepEqual(order, ["R20", "R10-preempted", "R10a", "R10b", "N2", "N1"]);
  assert.equal(ex.rtTop, 0);
});

test("a real-time thread on the CPU holds back lower priorities and thread starts until it leaves", async () => {
  const ex = new Executor();
  const order: string[] = [];
  const owner = {};
  ex.gotCpu(owner, 5);
  const normal = new Promise<string>((r) => ex.resume(r, "normal", "direct")).then((v) => order.push(v));
  const low = new Promise<string>((r) => ex.resume(r, "rt3", "ready", 3)).then((v) => order.push(v));
  const high = new Promise<string>((r) => ex.resume(r, "rt9", "ready", 9)).then((v) => order.push(v));
  ex.wake(() => order.push("start"));
  // Turns of the event loop pass: only the higher priority ran.
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ["rt9"]);
  ex.leftCpu(owner);
  await Promise.all([normal, low, high]);
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  // Then the real-time one below it, and the rest in the order the queues give.
  assert.deepEqual(order.slice(0, 2), ["rt9", "rt3"]);
  assert.deepEqual(new Set(order.slice(2)), new Set(["normal", "start"]));
});

test("the event loop's turn a real-time thread lets pass is real-time time: its budget counts the turn", async () => {
  const ex = new Executor();
  const owner = {};
  const spin = (ms: number): void => {
    const end = nowMs() + ms;
    while (nowMs() < end) { /* computing */ }
  };
  ex.gotCpu(owner, 5);
  spin(100);
  ex.leftCpu(owner);
  // Its slice is over: the event loop turns (a timer computes 200 ms in it) and it goes on.
  setTimeout(() => spin(200), 0);
  await ex.preemptRt(5, true);
  ex.gotCpu(owner, 5);
  // Held until 5 ms before the period's end, it has had 995 ms of it with the turn (spent), 795
  // without.
  assert.equal(ex.rtBudget.left(ex.rtBudget.periodEnd - 5), false);
  ex.leftCpu(owner);
});

test("an ordinary thread raised to a real-time priority (an inheritance) leaves the preempted list or the ready deque for the real-time queue", async () => {
  const ex = new Executor();
  const order: string[] = [];
  const rtOwner = {}, a = {}, b = {}, c = {};
  ex.trackOwners(); // a thread had a real-time policy
  ex.gotCpu(rtOwner, 5); // a real-time thread runs: the others wait
  // Each runs and leaves the vCPU (a real-time one holds it from the pump's choice).
  const ran = (name: string, owner: object) => (): void => {
    order.push(name);
    ex.leftCpu(owner);
  };
  const pa = ex.preempt(a).then(ran("a", a));
  const pb = new Promise<string>((r) => ex.resume(r, "b", "ready", 0, b)).then(ran("b", b));
  const pc = new Promise<string>((r) => ex.resume(r, "c3", "ready", 3, c)).then(ran("c3", c));
  assert.equal(ex.reprioritize(b, 4, false), true, "from the deque");
  assert.equal(ex.reprioritize(a, 2, false), true, "from the preempted list");
  assert.equal(ex.reprioritize({}, 2, false), false, "a thread that waits nowhere");
  ex.leftCpu(rtOwner);
  await Promise.all([pa, pb, pc]);
  // The preempted list's turn comes and finds it empty.
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ["b", "c3", "a"]);
});

test("until a thread has had a real-time policy, queued resumes are not recorded on their threads (no store per yield)", async () => {
  const ex = new Executor();
  const rt = {}, owner = { queuedFn: undefined as unknown };
  ex.gotCpu(rt, 5); // held back behind a real-time thread: resumes go to the ready deque
  const p = new Promise<void>((r) => ex.resume(r, undefined, "ready", 0, owner));
  assert.equal(owner.queuedFn, undefined);
  ex.trackOwners();
  const q = new Promise<void>((r) => ex.resume(r, undefined, "ready", 0, owner));
  assert.equal(typeof owner.queuedFn, "function");
  ex.leftCpu(rt);
  await Promise.all([p, q]);
});
