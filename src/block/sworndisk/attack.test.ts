/**
 * SwornDisk attack suite: the adversary owns the host image. Every attack must be detected
 * (MacMismatched / Corrupted / RolledBack at open or at read) or leave exactly a state the user
 * synced; never silently wrong data, never a transient state.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { BLOCK_SIZE, BlockError, type BlockDevice } from "../block-device.ts";
import { MemHostFile } from "../host-file.ts";
import { captureTransients, DETECTION_KINDS, flipByte, swapRanges } from "../testing/attack.ts";
import { matchState, ReferenceModel, type DiskState } from "../testing/model.ts";
import { Rng } from "../testing/rng.ts";
import { MemCounterStore, SwornDisk, type TrustedCounterStore } from "./index.ts";
import { regions } from "./layout.ts";
import { valueHba } from "./memtable.ts";
import { blockOf, classifyBlocks, smallOptions, type Region } from "./test-support.ts";

const OPTS = smallOptions({ nblocks: 128, overprovision: 2, memtableRecords: 32, journalBlocks: 8 });

interface Scenario {
  file: MemHostFile;
  disk: SwornDisk;
  model: ReferenceModel;
  counter: MemCounterStore;
  /** Model state per sync id. */
  states: Map<number, DiskState>;
  rng: Rng;
}

async function scenario(seed: number, counter = new MemCounterStore()): Promise<Scenario> {
  const file = new MemHostFile();
  const disk = await SwornDisk.create(file, { ...OPTS, counterStore: counter });
  const s: Scenario = { file, disk, model: new ReferenceModel(OPTS.nblocks), counter, states: new Map(), rng: new Rng(seed) };
  s.states.set(disk.inspect().syncId, s.model.snapshot());
  return s;
}

/** Random writes (and a trim) then a sync. */
async function churn(s: Scenario, writes: number): Promise<void> {
  for (let i = 0; i < writes; i++) {
    const n = 1 + s.rng.int(4);
    const lba = s.rng.int(OPTS.nblocks - n);
    const data = s.rng.bytes(n * BLOCK_SIZE);
    await s.disk.write(lba, data);
    s.model.write(lba, data);
  }
  const t = s.rng.int(OPTS.nblocks - 2);
  await s.disk.trim(t, 2);
  s.model.trim(t, 2);
  await s.disk.sync();
  s.model.sync();
  s.states.set(s.disk.inspect().syncId, s.model.snapshot());
}

type Outcome = { kind: "detected"; error: BlockError } | { kind: "state"; syncId: number; matches: boolean };

/** Open `img` and read everything: detected, or which synced state it shows. */
async function outcome(img: Uint8Array, s: Scenario, counter?: TrustedCounterStore): Promise<Outcome> {
  let dev: SwornDisk;
  try {
    dev = await SwornDisk.open(new MemHostFile(img), { ...OPTS, counterStore: counter });
  } catch (e) {
    if (e instanceof BlockError && DETECTION_KINDS.includes(e.kind)) return { kind: "detected", error: e };
    throw e;
  }
  try {
    const syncId = dev.inspect().syncId;
    const want = s.states.get(syncId);
    const idx = want ? await matchState(dev as BlockDevice, [want]) : -1;
    return { kind: "state", syncId, matches: idx === 0 };
  } catch (e) {
    if (e instanceof BlockError && DETECTION_KINDS.includes(e.kind)) return { kind: "detected", error: e };
    throw e;
  } finally {
    await dev.close().catch(() => undefined);
  }
}

function assertSafe(o: Outcome, what: string): void {
  if (o.kind === "state") assert.ok(o.matches, `${what}: opened at sync ${o.syncId} with data that is not that sync's state`);
}

async function latestScenario(): Promise<Scenario> {
  const s = await scenario(1);
  for (let r = 0; r < 8; r++) await churn(s, 14);
  return s;
}

test("flip a byte in every block of the image: referenced blocks are always detected", async () => {
  const s = await latestScenario();
  const regionOf = classifyBlocks(s.disk);
  const kinds = new Set(regionOf.values());
  for (const k of ["superblock", "checkpoint", "journal", "wal", "sst", "data"] as Region[]) assert.ok(kinds.has(k), `scenario has ${k} blocks`);
  const img = s.file.image();
  const total = regions(s.disk.sb).total;
  const final = s.disk.inspect().syncId;
  const detected: Record<string, number> = {};
  for (let hba = 0; hba < total; hba++) {
    const region = regionOf.get(hba);
    if (!region && hba % 3 !== 0) continue; // sample the unreferenced space
    const f = new MemHostFile(img);
    flipByte(f, hba * BLOCK_SIZE + s.rng.int(region === "superblock" || region === "checkpoint" ? 64 : BLOCK_SIZE), 1 << s.rng.int(8));
    const o = await outcome(f.image(), s, new MemCounterStore(BigInt(final)));
    if (region) {
      assert.equal(o.kind, "detected", `flip in ${region} block ${hba} went undetected`);
      detected[region] = (detected[region] ?? 0) + 1;
    } else {
      assertSafe(o, `flip in unreferenced block ${hba}`);
      if (o.kind === "state") assert.equal(o.syncId, final);
    }
  }
  assert.ok(Object.keys(detected).length === 6, JSON.stringify(detected));
});

