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
