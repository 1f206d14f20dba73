/**
 * SwornDisk functional tests: basic I/O, model-based random workloads (reads always return the
 * last written data; after reopen or crash exactly the last synced state), the internal
 * machinery (flush, compaction, GC, checkpoints) and the tool surface (inspect/check).
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { BLOCK_SIZE, BlockError } from "../block-device.ts";
import { MemHostFile } from "../host-file.ts";
import { assertDeviceEquals, ReferenceModel } from "../testing/model.ts";
import { Rng } from "../testing/rng.ts";
import { runWorkload } from "../testing/workload.ts";
import { HostFileCounterStore, MemCounterStore, SwornDisk } from "./index.ts";
import { smallOptions, swornFactory, TEST_KEY } from "./test-support.ts";

function pattern(seed: number, n = 1): Uint8Array {
  return new Rng(seed).bytes(n * BLOCK_SIZE);
}

test("write, read back, zero-filled unwritten blocks, sync and reopen", async () => {
  const f = new MemHostFile();
  const d = await SwornDisk.create(f, smallOptions());
  const data = pattern(1, 3);
  await d.write(10, data);
  const out = new Uint8Array(5 * BLOCK_SIZE).fill(0xee);
  await d.read(9, out);
  assert.deepEqual(out.subarray(0, BLOCK_SIZE), new Uint8Array(BLOCK_SIZE));
  assert.deepEqual(out.subarray(BLOCK_SIZE, 4 * BLOCK_SIZE), data);
  assert.deepEqual(out.subarray(4 * BLOCK_SIZE), new Uint8Array(BLOCK_SIZE));
  await d.sync();
  await d.write(10, pattern(2)); // not synced: must vanish
  const again = await SwornDisk.open(new MemHostFile(f.image()), smallOptions());
  const back = new Uint8Array(3 * BLOCK_SIZE);
  await again.read(10, back);
  assert.deepEqual(back, data);
  await again.close();
  await d.close();
});

test("argument and key errors are BlockErrors, never wrong data", async () => {
  const f = new MemHostFile();
  const d = await SwornDisk.create(f, smallOptions());
  await assert.rejects(d.read(0, new Uint8Array(100)), (e: BlockError) => e.kind === "InvalidArgument");
  await assert.rejects(d.write(255, new Uint8Array(2 * BLOCK_SIZE)), (e: BlockError) => e.kind === "OutOfRange");
  await assert.rejects(d.trim(250, 10), (e: BlockError) => e.kind === "OutOfRange");
  await d.sync();
  await d.close();
  await assert.rejects(d.read(0, new Uint8Array(BLOCK_SIZE)), (e: BlockError) => e.kind === "Closed");
  const wrongKey = new Uint8Array(32).fill(9);
  await assert.rejects(SwornDisk.open(new MemHostFile(f.image()), { ...smallOptions(), rootKey: wrongKey }), (e: BlockError) => e.kind === "MacMismatched");
  await assert.rejects(SwornDisk.open(new MemHostFile(f.image()), { ...smallOptions(), nblocks: 512 }), (e: BlockError) => e.kind === "InvalidArgument");
  await assert.rejects(SwornDisk.open(new MemHostFile(new Uint8Array(8192)), smallOptions()), (e: BlockError) => e.kind === "Corrupted");
  await assert.rejects(SwornDisk.create(new MemHostFile(), { ...smallOptions(), rootKey: new Uint8Array(16) }), (e: BlockError) => e.kind === "InvalidArgument");
});

test("model-based random workloads (reads, trims, syncs, reopens, crashes)", async () => {
  for (const seed of [1, 2, 3]) {
    const r = await runWorkload(swornFactory(), { seed, ops: 1200, maxRun: 12 });
    assert.ok(r.counts.crash > 0 && r.counts.reopen > 0 && r.counts.trim > 0);
    const c = await (r.dev as SwornDisk).check();
    assert.deepEqual(c.errors, []);
    await r.dev.close();
  }
});

test("model-based workload on a larger disk (64-block segments, no MemTable flush)", async () => {
  const opts = smallOptions({ nblocks: 2048, segmentBlocks: 64, memtableRecords: 65536, overprovision: 1, journalBlocks: 32 });
  const r = await runWorkload(swornFactory(opts), { seed: 11, ops: 600, maxRun: 64 });
  await r.dev.close();
});

test("internals run: MemTable flushes, compactions, GC, journal checkpoints; state survives", async () => {
  const opts = smallOptions({ overprovision: 1 });
  let f = new MemHostFile();
  let d = await SwornDisk.create(f, opts);
  const model = new ReferenceModel(opts.nblocks);
  const rng = new Rng(5);
  let gcMoved = 0;
  for (let round = 0; round < 60; round++) {
    for (let i = 0; i < 12; i++) {
      const lba = rng.int(opts.nblocks - 4);
      const n = 1 + rng.int(4);
      const data = rng.bytes(n * BLOCK_SIZE);
      await d.write(lba, data);
      model.write(lba, data);
    }
    await d.sync();
    model.sync();
    if (round % 20 === 19) {
      gcMoved += d.stats.gcBlocksMoved;
      await d.close();
      f = new MemHostFile(f.image());
      d = await SwornDisk.open(f, opts);
      await assertDeviceEquals(d, model.current, `after reopen ${round}`);
    }
  }
  const info = d.inspect();
  gcMoved += d.stats.gcBlocksMoved;
  assert.ok(gcMoved > 0, "GC moved blocks");
  assert.ok(info.journal.checkpointVersion! > 2, "journal checkpoints were written");
  assert.ok(info.syncId > 60);
  await assertDeviceEquals(d, model.current, "final");
  const c = await d.check();
  assert.ok(c.ok, c.errors.join("; "));
  assert.equal(c.checked.dataBlocks, info.space.mappedLbas);
});

test("sequential writes: compaction re-levels disjoint tables without rewriting them; overlaps still merge", async () => {
  const opts = smallOptions({ memtableRecords: 16, l0Max: 2, l1Records: 1000 });
  const f = new MemHostFile();
  const d = await SwornDisk.create(f, opts);
  const model = new ReferenceModel(opts.nblocks);
  const stats = (): { flushes: number; compactions: number; trivialMoves: number; sstBlocksWritten: number } => d.inspect().index as never;
  // One pass over fresh LBAs: every flushed table covers its own range.
  for (let lba = 0; lba < 128; lba += 8) {
    const data = pattern(500 + lba, 8);
    await d.write(lba, data);
    model.write(lba, data);
    if (lba % 32 === 24) {
      await d.sync();
      model.sync();
    }
  }
  const s1 = stats();
  assert.ok(s1.trivialMoves >= 2 && s1.compactions === 0, JSON.stringify(s1));
  // A move writes no SST block: what was written is exactly the flushed tables.
  const l1 = d.inspect().index as { levels: Array<{ ssts: number; records: number }> };
  assert.equal(l1.levels[0]!.records + l1.levels[1]!.records + l1.levels[2]!.records + d.lsm.mem.size, 128);
  await d.sync();
  model.sync();
  // Rewrites overlap the moved tables: real merges.
  for (let lba = 4; lba < 100; lba += 8) {
    const data = pattern(900 + lba, 4);
    await d.write(lba, data);
    model.write(lba, data);
  }
  await d.sync();
  model.sync();
  assert.ok(stats().compactions >= 1, JSON.stringify(stats()));
  const c = await d.check();
  assert.ok(c.ok, c.errors.join("; "));
  await d.close();
  const again = await SwornDisk.open(new MemHostFile(f.image()), opts);
  await assertDeviceEquals(again, model.current, "after reopen");
  await again.close();
});

test("inspect reports layout, space and write amplification", async () => {
  const d = await SwornDisk.create(new MemHostFile(), smallOptions({ memtableRecords: 16 }));
  await d.write(0, pattern(3, 64));
  await d.sync();
  const i = d.inspect();
  assert.equal(i.layout.nblocks, 256);
  assert.equal(i.space.mappedLbas, 64);
  assert.equal(i.writes.userBlocksWritten, 64);
  assert.ok(i.writes.writeAmplification! >= 1 && i.writes.writeAmplification! < 2);
  assert.ok((i.index as { flushes: number }).flushes >= 1);
  assert.ok(i.layout.regions.segments![1] * BLOCK_SIZE === i.layout.hostBytes);
});

test("trim: trimmed blocks read as zeros, also after reopen and compaction", async () => {
  const opts = smallOptions({ memtableRecords: 8 });
  const f = new MemHostFile();
  const d = await SwornDisk.create(f, opts);
  await d.write(0, pattern(4, 32));
  await d.sync();
  await d.trim(4, 8);
  for (let i = 0; i < 40; i++) await d.write(100 + i, pattern(100 + i)); // push the tombstones down
  await d.sync();
  const d2 = await SwornDisk.open(new MemHostFile(f.image()), opts);
  const out = new Uint8Array(16 * BLOCK_SIZE);
  await d2.read(0, out);
  const want = pattern(4, 32).subarray(0, 16 * BLOCK_SIZE);
  want.fill(0, 4 * BLOCK_SIZE, 12 * BLOCK_SIZE);
  assert.deepEqual(out, want);
});

test("trusted counter: advanced on sync, host-file store persists it", async () => {
  const counterFile = new MemHostFile();
  const store = new HostFileCounterStore(counterFile);
  const f = new MemHostFile();
  const d = await SwornDisk.create(f, { ...smallOptions(), counterStore: store });
  assert.equal(await store.read(), 1n);
  await d.write(0, pattern(5));
  await d.sync();
  await d.sync(); // nothing changed: no new sync id
  assert.equal(await store.read(), 2n);
  const mem = new MemCounterStore(5n);
  await assert.rejects(mem.advance(4n));
  const reopened = await SwornDisk.open(new MemHostFile(f.image()), { ...smallOptions(), counterStore: new HostFileCounterStore(new MemHostFile(counterFile.image())) });
  await reopened.close();
});

test("out of disk is reported, and a sync makes the space usable again", async () => {
  const opts = smallOptions({ overprovision: 0.25 });
  const d = await SwornDisk.create(new MemHostFile(), opts);
  const full = pattern(6, 256);
  await d.write(0, full);
  await d.sync();
  // Overwrite everything without syncing: the old copies are pinned until the next sync.
  let hit = false;
  try {
    for (let i = 0; i < 4; i++) await d.write(0, full);
  } catch (e) {
    assert.ok(e instanceof BlockError && e.kind === "OutOfDisk", String(e));
    hit = true;
  }
  assert.ok(hit, "expected OutOfDisk");
  await d.sync();
  await d.write(0, pattern(7, 8));
  await d.sync();
  const out = new Uint8Array(8 * BLOCK_SIZE);
  await d.read(0, out);
  assert.deepEqual(out, pattern(7, 8));
});

test("anonymity and confidentiality smoke: no plaintext block or LBA-tagged pattern in the image", async () => {
  const f = new MemHostFile();
  const d = await SwornDisk.create(f, smallOptions());
  const marker = new TextEncoder().encode("PLAINTEXT-MARKER-0123456789");
  const blk = new Uint8Array(BLOCK_SIZE);
  for (let i = 0; i < BLOCK_SIZE; i += 32) blk.set(marker.subarray(0, 32 - 5), i);
  for (let lba = 0; lba < 64; lba++) await d.write(lba, blk);
  await d.sync();
  const img = Buffer.from(f.image());
  assert.equal(img.indexOf(Buffer.from(marker.subarray(0, 16))), -1);
});

test("nonce audit: every data block write uses a fresh key and IV", async () => {
  const d = await SwornDisk.create(new MemHostFile(), smallOptions({ memtableRecords: 1 << 16 }));
  const seen = new Set<string>();
  for (let round = 0; round < 5; round++) {
    await d.write(0, pattern(round, 32));
    for (let lba = 0; lba < 32; lba++) {
      const v = (await d.lsm.lookup(lba))!;
      const k = Buffer.from(v.subarray(8, 60)).toString("hex");
      assert.ok(!seen.has(k), "key/IV reused");
      seen.add(k);
    }
  }
});

test("threaded logging: a full disk under random overwrites fills holes, stays correct", async () => {
  const opts = smallOptions({ overprovision: 0.25, memtableRecords: 64 });
  let f = new MemHostFile();
  let d = await SwornDisk.create(f, opts);
  const model = new ReferenceModel(opts.nblocks);
  const all = pattern(20, opts.nblocks);
  await d.write(0, all);
  model.write(0, all);
  await d.sync();
  model.sync();
  const rng = new Rng(21);
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 16; i++) {
      const lba = rng.int(opts.nblocks);
      const data = rng.bytes(BLOCK_SIZE);
      await d.write(lba, data);
      model.write(lba, data);
    }
    await d.sync();
    model.sync();
  }
  const w = d.inspect().writes;
  assert.ok(w.holeSegments! > 0, "hole mode used");
  await assertDeviceEquals(d, model.current, "after overwrites");
  f = new MemHostFile(f.image());
  d = await SwornDisk.open(f, opts);
  await assertDeviceEquals(d, model.current, "after reopen");
  assert.ok((await d.check()).ok);
});

test("batched encryption (worker-assisted for large batches): staged, sealed and reopened data agree", async () => {
  const opts = smallOptions({ nblocks: 1024, segmentBlocks: 256, memtableRecords: 4096, overprovision: 0.5 });
  const f = new MemHostFile();
  const d = await SwornDisk.create(f, opts);
  const data = pattern(30, 600);
  await d.write(100, data); // fills one segment (sealed in one batch) and stages the rest
  const out = new Uint8Array(600 * BLOCK_SIZE);
  await d.read(100, out); // mix of sealed (host) and still-plaintext staged blocks
  assert.deepEqual(out, data);
  await d.sync();
  out.fill(0);
  await d.read(100, out);
  assert.deepEqual(out, data);
  const again = await SwornDisk.open(new MemHostFile(f.image()), opts);
  out.fill(0);
  await again.read(100, out);
  assert.deepEqual(out, data);
  assert.ok((await again.check()).ok);
  // Nothing of the plaintext reached the host image.
  assert.equal(Buffer.from(f.image()).indexOf(Buffer.from(data.subarray(0, 64))), -1);
});

test("background encryption: reads of blocks still being encrypted, overwrites in flight, sync and reopen agree", async () => {
  const opts = smallOptions({ nblocks: 2048, segmentBlocks: 512, memtableRecords: 8192, overprovision: 0.5 });
  const f = new MemHostFile();
  const d = await SwornDisk.create(f, opts);
  const model = new Map<number, Uint8Array>();
  const rng = new Rng(99);
  for (let i = 0; i < 40; i++) {
    // Runs large enough to be handed to the worker pool, some overwriting blocks in flight.
    const lba = rng.int(2048 - 48);
    const n = 16 + rng.int(32);
    const data = pattern(1000 + i, n);
    await d.write(lba, data);
    for (let k = 0; k < n; k++) model.set(lba + k, data.subarray(k * BLOCK_SIZE, (k + 1) * BLOCK_SIZE));
    const out = new Uint8Array(n * BLOCK_SIZE);
    await d.read(lba, out); // typically still queued for encryption: read after sealing
    assert.deepEqual(out, data);
    if (i % 13 === 12) await d.sync();
  }
  const check = async (disk: SwornDisk, what: string): Promise<void> => {
    const out = new Uint8Array(BLOCK_SIZE);
    for (const [lba, want] of model) {
      await disk.read(lba, out);
      assert.deepEqual(out, want, `${what}: LBA ${lba}`);
    }
  };
  await check(d, "before sync");
  await d.sync();
  await check(d, "after sync");
  const again = await SwornDisk.open(new MemHostFile(f.image()), opts);
  await check(again, "after reopen");
  assert.ok((await again.check()).ok);
  const img = Buffer.from(f.image());
  for (const want of [...model.values()].slice(0, 32)) assert.equal(img.indexOf(Buffer.from(want.subarray(0, 256))), -1, "plaintext on the host");
  await again.close();
  await d.close();
});

test("segments left while still being encrypted: reads from them, overwrites that kill them, and fast segment reuse all agree", async () => {
  // 16-block segments: every 16 blocks written leave a segment behind, encrypted in the
  // background and written to the host only later, meanwhile read from its staging buffer.
  // Rewriting the same LBAs kills each such segment at once (its blocks were never synced), and
  // the allocator wraps around the small segment area many times, with syncs, MemTable flushes
  // (SST writes) and unaligned runs in between: every read, the check and the reopen must see
  // exactly the last data written.
  const opts = smallOptions({ nblocks: 256, segmentBlocks: 16, overprovision: 1, memtableRecords: 200 });
  const f = new MemHostFile();
  const d = await SwornDisk.create(f, opts);
  const model = new Map<number, Uint8Array>();
  const rng = new Rng(7);
  const put = async (lba: number, data: Uint8Array): Promise<void> => {
    await d.write(lba, data);
    for (let k = 0; k < data.length / BLOCK_SIZE; k++) model.set(lba + k, data.subarray(k * BLOCK_SIZE, (k + 1) * BLOCK_SIZE));
  };
  const check = async (disk: SwornDisk, what: string): Promise<void> => {
    const out = new Uint8Array(BLOCK_SIZE);
    for (const [lba, want] of model) {
      await disk.read(lba, out);
      assert.deepEqual(out, want, `${what}: LBA ${lba}`);
    }
  };
  for (let i = 0; i < 120; i++) {
    const data = pattern(5000 + i, 16);
    await put(32, data); // a whole segment of the same LBAs, again and again
    if (i % 7 === 3) {
      // Read right after crossing into the next segment: served from the segment just left.
      const out = new Uint8Array(16 * BLOCK_SIZE);
      await d.read(32, out);
      assert.deepEqual(out, data, `round ${i}`);
    }
    if (i % 5 === 0) await put(rng.int(200), pattern(9000 + i, 1 + rng.int(24))); // unaligned runs
    if (i % 40 === 39) await d.sync();
  }
  await check(d, "before sync");
  await d.sync();
  await check(d, "after sync");
  assert.ok((await d.check()).ok);
  const again = await SwornDisk.open(new MemHostFile(f.image()), opts);
  await check(again, "after reopen");
  assert.ok((await again.check()).ok);
  await again.close();
  await d.close();
});
