/**
 * Thread's wakeup preemption (Thread.wokeUp) against futile wake-ups (Thread.futexWait): the CPU
 * time a waiter spends being woken only to find its lock taken and wait on the same word again is
 * not its share. Real time passes here (busy loops of a few ms), as the accounting reads the clock.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Thread } from "./thread.ts";
import type { Process } from "./process.ts";
import { executor } from "../sched/executor.ts";
import { nowMs } from "../sched/clock.ts";

const WORD = 64;

function busy(ms: number): void {
  const end = nowMs() + ms;
  while (nowMs() < end) { /* computing */ }
}

function threads(): { holder: Thread; waiter: Thread; yields: () => number } {
  const process = {} as Process;
  const holder = new Thread(1, process);
  const waiter = new Thread(2, process);
  // A new Thread counts as running from its creation (its spawner's time until its first run):
  // both start off the CPU here.
  holder.offCpu();
  waiter.offCpu();
  let yields = 0;
  holder.forceCheck = () => yields++;
  return { holder, waiter, yields: () => yields };
}

/** The waiter computes `realMs`, waits on WORD, then is woken `futile` times to wait on it again at once, `futileMs` each. */
function waiterHistory(holder: Thread, waiter: Thread, realMs: number, futile: number, futileMs: number): void {
  waiter.beginRun(nowMs());
  busy(realMs);
  waiter.futexWait(WORD);
  waiter.offCpu();
  for (let i = 0; i < futile; i++) {
    holder.wokeUp(waiter); // (the holder has no CPU yet: it never gives way here)
    waiter.onCpu();
    busy(futileMs); // the run that finds the lock taken
    waiter.futexWait(WORD);
    waiter.offCpu();
  }
}

/** The waiter computes 2 ms, waits on WORD and is woken: it runs again (its next steps are the test's). */
function wokenAfter2ms(holder: Thread, waiter: Thread): void {
  executor.stampSwitch();
  waiter.beginRun(nowMs());
  busy(2);
  waiter.futexWait(WORD);
  waiter.offCpu();
  holder.wokeUp(waiter);
  waiter.onCpu();
}

/** `t` starts (a start-up run of `startMs`, which wakeup preemption does not count), then computes `ownMs` and is still on the CPU. */
function startedThenRan(t: Thread, startMs: number, ownMs: number): void {
  executor.stampSwitch();
  t.beginRun(nowMs());
  busy(startMs);
  t.offCpu();
  executor.stampSwitch();
  t.onCpu();
  busy(ownMs);
}

/** The holder computes `ms` and wakes the waiter (wokeUp decides whether it gives way). */
function holderWakes(holder: Thread, waiter: Thread, ms: number): void {
  executor.stampSwitch();
  holder.beginRun(nowMs());
  busy(ms);
  executor.stamp();
  holder.wokeUp(waiter);
}

test("a waiter's futile wake-ups are not its share: a holder with 4 ms more of real work gives way to it", () => {
  const { holder, waiter, yields } = threads();
  // Real work 2 ms, then 3 futile wake-ups of 12 ms each: 38 ms of CPU time, 2 of them its share.
  // (The margins hold while this process gets a tenth of a core: CPU time is charged at that rate.)
  executor.stampSwitch();
  waiterHistory(holder, waiter, 2, 3, 12);
  assert.equal(yields(), 0);
  assert.ok(waiter.cpuTimeNs() > 0n);
  // The holder computes 40 ms and wakes it: 40 against 2 (against 38 if the futile runs counted).
  executor.stampSwitch();
  holder.beginRun(nowMs());
  busy(40);
  executor.stamp();
  holder.wokeUp(waiter);
  assert.equal(yields(), 1, "the holder gives way");
  assert.equal(holder.yieldDue, true);
});

test("a waiter woken that does something else before it waits again was not futile", () => {
  const { holder, waiter, yields } = threads();
  // Woken, it yields (another suspension) after computing 38 ms, then waits on the word again.
  wokenAfter2ms(holder, waiter);
  busy(38);
  waiter.offCpu(true);
  executor.stampSwitch();
  waiter.onCpu();
  waiter.futexWait(WORD);
  waiter.offCpu();
  // 40 ms of its own: a holder with 10 does not give way (it would, were the 38 ms futile).
  holderWakes(holder, waiter, 10);
  assert.equal(yields(), 0);
});

test("a futile run with a preemption check that goes on in it (plainSuspend) is still futile", () => {
  const { holder, waiter, yields } = threads();
  // Woken, it computes 38 ms with a check in the middle that does not switch (a young thread's
  // small fuel grants put many there), then finds the lock taken and waits on the word again.
  wokenAfter2ms(holder, waiter);
  busy(19);
  waiter.plainSuspend();
  busy(19);
  waiter.futexWait(WORD);
  waiter.offCpu();
  // 2 ms of its own: a holder with 40 gives way (it did not while the check ended the futile run,
  // and under host load one of 16 threads on one lock then did 178 ops in 500 ms). 40, not 10:
  // CPU time is charged at the rate this process gets a core, and under two host processes
  // spinning on both cores 10 against 2 came out below the 4 ms of wakeup granularity.
  holderWakes(holder, waiter, 40);
  assert.equal(yields(), 1, "the holder gives way");
});

