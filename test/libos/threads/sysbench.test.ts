/**
 * bench/threads/sysbench.c through the LibOS (the guest bench/threads/run.ts and profile.ts time):
 * its two modes count what they should, and its timed window (start barrier .. the last thread's
 * loop end) excludes thread exits and joins. The timed mode also shows a sleeping thread's timer
 * firing while every other thread keeps yielding (the executor hands the event loop its turn).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";
import { futexStats } from "../../../src/libos/sched/futex.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  const wasm = await buildGuest("bench/threads/sysbench.c", { mode: "posix", flags: ["-pthread"] });
  inst = await makeInstance({ programs: { "/bin/sysbench": wasm } });
});

after(async () => {
  await inst?.cleanup();
});

function parse(out: string): { ns: number; ops: number; t0: number; t1: number; joinNs: number; minOps: number; maxOps: number } {
  const m = /^ns=(\d+) ops=(\d+) t0=(\d+) t1=(\d+) join_ns=(\d+) min_ops=(\d+) max_ops=(\d+)\n$/.exec(out);
  assert.ok(m, `unexpected output ${JSON.stringify(out)}`);
  const [ns, ops, t0, t1, joinNs, minOps, maxOps] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return { ns, ops, t0, t1, joinNs, minOps, maxOps };
}

test("sysbench.c fixed mode: every thread does its iterations; exits and joins come after the window", { skip }, async () => {
  const r = await run(inst, "/bin/sysbench", { args: ["16", "50", "4"] });
  assert.equal(r.code, 0, r.stderr);
  const s = parse(r.stdout);
  assert.equal(s.ops, 16 * 50);
  assert.deepEqual([s.minOps, s.maxOps], [50, 50]);
  assert.equal(s.t1 - s.t0, s.ns);
  assert.ok(s.ns > 0 && s.joinNs >= s.ns, `window ${s.ns} ns, to the last join ${s.joinNs} ns`);
});

test("sysbench.c timed mode: threads loop until main's sleep ends, and every iteration is counted", { skip }, async () => {
  const ms = 50;
  const r = await run(inst, "/bin/sysbench", { args: ["8", "100", "4", String(ms)] });
  assert.equal(r.code, 0, r.stderr);
  const s = parse(r.stdout);
  // The stop flag is raised only after main's sleep: no thread's loop can end before that.
  assert.ok(s.ns >= ms * 1e6, `window ${s.ns} ns < ${ms} ms`);
  // Each thread did at least one iteration, and they kept going through the sleep.
  assert.ok(s.ops > 8, `ops ${s.ops}`);
  assert.ok(s.joinNs >= s.ns);
});

// Fairness (sysbench's "threads fairness"): the run queue gives a woken waiter its turn before the
// threads already ready, and a waker with more CPU time gives way to it (sched/executor.ts,
// Thread.wokeUp). Before, the waker took the lock back first: with one lock one of 16 threads did
// every op (the others 1 each), with 4 locks and 64 threads the fewest was ~1/4 of the mean.
// Within one agent only: with OCCLUM_VCPU_PLACEMENT=balance the threads are spread over the
// kernel thread and a worker, and fairness between agents is not there yet (README, Threads).
const spread = process.env.OCCLUM_VCPU_PLACEMENT === "balance" ? "threads spread over vCPUs: no fairness between agents yet" : false;
// With one lock the lock changes hands when its holder has had 4 ms more CPU than a waiter, so
// over a short window the shares are uneven (a fewest of 0.4-0.8 of the mean here, lower under
// load): the bar is set far below that and far above the 1 op of before.
// `events` 0: every iteration takes the next lock; 100: sysbench's events of 100 iterations on one
// lock, whose holder takes its next lock at once when that is free, also the one it just left (a
// quarter of the time). A waiter woken in vain for 1 ms is then handed the lock (Thread.handsOverTo):
// without that the coroutines' fixed order let some holders keep theirs event after event (the
// most 1.9-2.6x the mean in 500 ms at 64 threads, the fewest 0.53-0.88); with it 1.09-1.29x and
// 0.90-0.95 (1.14-1.36x and 0.38-0.85 under two host processes spinning on both cores; 0.175 once
// beside the rest of the suite on a loaded machine, at 3.3 µs per op: the fewest's bar is a
// guard against starvation, the most's is the test of the hand-over).
for (const [threads, locks, events, share, most] of [[64, 4, 0, 0.5, Infinity], [64, 4, 100, 0.1, 1.6], [16, 1, 100, 0.05, Infinity]] as const) {
  const bars = `every thread gets at least ${share} of the mean${most < Infinity ? `, none more than ${most}x` : ""}`;
  test(`sysbench.c timed mode, ${threads} threads on ${locks} lock(s), events of ${events}: ${bars}`, { skip: skip || spread }, async () => {
    const r = await run(inst, "/bin/sysbench", { args: [String(threads), "100", String(locks), "500", String(events)] });
    assert.equal(r.code, 0, r.stderr);
    const s = parse(r.stdout);
    const mean = s.ops / threads;
    const got = `fewest ${s.minOps}, mean ${mean.toFixed(0)}, most ${s.maxOps}`;
    assert.ok(s.minOps >= share * mean, got);
    assert.ok(s.maxOps <= most * mean, got);
  });
}

// A sysbench event holds one mutex for 100 iterations: each unlock wakes a waiter that finds the
// lock taken again and waits once more. That re-wait keeps its place at the head of the queue
// (sched/futex.ts, park's `again`), so the next unlock wakes the same, cache-warm thread instead
// of the next of many cold ones; with the old FIFO tail none of the parks would count here.
test("sysbench.c events: a waiter woken in vain waits again at the head of the queue", { skip: skip || spread }, async () => {
  const before = { parks: futexStats.parks, again: futexStats.again };
  const r = await run(inst, "/bin/sysbench", { args: ["64", "400", "4", "0", "100"] });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(parse(r.stdout).ops, 64 * 400);
  const parks = futexStats.parks - before.parks, again = futexStats.again - before.again;
  // ~0.94 parks per op (profile.ts), nearly all of them re-waits; the rest are thread starts and event ends.
  assert.ok(parks > 64 * 400 * 0.5, `parks ${parks}`);
  assert.ok(again >= parks * 0.8, `re-waits ${again} of ${parks} parks`);
});