test("replace blocks by older versions of themselves (data, WAL, SST, journal, checkpoint)", async () => {
  const s = await latestScenario();
  const old = s.file.image();
  const hbaOf = async (lba: number): Promise<number> => {
    const v = await s.disk.lsm.lookup(lba);
    return v ? valueHba(v) : 0;
  };
  const before = new Map<number, number>();
  for (const lba of s.model.current.keys()) before.set(lba, await hbaOf(lba));
  await churn(s, 20);
  await churn(s, 20);
  const img = s.file.image();
  const regionOf = classifyBlocks(s.disk);
  const final = s.disk.inspect().syncId;
  let replayed = 0;
  for (let hba = 0; hba < regions(s.disk.sb).total; hba++) {
    const a = blockOf(old, hba);
    const b = blockOf(img, hba);
    if (Buffer.from(a).equals(Buffer.from(b))) continue;
    const f = new MemHostFile(img);
    f.raw().set(a, hba * BLOCK_SIZE);
    const o = await outcome(f.image(), s, new MemCounterStore(BigInt(final)));
    const region = regionOf.get(hba);
    if (region) assert.equal(o.kind, "detected", `old ${region} block ${hba} accepted`);
    else assertSafe(o, `old unreferenced block ${hba}`);
    replayed++;
  }
  assert.ok(replayed > 50, `only ${replayed} blocks differed`);
  // The classic: an LBA's current block replaced by that LBA's own previous ciphertext.
  let classic = 0;
  for (const [lba, oldHba] of before) {
    const now = await hbaOf(lba);
    if (now === 0 || now === oldHba || classic >= 10) continue;
    const f = new MemHostFile(img);
    f.raw().set(blockOf(old, oldHba), now * BLOCK_SIZE);
    const d = await SwornDisk.open(f, OPTS);
    await assert.rejects(d.read(lba, new Uint8Array(BLOCK_SIZE)), (e: BlockError) => e.kind === "MacMismatched");
    classic++;
  }
  assert.ok(classic >= 5);
});

test("swap two referenced blocks of the same kind", async () => {
  const s = await latestScenario();
  const img = s.file.image();
  const regionOf = classifyBlocks(s.disk);
  const byRegion = new Map<Region, number[]>();
  for (const [hba, r] of regionOf) byRegion.set(r, [...(byRegion.get(r) ?? []), hba]);
  const final = s.disk.inspect().syncId;
  let swaps = 0;
  for (const [r, list] of byRegion) {
    for (let i = 0; i + 1 < list.length && i < 12; i += 2) {
      const f = new MemHostFile(img);
      const a = list[i]!;
      const b = list[i + 1]!;
      if (Buffer.from(blockOf(img, a)).equals(Buffer.from(blockOf(img, b)))) continue;
      swapRanges(f, a * BLOCK_SIZE, b * BLOCK_SIZE, BLOCK_SIZE);
      const o = await outcome(f.image(), s, new MemCounterStore(BigInt(final)));
      assert.equal(o.kind, "detected", `swap of ${r} blocks ${a} and ${b} accepted`);
      swaps++;
    }
  }
  assert.ok(swaps >= 10);
});

test("whole-image rollback: refused with the counter store; without it, exactly the older sync (undetectable by design)", async () => {
  const s = await latestScenario();
  const older = s.file.image();
  const olderSync = s.disk.inspect().syncId;
  await churn(s, 10);
  await churn(s, 10);
  // With the trusted counter (now ahead of the old image): RolledBack.
  const withCounter = await outcome(older, s, s.counter);
  assert.equal(withCounter.kind, "detected");
  assert.equal((withCounter as { error: BlockError }).error.kind, "RolledBack");
  // Without a counter the old image is a perfectly valid older sync: SwornDisk's threat model
  // (complete rollback needs a trusted counter). It must still be exactly that sync's state.
  const without = await outcome(older, s);
  assert.deepEqual(without, { kind: "state", syncId: olderSync, matches: true });
  // Truncating the journal (dropping the last commit) is the same attack in small.
  const img = s.file.image();
  const info = s.disk.journal.info();
  const r = regions(s.disk.sb);
  const f = new MemHostFile(img);
  f.raw().fill(0, (r.journal + ((info.seq - 1) % s.disk.sb.journalBlocks)) * BLOCK_SIZE, (r.journal + ((info.seq - 1) % s.disk.sb.journalBlocks) + 1) * BLOCK_SIZE);
  const cut = await outcome(f.image(), s, new MemCounterStore(await s.counter.read()));
  assert.equal(cut.kind, "detected");
  assertSafe(await outcome(f.image(), s), "truncated journal without counter");
});

