/**
 * SwornDisk crash suite: cut the host write stream at every write of seeded workloads (and tear
 * the cut write), reopen, and require exactly the last completed sync (or the sync in flight,
 * when the cut fell inside its commit), never a mixture or a transient state.
 *
 * The workloads run on a tiny disk so that cut points land inside syncs, MemTable flushes,
 * compactions, segment cleaning and journal checkpoints (asserted below by classifying every
 * host write of the uncut run). Default: ≥ 1000 cut points; OCCLUM_TEST_HEAVY=1 runs more seeds.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { CrashableFile, MemHostFile } from "../host-file.ts";
import { runCrashSuite } from "../testing/crash-suite.ts";
import { matchState, ReferenceModel } from "../testing/model.ts";
import { Rng } from "../testing/rng.ts";
import { applyOp, generateOps, type DiskFactory, type WorkloadOp } from "../testing/workload.ts";
import { SwornDisk } from "./disk.ts";
import { smallOptions, swornTarget } from "./test-support.ts";

const HEAVY = process.env.OCCLUM_TEST_HEAVY === "1";
const OPTS = smallOptions({ nblocks: 64, overprovision: 0.6, memtableRecords: 24, l1Records: 80, sstRecords: 48, journalBlocks: 4 });
const WEIGHTS = { read: 2, readv: 0, flush: 10, sync: 10, reopen: 0, crash: 0 };

/** Which internal phase each host write of the uncut run belongs to. */
async function classifyWrites(seed: number, ops: number): Promise<Record<string, number>> {
  const opList = generateOps({ seed, ops, maxRun: MAX_RUN, weights: WEIGHTS }, OPTS.nblocks, { trim: true, crash: false });
  opList.push({ kind: "sync" });
  const base = new MemHostFile();
  await (await SwornDisk.create(base, OPTS)).close();
  let disk: SwornDisk | undefined;
  const phases: Record<string, number> = {};
  const file = new CrashableFile(new MemHostFile(base.image()), {
    onWrite: () => {
      const p = disk?.phase ?? "open";
      phases[p] = (phases[p] ?? 0) + 1;
    },
  });
  disk = await SwornDisk.open(file, OPTS);
  const factory: DiskFactory = { name: "sworndisk", nblocks: OPTS.nblocks, create: () => SwornDisk.create(file, OPTS), reopen: () => SwornDisk.open(file, OPTS) };
  const model = new ReferenceModel(OPTS.nblocks);
  let dev = disk as unknown as import("../block-device.ts").BlockDevice;
  for (let i = 0; i < opList.length; i++) dev = await applyOp(factory, dev, model, opList[i]!, `classify op ${i}`);
  phases.checkpoints = disk.journal.info().checkpointVersion;
  phases.holeSegments = disk.inspect().writes.holeSegments!;
  return phases;
}

const SEEDS = Array.from({ length: HEAVY ? 40 : 9 }, (_, i) => i + 1);
const OPS = 150;
const MAX_RUN = 4;

test("crash points cover syncs, MemTable flushes, compactions, GC, hole filling and checkpoints", async () => {
  const p = await classifyWrites(SEEDS[0]!, OPS);
  for (const phase of ["sync", "write", "flush", "compaction", "gc"]) assert.ok((p[phase] ?? 0) > 0, `no host write during ${phase}: ${JSON.stringify(p)}`);
  assert.ok(p.checkpoints! >= 2, "journal checkpoints happened");
  assert.ok(p.holeSegments! >= 1, "threaded logging (hole filling) happened");
});

test("crash suite: every cut point recovers exactly the last sync (adversarial cut, torn writes)", async (t) => {
  let points = 0;
  for (const seed of SEEDS) {
    const r = await runCrashSuite(swornTarget(OPTS), { seed, ops: OPS, maxRun: MAX_RUN, weights: WEIGHTS, tear: true });
    assert.deepEqual(r.failures, [], `seed ${seed}`);
    // A sync's last host write is its journal commit, so a cut never leaves the in-flight sync.
    assert.ok(r.matchedLastSync === r.pointsTested, JSON.stringify({ ...r, failures: r.failures.length }));
    points += r.pointsTested;
  }
  t.diagnostic(`${points} cut points over ${SEEDS.length} seeds`);
  assert.ok(points >= (HEAVY ? 4000 : 1000), `only ${points} cut points`);
});

test("crash suite: power cut (only host-synced writes survive)", async (t) => {
  let points = 0;
  for (const seed of HEAVY ? [21, 22, 23, 24] : [21]) {
    const r = await runCrashSuite(swornTarget(OPTS), { seed, ops: OPS, maxRun: MAX_RUN, weights: WEIGHTS, durableOnly: true });
    assert.deepEqual(r.failures, [], `seed ${seed}`);
    points += r.pointsTested;
  }
  t.diagnostic(`${points} cut points`);
  assert.ok(points >= 100, `only ${points} cut points`);
});

