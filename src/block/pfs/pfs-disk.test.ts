import { test } from "node:test";
import assert from "node:assert/strict";
import { BLOCK_SIZE } from "../block-device.ts";
import { MemHostFile } from "../host-file.ts";
import { PfsDisk } from "./pfs-disk.ts";
import { dataPhysical, mhtPhysical, NODE_SIZE } from "./layout.ts";
import { captureTransients, expectDetected, flipByte, restoreRange, swapRanges } from "../testing/attack.ts";
import { compareDevice, matchState, ReferenceModel, type DiskState } from "../testing/model.ts";
import { runCrashSuite } from "../testing/crash-suite.ts";
import { opData } from "../testing/workload.ts";

const KEY = new Uint8Array(16).fill(3);

function block(seed: number): Uint8Array {
  return opData(1, seed);
}

async function freshDisk(nblocks = 500, cacheNodes = 48) {
  const file = new MemHostFile();
  const rec = new MemHostFile();
  const disk = await PfsDisk.create(file, rec, nblocks, { key: KEY, cacheNodes });
  return { file, rec, disk };
}

test("layout: data node 96 follows MHT node 1; the root MHT is node 1", () => {
  assert.equal(mhtPhysical(0), 1);
  assert.equal(dataPhysical(0), 2);
  assert.equal(dataPhysical(95), 97);
  assert.equal(mhtPhysical(1), 98);
  assert.equal(dataPhysical(96), 99);
});

test("reads of never-written blocks are zeros; data survives sync + reopen; wrong key is refused", async () => {
  const { file, rec, disk } = await freshDisk();
  const z = new Uint8Array(BLOCK_SIZE * 2).fill(1);
  await disk.read(10, z);
  assert.ok(z.every((b) => b === 0));
  await disk.write(300, block(1));
  await disk.close();
  const again = await PfsDisk.open(new MemHostFile(file.image()), new MemHostFile(rec.image()), { key: KEY });
  const got = new Uint8Array(BLOCK_SIZE);
  await again.read(300, got);
  assert.deepEqual(got, block(1));
  assert.equal(again.nblocks, 500);
  await expectDetected(PfsDisk.open(new MemHostFile(file.image()), new MemHostFile(), { key: new Uint8Array(16).fill(4) }));
  await expectDetected(PfsDisk.open(new MemHostFile(file.image()), new MemHostFile(), { key: KEY, name: "other" }));
});

test("tampering: flipped bytes in data, MHT and metadata nodes, swapped and replayed nodes are detected", async () => {
  const { file, rec, disk } = await freshDisk(500);
  for (let i = 0; i < 200; i++) await disk.write(i, block(100 + i));
  await disk.sync();
  const older = file.image();
  await disk.write(5, block(999));
  await disk.close();
  const open = async (mutate: (f: MemHostFile) => void) => {
    const f = new MemHostFile(file.image());
    mutate(f);
    return PfsDisk.open(f, new MemHostFile(rec.image()), { key: KEY });
  };
  const readAt = async (d: PfsDisk, lba: number) => d.read(lba, new Uint8Array(BLOCK_SIZE));
  // Data node: one flipped byte anywhere in the node.
  for (const off of [0, 1234, NODE_SIZE - 1]) {
    const d = await open((f) => flipByte(f, dataPhysical(7) * NODE_SIZE + off));
    await expectDetected(readAt(d, 7));
    await readAt(d, 8); // neighbours unaffected
  }
  // Child MHT node (covers blocks 96..191) and root MHT node.
  await expectDetected(readAt(await open((f) => flipByte(f, mhtPhysical(1) * NODE_SIZE + 77)), 100));
  await expectDetected(open((f) => flipByte(f, mhtPhysical(0) * NODE_SIZE + 5)));
  // Metadata: encrypted part and the salt (key id) in the plain header.
  await expectDetected(open((f) => flipByte(f, 2000)));
  await expectDetected(open((f) => flipByte(f, 20)));
  // Swap two data nodes, replay an older version of one node.
  const swapped = await open((f) => swapRanges(f, dataPhysical(3) * NODE_SIZE, dataPhysical(4) * NODE_SIZE, NODE_SIZE));
  await expectDetected(readAt(swapped, 3));
  const replayed = await open((f) => restoreRange(f, older, dataPhysical(5) * NODE_SIZE, NODE_SIZE));
  await expectDetected(readAt(replayed, 5));
  // The full check finds a flipped node that no read touched.
  const damaged = await open((f) => flipByte(f, dataPhysical(150) * NODE_SIZE + 9));
  await expectDetected(damaged.check());
});

test("PFS has no irreversibility: a whole earlier synced image is accepted", async () => {
  const { file, rec, disk } = await freshDisk(100);
  await disk.write(1, block(1));
  await disk.sync();
  const v1 = file.image();
  await disk.write(1, block(2));
  await disk.close();
  const back = await PfsDisk.open(new MemHostFile(v1), new MemHostFile(rec.image()), { key: KEY });
  const got = new Uint8Array(BLOCK_SIZE);
  await back.read(1, got);
  assert.deepEqual(got, block(1));
});