test("a holder that gives way to the oldest waiter gives the turn to the waiter with the least CPU", () => {
  const process = {} as Process;
  const holder = new Thread(1, process), oldest = new Thread(2, process), poorest = new Thread(3, process), other = new Thread(4, process);
  for (const t of [holder, oldest, poorest, other]) t.offCpu();
  holder.forceCheck = () => {};
  const run = (t: Thread, ms: number): void => {
    startedThenRan(t, 0, ms);
    t.offCpu();
  };
  run(oldest, 12);
  run(poorest, 1);
  run(other, 8);
  run(holder, 30);
  executor.stampSwitch();
  holder.onCpu();
  executor.stamp();
  assert.equal(holder.givesWayTo(oldest), true, "30 ms against 12");
  assert.equal(holder.neediest(oldest, [oldest, poorest, other]), poorest);
  assert.equal(oldest.givesWayTo(poorest), false, "a thread with no checks of its own (a worker's) never gives way");
});

test("a thread's first run (its start-up) is not counted for wakeup preemption; its clock keeps it", () => {
  const process = {} as Process;
  const starter = new Thread(1, process), waiter = new Thread(2, process);
  for (const t of [starter, waiter]) t.offCpu();
  starter.forceCheck = () => {};
  // The waiter: a short start-up, then 10 ms of its own, and it waits.
  startedThenRan(waiter, 0, 10);
  waiter.futexWait(WORD);
  waiter.offCpu();
  // The starter: 30 ms up to its first suspension (among 1024 threads starting, up to ~4 ms of
  // stack set-up and first calls), then 1 ms of its own, and it wakes the waiter.
  startedThenRan(starter, 30, 1);
  executor.stamp();
  assert.equal(starter.givesWayTo(waiter), false, "1 ms against 10, not 31");
  // Its clock counts the start-up: ~31 ms against the waiter's ~10 (both at the rate this process gets a core).
  assert.ok(starter.cpuTimeNs() > 2n * waiter.cpuTimeNs(), `its clock counts its start-up: ${starter.cpuTimeNs()} ns, the waiter's ${waiter.cpuTimeNs()} ns`);
});

test("a waiter woken in vain for 1 ms is handed the turn whatever the CPU times", () => {
  const { holder, waiter } = threads();
  // The waiter computes 10 ms (the holder none yet): the CPU rule would never make the holder give way.
  startedThenRan(waiter, 0, 10);
  waiter.futexWait(WORD);
  waiter.offCpu();
  startedThenRan(holder, 0, 0);
  holder.offCpu();
  const vainRound = (): void => {
    // The holder wakes it, takes the lock back, yields; the waiter finds it taken and waits again.
    executor.stampSwitch();
    holder.onCpu();
    holder.wokeUp(waiter);
    holder.offCpu();
    waiter.onCpu();
    waiter.futexWait(WORD);
    waiter.offCpu();
  };
  assert.equal(holder.handsOverTo(waiter), false, "its wait is its first: not in vain");
  vainRound();
  assert.equal(holder.handsOverTo(waiter), false, "woken in vain just now");
  busy(1.5);
  vainRound();
  executor.stamp();
  assert.equal(holder.givesWayTo(waiter), false, "the CPU rule: the waiter has had more");
  assert.equal(holder.handsOverTo(waiter), true, "woken in vain for 1.5 ms");
  // Once it waits for something else (it got the lock, went on, and waits again), the run is over.
  waiter.onCpu();
  waiter.offCpu(true); // a yield: another suspension
  executor.stampSwitch();
  waiter.onCpu();
  waiter.futexWait(WORD);
  waiter.offCpu();
  assert.equal(holder.handsOverTo(waiter), false);
});

test("a thread that runs on after a check that does not switch holds the vCPU all along, outside a streak too", () => {
  const t = new Thread(1, {} as Process);
  t.offCpu();
  executor.stampSwitch();
  t.beginRun(nowMs());
  busy(4);
  t.plainSuspend(); // no streak runs here, as none does for a real-time thread back from the event loop's turn
  busy(4);
  // Dated from its next kernel entry, the 4 ms after the check were lost: the fuel grant after
  // such a check was sized from a run that seemed to last µs, 4x too large.
  const held = t.heldAt(nowMs());
  assert.ok(held >= 7.5, `held ${held.toFixed(2)} ms of 8`);
  t.offCpu();
});
