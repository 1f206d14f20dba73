/**
 * MemTable flush off the write path (lsm.ts freeze / buildFrozen / installFrozen): a full
 * MemTable is frozen and a new one starts at once; the frozen one stays searchable while its SST
 * is built and written in the background, the next write or sync installs it, a sync commits it,
 * a close abandons it, and a crash anywhere in between recovers the last sync.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { BLOCK_SIZE } from "../block-device.ts";
import { CrashableFile, MemHostFile, type HostFile, type HostIoStats } from "../host-file.ts";
import { runCrashSuite } from "../testing/crash-suite.ts";
import { ReferenceModel } from "../testing/model.ts";
import { Rng } from "../testing/rng.ts";
import { applyOp, type DiskFactory, type WorkloadOp } from "../testing/workload.ts";
import { SwornDisk } from "./disk.ts";
import { smallOptions, swornTarget } from "./test-support.ts";

const OPTS = smallOptions({ nblocks: 256, segmentBlocks: 16, overprovision: 1, memtableRecords: 32, l0Max: 4 });

/** A MemHostFile whose writes complete `delayMs` late while `slow` is set (so that the SST of a
 * background flush is still in flight when the test looks). */
class SlowFile implements HostFile {
  readonly inner: MemHostFile;
  slow = false;
  delayMs = 15;
  constructor(inner = new MemHostFile()) {
    this.inner = inner;
  }
  get stats(): HostIoStats {
    return this.inner.stats;
  }
  private async later(): Promise<void> {
    if (this.slow) await new Promise((r) => setTimeout(r, this.delayMs));
  }
  read(offset: number, buf: Uint8Array): Promise<void> {
    return this.inner.read(offset, buf);
  }
  async write(offset: number, buf: Uint8Array): Promise<void> {
    await this.writev(offset, [buf]);
  }
  async writev(offset: number, bufs: ReadonlyArray<Uint8Array>): Promise<void> {
    const p = this.inner.writev(offset, bufs);
    await this.later();
    await p;
  }
  sync(): Promise<void> {
    return this.inner.sync();
  }
  size(): Promise<number> {
    return this.inner.size();
  }
  truncate(size: number): Promise<void> {
    return this.inner.truncate(size);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  image(): Uint8Array {
    return this.inner.image();
  }
}

function pattern(seed: number, n = 1): Uint8Array {
  return new Rng(seed).bytes(n * BLOCK_SIZE);
}

async function expectBlocks(d: SwornDisk, model: Map<number, Uint8Array>, what: string): Promise<void> {
  const out = new Uint8Array(BLOCK_SIZE);
  for (const [lba, want] of model) {
    await d.read(lba, out);
    assert.deepEqual(out, want, `${what}: LBA ${lba}`);
  }
}

test("reads hit the frozen MemTable while its SST is built; newer writes shadow it; the next write installs it", async () => {
  const f = new SlowFile();
  const d = await SwornDisk.create(f, OPTS);
  const model = new Map<number, Uint8Array>();
  const put = async (lba: number, data: Uint8Array): Promise<void> => {
    await d.write(lba, data);
    for (let k = 0; k < data.length / BLOCK_SIZE; k++) model.set(lba + k, data.subarray(k * BLOCK_SIZE, (k + 1) * BLOCK_SIZE));
  };
  for (let lba = 0; lba < 32; lba += 8) await put(lba, pattern(100 + lba, 8));
  // The 32nd record froze the MemTable: a new one is empty, the flush has not been installed.
  assert.ok(d.lsm.flushing && d.lsm.imm!.size === 32 && d.lsm.mem.size === 0);
  f.slow = true; // the SST's host writes stay in flight for a while
  await expectBlocks(d, model, "frozen");
  assert.ok(d.lsm.flushing, "installed without a write or sync");
  assert.equal(d.lsm.stats.flushes, 0);
  // New records go to the new MemTable; overwritten LBAs shadow their frozen records.
  await put(32, pattern(200, 8));
  await put(4, pattern(201, 4));
  await expectBlocks(d, model, "frozen + new");
  while (!d.lsm.flushDone) await new Promise((r) => setTimeout(r, 2));
  await put(40, pattern(202, 2)); // installs the finished flush
  assert.ok(!d.lsm.flushing);
  assert.equal(d.lsm.stats.flushes, 1);
  assert.equal(d.lsm.levels[0]!.length + d.lsm.levels[1]!.length, 1);
  await expectBlocks(d, model, "installed");
  f.slow = false;
  await d.sync();
  assert.ok((await d.check()).ok);
  const again = await SwornDisk.open(new MemHostFile(f.image()), OPTS);
  await expectBlocks(again, model, "reopened");
  await again.close();
  await d.close();
});

test("a sync during a background flush waits for its SST and commits it (the frozen records left the WAL)", async () => {
  const f = new SlowFile();
  const d = await SwornDisk.create(f, OPTS);
  const model = new Map<number, Uint8Array>();
  for (let lba = 0; lba < 32; lba += 8) {
    const data = pattern(300 + lba, 8);
    await d.write(lba, data);
    for (let k = 0; k < 8; k++) model.set(lba + k, data.subarray(k * BLOCK_SIZE, (k + 1) * BLOCK_SIZE));
  }
  assert.ok(d.lsm.flushing && !d.lsm.flushDone);
  f.slow = true;
  await d.sync();
  assert.ok(!d.lsm.flushing, "sync left the flush uninstalled");
  assert.equal(d.lsm.stats.flushes, 1);
  // Only the committed state survives a reopen of the image: without the SST the frozen
  // records would be gone (the new WAL does not hold them).
  const again = await SwornDisk.open(new MemHostFile(f.image()), OPTS);
  await expectBlocks(again, model, "reopened after the sync");
  assert.equal(again.lsm.mem.size, 0);
  assert.ok((await again.check()).ok);
  await again.close();
  await d.close();
});

test("close during a background flush (still waiting for its tags) abandons it: reopen finds the last sync", async () => {
  const f = new MemHostFile();
  const d = await SwornDisk.create(f, OPTS);
  const synced = pattern(400, 8);
  await d.write(100, synced);
  await d.sync();
  for (let lba = 0; lba < 32; lba += 8) await d.write(lba, pattern(500 + lba, 8));
  assert.ok(d.lsm.flushing);
  await d.close(); // must not wait for tags that no later write will report
  const again = await SwornDisk.open(new MemHostFile(f.image()), OPTS);
  const out = new Uint8Array(8 * BLOCK_SIZE);
  await again.read(100, out);
  assert.deepEqual(out, synced);
  await again.read(0, out);
  assert.deepEqual(out, new Uint8Array(8 * BLOCK_SIZE), "unsynced writes survived");
  await again.close();
});

/** Sequential and overlapping writes with syncs: several background flushes per sync interval. */
function flushOps(): WorkloadOp[] {
  const ops: WorkloadOp[] = [];
  let k = 0;
  for (let pass = 0; pass < 4; pass++) {
    for (let lba = (pass % 2) * 4; lba + 8 <= 200; lba += 8) {
      ops.push({ kind: "write", lba, count: 8, seed: 7000 + k++ });
      if (k % 9 === 0) ops.push({ kind: "sync" });
      if (k % 5 === 0) ops.push({ kind: "read", lba: Math.max(0, lba - 24), count: 8 });
    }
  }
  return ops;
}

test("crash during background flushes: every cut point (torn writes too) recovers the last sync", async (t) => {
  const ops = flushOps();
  // The uncut run: host writes land while a background flush's SST is in flight.
  const base = new MemHostFile();
  await (await SwornDisk.create(base, OPTS)).close();
  let disk: SwornDisk | undefined;
  let flushWrites = 0;
  const file = new CrashableFile(new MemHostFile(base.image()), {
    onWrite: () => {
      if (disk?.phase === "flush") flushWrites++;
    },
  });
  disk = await SwornDisk.open(file, OPTS);
  const factory: DiskFactory = { name: "sworndisk", nblocks: OPTS.nblocks, create: () => SwornDisk.create(file, OPTS), reopen: () => SwornDisk.open(file, OPTS) };
  const model = new ReferenceModel(OPTS.nblocks);
  let dev = disk as unknown as import("../block-device.ts").BlockDevice;
  for (const [i, op] of ops.entries()) dev = await applyOp(factory, dev, model, op, `op ${i}`);
  assert.ok(disk.lsm.stats.flushes >= 8, `only ${disk.lsm.stats.flushes} flushes`);
  assert.ok(flushWrites >= 8, `only ${flushWrites} host writes during background flushes`);
  await dev.close();
  const r = await runCrashSuite(swornTarget(OPTS), { seed: 51, ops: 0, opList: ops, tear: true });
  assert.deepEqual(r.failures, []);
  assert.equal(r.matchedLastSync, r.pointsTested);
  t.diagnostic(`${r.pointsTested} cut points, ${flushWrites} of them in flush writes`);
  assert.ok(r.pointsTested >= 100, `only ${r.pointsTested} cut points`);
  const p = await runCrashSuite(swornTarget(OPTS), { seed: 52, ops: 0, opList: ops, durableOnly: true, points: 40 });
  assert.deepEqual(p.failures, []);
});