test("a crash after the update flag is set rolls back from the recovery file", async () => {
  const { file, rec, disk } = await freshDisk(100);
  await disk.write(1, block(1));
  await disk.sync();
  // Cut the next sync right after the flagged metadata write: recovery file is complete.
  await disk.write(1, block(2));
  await disk.write(50, block(3));
  const before = { main: file.image(), rec: rec.image() };
  void before;
  let imgMain: Uint8Array | undefined;
  let imgRec: Uint8Array | undefined;
  const origWrite = file.write.bind(file);
  let writes = 0;
  file.write = async (off, buf) => {
    await origWrite(off, buf);
    if (++writes === 2) {
      // after the flag write (#1) and the first node write (#2): a half-updated image
      imgMain = file.image();
      imgRec = rec.image();
    }
  };
  await disk.sync();
  assert.ok(imgMain && imgRec && imgRec.length > 0);
  const d = await PfsDisk.open(new MemHostFile(imgMain), new MemHostFile(imgRec), { key: KEY });
  assert.equal(d.stats.recoveries, 1);
  const m = new ReferenceModel(100);
  m.write(1, block(1));
  assert.equal(await compareDevice(d, m.current), -1);
});

test("CVE-2022-27499: a transient snapshot captured between syncs replays as a valid, never-synced state", async () => {
  const file = new MemHostFile();
  const rec = new MemHostFile();
  // The adversary snapshots the host file whenever PFS rewrites its metadata node.
  const cap = captureTransients(file, { when: (offset) => offset === 0 });
  const nblocks = 2000;
  const disk = await PfsDisk.create(cap.file, rec, nblocks, { key: KEY, cacheNodes: 8 });
  const model = new ReferenceModel(nblocks);
  // Sync 1: a consistent application state.
  for (let i = 0; i < 4; i++) {
    await disk.write(i, block(i));
    model.write(i, block(i));
  }
  await disk.sync();
  model.sync();
  const synced1 = model.snapshot();
  const capturedFrom = cap.images.length;
  // An application "transaction" of 40 scattered block writes, committed by sync 2. The
  // 8-node cache overflows along the way and PFS flushes dirty nodes in place.
  const intermediate: DiskState[] = [];
  for (let i = 0; i < 40; i++) {
    const lba = (i * 97 + 13) % nblocks;
    await disk.write(lba, block(1000 + i));
    model.write(lba, block(1000 + i));
    intermediate.push(model.snapshot());
  }
  assert.ok(disk.stats.internalFlushes > 0, "the cache overflowed");
  await disk.sync();
  model.sync();
  const synced2 = model.snapshot();
  await disk.close();

  // The adversary replays each host image captured between the two syncs.
  let accepted = 0;
  let transient = 0;
  for (const img of cap.images.slice(capturedFrom)) {
    let d: PfsDisk;
    try {
      d = await PfsDisk.open(new MemHostFile(img), new MemHostFile(), { key: KEY, cacheNodes: 8 });
    } catch {
      continue; // a torn mid-flush image (flag set, no recovery file): refused
    }
    accepted++;
    const which = await matchState(d, [synced1, synced2, ...intermediate]);
    assert.notEqual(which, -1, "every accepted image is some prefix of the application's writes");
    if (which >= 2) transient++;
  }
  // The attack succeeds: PFS accepts states the application never synced.
  assert.ok(transient > 0, `accepted ${accepted} images, ${transient} transient`);
  assert.ok(transient >= disk.stats.internalFlushes - 1);
});

test("adversarial write-stream cuts expose many never-synced PFS states", async () => {
  const r = await runCrashSuite(
    {
      name: "pfs",
      nblocks: 1000,
      files: 2,
      create: ([f, rec]) => PfsDisk.create(f!, rec!, 1000, { key: KEY, cacheNodes: 6 }),
      open: ([f, rec]) => PfsDisk.open(f!, rec!, { key: KEY, cacheNodes: 6 }),
    },
    { seed: 21, ops: 50, maxRun: 3, points: 60, maxFailures: 1000, weights: { read: 5, readv: 0, trim: 0 } },
  );
  assert.ok(r.failures.length >= 5, `${r.failures.length} transient states of ${r.pointsTested} cut points`);
});

test("LRU cache: clean nodes are evicted silently; only a dirty LRU tail forces an internal flush", async () => {
  const { file, disk } = await freshDisk(2000, 8);
  for (let i = 0; i < 2000; i += 50) await disk.write(i, block(i));
  await disk.sync();
  const flushes = disk.stats.internalFlushes;
  const writesBefore = file.stats.writeOps;
  // Reads of the 40 written blocks (over all MHT subtrees), twice: the 8-node cache churns but
  // nothing is dirty, so nothing is written.
  const missesBefore = disk.stats.cacheMisses;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 2000; i += 50) {
      const b = new Uint8Array(BLOCK_SIZE);
      await disk.read(i, b);
      assert.deepEqual(b, block(i));
    }
  }
  assert.equal(disk.stats.internalFlushes, flushes);
  assert.equal(file.stats.writeOps, writesBefore);
  assert.ok(disk.stats.cacheMisses - missesBefore >= 80, `misses ${disk.stats.cacheMisses - missesBefore}`);
  // Writes to scattered blocks dirty more nodes than the cache holds: internal flushes follow.
  for (let i = 0; i < 40; i++) await disk.write((i * 53) % 2000, block(5000 + i));
  assert.ok(disk.stats.internalFlushes > flushes);
  await disk.close();
});