test("reordered write-back: any subset of the unsynced host writes (plus a torn one) recovers a synced state", async (t) => {
  const opList = generateOps({ seed: 31, ops: OPS, maxRun: MAX_RUN, weights: WEIGHTS }, OPTS.nblocks, { trim: true, crash: false });
  opList.push({ kind: "sync" });
  const base = new MemHostFile();
  await (await SwornDisk.create(base, OPTS)).close();
  const inner = new MemHostFile(base.image());
  const model = new ReferenceModel(OPTS.nblocks);
  let lastSynced = model.lastSynced;
  let inflight: import("../testing/model.ts").DiskState | undefined;
  const rng = new Rng(77);
  const captures: Array<{ img: Uint8Array; states: import("../testing/model.ts").DiskState[] }> = [];
  const every = HEAVY ? 1 : 2;
  const file = new CrashableFile(inner, {
    onWrite: (n) => {
      if (n % every !== 0) return;
      const pending = inner.pendingWrites().length;
      const keep = (): boolean => rng.chance(0.5);
      const tear = pending > 0 && rng.chance(0.3) ? { index: rng.int(pending), tearBytes: rng.range(1, 7) * 512 } : undefined;
      captures.push({ img: inner.crashImage({ keep, tear }), states: inflight ? [lastSynced, inflight] : [lastSynced] });
    },
  });
  const factory: DiskFactory = { name: "sworndisk", nblocks: OPTS.nblocks, create: () => SwornDisk.create(file, OPTS), reopen: () => SwornDisk.open(file, OPTS) };
  const hooks = {
    beforeSync: () => {
      inflight = model.snapshot();
    },
    afterSync: () => {
      lastSynced = model.lastSynced;
      inflight = undefined;
    },
  };
  let dev = (await SwornDisk.open(file, OPTS)) as import("../block-device.ts").BlockDevice;
  for (let i = 0; i < opList.length; i++) dev = await applyOp(factory, dev, model, opList[i]!, `reorder op ${i}`, hooks);
  t.diagnostic(`${captures.length} crash images`);
  assert.ok(captures.length >= 40, `${captures.length} crash images`);
  for (const [i, c] of captures.entries()) {
    const d = await SwornDisk.open(new MemHostFile(c.img), OPTS);
    const idx = await matchState(d, c.states);
    assert.ok(idx >= 0, `crash image ${i}: state is neither the last sync nor the one in flight`);
  }
});

/**
 * Sequential writes over fresh LBAs flush disjoint MemTables, which compaction re-levels by a
 * catalog edit alone (trivial move); a second pass over the same LBAs then merges for real.
 */
function sequentialOps(nblocks: number, run: number): WorkloadOp[] {
  const ops: WorkloadOp[] = [];
  let k = 0;
  for (let pass = 0; pass < 3; pass++) {
    for (let lba = 0; lba + run <= nblocks; lba += run) {
      ops.push({ kind: "write", lba, count: run, seed: 1000 + k++ });
      if (k % 2 === 0) ops.push({ kind: "sync" });
      if (k % 7 === 0) ops.push({ kind: "read", lba: 0, count: run });
    }
  }
  return ops;
}

test("crash suite, sequential writes: trivial moves and merges, every cut point recovers the last sync", async (t) => {
  const ops = sequentialOps(OPTS.nblocks, 2);
  // The uncut run does move tables down without rewriting them, and also merges.
  const f = new MemHostFile();
  let dev = (await SwornDisk.create(f, OPTS)) as import("../block-device.ts").BlockDevice;
  const model = new ReferenceModel(OPTS.nblocks);
  const factory: DiskFactory = { name: "sworndisk", nblocks: OPTS.nblocks, create: () => SwornDisk.create(f, OPTS), reopen: () => SwornDisk.open(f, OPTS) };
  for (const [i, op] of ops.entries()) dev = await applyOp(factory, dev, model, op, `sequential op ${i}`);
  const idx = (dev as SwornDisk).inspect().index as { trivialMoves: number; compactions: number };
  assert.ok(idx.trivialMoves >= 1 && idx.compactions >= 1, JSON.stringify(idx));
  await dev.close();
  const r = await runCrashSuite(swornTarget(OPTS), { seed: 41, ops: 0, opList: ops, tear: true });
  assert.deepEqual(r.failures, []);
  assert.equal(r.matchedLastSync, r.pointsTested);
  t.diagnostic(`${r.pointsTested} cut points`);
  assert.ok(r.pointsTested >= 100, `only ${r.pointsTested} cut points`);
  const p = await runCrashSuite(swornTarget(OPTS), { seed: 42, ops: 0, opList: ops, durableOnly: true, points: 40 });
  assert.deepEqual(p.failures, []);
});