test("splice the journal of a forked instance and of a foreign instance", async () => {
  const a = await latestScenario();
  const forkImg = a.file.image();
  // Fork: B starts from the same image (same root key, same superblock) and diverges.
  const bCounter = new MemCounterStore(await a.counter.read());
  const bFile = new MemHostFile(forkImg);
  const bDisk = await SwornDisk.open(bFile, { ...OPTS, counterStore: bCounter });
  const b: Scenario = { file: bFile, disk: bDisk, counter: bCounter, rng: new Rng(99), model: new ReferenceModel(OPTS.nblocks), states: new Map(a.states) };
  for (const [lba, blk] of a.model.current) b.model.write(lba, blk);
  b.model.sync();
  await churn(a, 12);
  await churn(a, 12);
  await churn(b, 12);
  await churn(b, 12);
  const r = regions(a.disk.sb);
  const J = a.disk.sb.journalBlocks;
  const aImg = a.file.image();
  const bImg = b.file.image();
  // Whole journal ring of B into A's image; then single ring blocks of B into A.
  const splices: Uint8Array[] = [];
  const whole = aImg.slice();
  whole.set(bImg.subarray(r.journal * BLOCK_SIZE, (r.journal + J) * BLOCK_SIZE), r.journal * BLOCK_SIZE);
  splices.push(whole);
  for (let i = 0; i < J; i++) {
    const one = aImg.slice();
    one.set(blockOf(bImg, r.journal + i), (r.journal + i) * BLOCK_SIZE);
    if (!Buffer.from(one).equals(Buffer.from(aImg))) splices.push(one);
  }
  // A foreign instance formatted with the same root key.
  const foreign = await scenario(7);
  await churn(foreign, 12);
  const fImg = foreign.file.image();
  const fr = regions(foreign.disk.sb);
  const alien = aImg.slice();
  alien.set(fImg.subarray(fr.journal * BLOCK_SIZE, (fr.journal + J) * BLOCK_SIZE), r.journal * BLOCK_SIZE);
  splices.push(alien);
  const alienSb = aImg.slice();
  alienSb.set(fImg.subarray(0, 2 * BLOCK_SIZE), 0);
  splices.push(alienSb);
  assert.ok(splices.length >= 4);
  const final = BigInt(a.disk.inspect().syncId);
  for (const [i, img] of splices.entries()) {
    const o = await outcome(img, a, new MemCounterStore(final));
    assert.equal(o.kind, "detected", `splice #${i} accepted with the counter`);
    assertSafe(await outcome(img, a), `splice #${i} without counter`);
  }
});

test("transient-snapshot replay: every image captured between syncs recovers a synced state", async () => {
  const counter = new MemCounterStore();
  const inner = new MemHostFile();
  const cap = captureTransients(inner);
  const disk = await SwornDisk.create(cap.file, { ...OPTS, counterStore: counter });
  const s: Scenario = { file: inner, disk, model: new ReferenceModel(OPTS.nblocks), counter, states: new Map(), rng: new Rng(3) };
  s.states.set(disk.inspect().syncId, s.model.snapshot());
  const start = cap.images.length;
  for (let r = 0; r < 6; r++) {
    await churn(s, 30); // 30 writes of 1-4 blocks: MemTable flushes and compactions in between
    await disk.flush();
  }
  const images = cap.images.slice(start);
  assert.ok(images.length > 60, `${images.length} transient images`);
  const final = BigInt(disk.inspect().syncId);
  const seen = new Set<number>();
  for (const [i, img] of images.entries()) {
    const o = await outcome(img, s);
    assert.equal(o.kind, "state", `image ${i} did not open: ${(o as { error?: Error }).error?.message}`);
    assertSafe(o, `transient image ${i}`);
    seen.add((o as { syncId: number }).syncId);
    // Replayed later (after the final sync), the counter refuses every older image.
    const later = await outcome(img, s, new MemCounterStore(final));
    if ((o as { syncId: number }).syncId < Number(final)) assert.equal(later.kind, "detected");
  }
  // Exactly one recoverable state per sync (AtomicDisk's metric), no transient ones.
  assert.deepEqual([...seen].sort((x, y) => x - y), [...s.states.keys()].sort((x, y) => x - y));
});
