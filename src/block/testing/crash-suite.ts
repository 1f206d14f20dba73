/**
 * Crash suite driver: cut the host write stream at many points of a seeded workload and check
 * that the reopened device equals a state the application synced.
 *
 *   const r = await runCrashSuite(target, { seed: 7, ops: 300, points: 1000, tear: true });
 *   assert.deepEqual(r.failures, []);
 *
 * For each cut point K (1-based host write number, over all files of the device): replay the same
 * op list on a fresh copy of the formatted image through CrashableFiles that drop write K (or
 * tear it at a 512-byte sector) and everything after; then open the device on the surviving
 * bytes and compare every block. Accepted states: the last completed sync, or, if the cut fell
 * inside a sync, the state that sync was committing. By default all writes before K survive
 * (the adversarial cut); `durableOnly` keeps only writes covered by a completed host sync;
 * `reorder` keeps those plus a random subset of the unsynced ones (tests write barriers).
 *
 * With the adversarial cut at every point this is also the transient-snapshot replay test of
 * secure-disk.md §5.5: the image after writes 1..K-1 is exactly what an adversary snapshotting
 * the host at that moment captures and later replays. A sync-atomic disk has no failures; PfsDisk
 * has many (CVE-2022-27499, see pfs/pfs-disk.test.ts).
 */

import type { BlockDevice } from "../block-device.ts";
import { CrashableFile, CrashPlan, MemHostFile, type HostFile } from "../host-file.ts";
import { matchState, ReferenceModel, type DiskState } from "./model.ts";
import { Rng } from "./rng.ts";
import { applyOp, generateOps, type DiskFactory, type WorkloadOp, type WorkloadOptions } from "./workload.ts";

export interface CrashTarget {
  readonly name: string;
  readonly nblocks: number;
  /** Host files per device (e.g. 2 for PFS: data + recovery file). */
  readonly files: number;
  readonly trim?: boolean;
  create(files: HostFile[]): Promise<BlockDevice>;
  open(files: HostFile[]): Promise<BlockDevice>;
}

export interface CrashSuiteOptions extends Omit<WorkloadOptions, "weights"> {
  /** Op weights (reopen and crash are always off inside the suite). */
  weights?: WorkloadOptions["weights"];
  /** Number of cut points (spread evenly over all host writes; default: every write). */
  points?: number;
  /** Tear the cut write at a random sector boundary (default false). */
  tear?: boolean;
  /** Keep only writes covered by a completed host sync (default false: keep all before K). */
  durableOnly?: boolean;
  /** Keep writes covered by a completed host sync plus a random half of the later ones (the
   * host may persist unsynced writes in any order: checks the disk's write barriers).
   * Overrides durableOnly. */
  reorder?: boolean;
  /** Stop collecting after this many failures (default 20). */
  maxFailures?: number;
  /** Replay this op list instead of a generated one (a final sync is appended). */
  opList?: WorkloadOp[];
}

export interface CrashPointFailure {
  point: number;
  reason: string;
}

export interface CrashSuiteResult {
  /** Host writes of the uncut run (the cut-point space). */
  totalWrites: number;
  pointsTested: number;
  /** Points whose reopened state equalled the last completed sync / the sync in flight. */
  matchedLastSync: number;
  matchedInflightSync: number;
  failures: CrashPointFailure[];
}

export async function runCrashSuite(target: CrashTarget, opts: CrashSuiteOptions): Promise<CrashSuiteResult> {
  const weights = { ...opts.weights, reopen: 0, crash: 0 };
  const ops = opts.opList ? [...opts.opList] : generateOps({ ...opts, weights }, target.nblocks, { trim: target.trim ?? true, crash: false });
  ops.push({ kind: "sync" });

  // Format once; every run starts from these images.
  const baseFiles = Array.from({ length: target.files }, () => new MemHostFile());
  const formatted = await target.create(baseFiles);
  await formatted.sync();
  await formatted.close();
  const base = baseFiles.map((f) => f.image());

  const dry = await runCut(target, base, ops, new CrashPlan({}));
  const total = dry.plan.writes;
  const nPoints = Math.min(opts.points ?? total, total);
  const rng = new Rng(opts.seed ^ 0x5eed);
  const result: CrashSuiteResult = { totalWrites: total, pointsTested: 0, matchedLastSync: 0, matchedInflightSync: 0, failures: [] };
  const maxFailures = opts.maxFailures ?? 20;

  for (let i = 0; i < nPoints && result.failures.length < maxFailures; i++) {
    const k = 1 + Math.floor((i * total) / nPoints);
    const tearBytes = opts.tear ? rng.range(1, 7) * 512 : 0;
    const run = await runCut(target, base, ops, new CrashPlan({ crashAtWrite: k, tearBytes }));
    if (!run.plan.crashed) continue; // the run issued fewer writes this time
    result.pointsTested++;
    const images = run.inner.map(
      (f) =>
        new MemHostFile(
          opts.reorder ? f.crashImage({ keep: () => rng.chance(0.5) }) : opts.durableOnly ? f.durableImage() : f.image(),
        ),
    );
    let dev: BlockDevice;
    try {
      dev = await target.open(images);
    } catch (e) {
      result.failures.push({ point: k, reason: `open failed: ${(e as Error).message}` });
      continue;
    }
    const states: DiskState[] = [run.lastSynced];
    if (run.inflight) states.push(run.inflight);
    let idx: number;
    try {
      idx = await matchState(dev, states);
    } catch (e) {
      result.failures.push({ point: k, reason: `read failed: ${(e as Error).message}` });
      continue;
    } finally {
      await dev.close().catch(() => {});
    }
    if (idx === 0) result.matchedLastSync++;
    else if (idx === 1) result.matchedInflightSync++;
    else result.failures.push({ point: k, reason: `state is neither the last sync (#${run.syncs}) nor the one in flight` });
  }
  return result;
}

interface CutRun {
  plan: CrashPlan;
  inner: MemHostFile[];
  lastSynced: DiskState;
  inflight?: DiskState;
  syncs: number;
}

async function runCut(target: CrashTarget, base: Uint8Array[], ops: WorkloadOp[], plan: CrashPlan): Promise<CutRun> {
  const inner = base.map((img) => new MemHostFile(img));
  const files = inner.map((f) => new CrashableFile(f, plan));
  const model = new ReferenceModel(target.nblocks);
  const run: CutRun = { plan, inner, lastSynced: model.lastSynced, syncs: 0 };
  const factory: DiskFactory = {
    name: target.name,
    nblocks: target.nblocks,
    create: () => target.create(files),
    reopen: () => target.open(files),
  };
  const hooks = {
    beforeSync: () => {
      run.inflight = model.snapshot();
    },
    afterSync: () => {
      run.lastSynced = model.lastSynced;
      run.inflight = undefined;
      run.syncs++;
    },
  };
  try {
    let dev = await target.open(files);
    for (let i = 0; i < ops.length; i++) {
      dev = await applyOp(factory, dev, model, ops[i]!, `${target.name} crash run op #${i}`, hooks);
    }
    await dev.close();
  } catch (e) {
    // After the cut, any error is the device reacting to the crash (it may wrap the IoError).
    if (!plan.crashed) throw e;
  }
  return run;
}
