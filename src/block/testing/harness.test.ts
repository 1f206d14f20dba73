// Self-checks of the test kit: determinism, and that the harness catches a faulty device (so the
// suites built on it can fail).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemDisk } from "../mem-disk.ts";
import { MemHostFile, type HostFile } from "../host-file.ts";
import { RawDisk } from "../raw-disk.ts";
import { BLOCK_SIZE, type Lba } from "../block-device.ts";
import { generateOps, memHostFactory, runWorkload, type DiskFactory } from "./workload.ts";
import { Rng } from "./rng.ts";
import { captureTransients, expectDetected, flipByte } from "./attack.ts";
import { BlockError } from "../block-device.ts";

test("the PRNG and the op generator are deterministic per seed", () => {
  assert.deepEqual(new Rng(5).bytes(64), new Rng(5).bytes(64));
  assert.notDeepEqual(new Rng(5).bytes(64), new Rng(6).bytes(64));
  const a = generateOps({ seed: 9, ops: 200 }, 100, { trim: true, crash: true });
  const b = generateOps({ seed: 9, ops: 200 }, 100, { trim: true, crash: true });
  assert.deepEqual(a, b);
  assert.ok(a.every((op) => !("lba" in op) || (op.lba >= 0 && op.lba + op.count <= 100)));
  const kinds = new Set(a.map((o) => o.kind));
  for (const k of ["write", "writev", "read", "readv", "trim", "sync", "reopen", "crash", "flush"]) assert.ok(kinds.has(k as never), k);
  assert.ok(generateOps({ seed: 9, ops: 200 }, 100, { trim: false, crash: false }).every((o) => o.kind !== "trim" && o.kind !== "crash"));
});

/** A MemDisk that silently loses every 37th single-block write: the harness must notice. */
class LossyDisk extends MemDisk {
  private n = 0;
  override async write(lba: Lba, buf: Uint8Array): Promise<void> {
    if (++this.n % 37 === 0 && buf.length === BLOCK_SIZE) return;
    return super.write(lba, buf);
  }
}

test("the workload harness catches a device that loses writes", async () => {
  let disk: LossyDisk | undefined;
  const f: DiskFactory = {
    name: "lossy",
    nblocks: 64,
    create: async () => (disk = new LossyDisk(64)),
    reopen: async () => disk!.reopen(),
  };
  await assert.rejects(runWorkload(f, { seed: 1, ops: 2000, maxRun: 1, weights: { reopen: 0 } }), /returned wrong data|differs from the reference/);
});

test("the crash check catches a device that keeps unsynced data after a power cut", async () => {
  // RawDisk over a file whose "durable image" wrongly includes everything: crash → not the last sync.
  class LeakyFile extends MemHostFile {
    override durableImage(): Uint8Array {
      return this.image();
    }
  }
  let files: LeakyFile[] = [];
  const f: DiskFactory = {
    name: "leaky",
    nblocks: 32,
    create: async () => RawDisk.create((files = [new LeakyFile()])[0]!, 32),
    reopen: async () => RawDisk.open(files[0]!),
    crash: async () => RawDisk.open(new MemHostFile(files[0]!.durableImage())),
  };
  await assert.rejects(runWorkload(f, { seed: 2, ops: 400, weights: { crash: 10 } }), /after crash/);
});

test("attack helpers: capture after writes, flip bytes, and expectDetected's verdicts", async () => {
  const inner = new MemHostFile();
  const cap = captureTransients(inner);
  const host: HostFile = cap.file;
  await host.write(0, new Uint8Array([1, 2, 3]));
  await host.sync();
  await host.write(1, new Uint8Array([9]));
  assert.equal(cap.images.length, 2);
  assert.deepEqual(cap.images[1], new Uint8Array([1, 9, 3]));
  assert.deepEqual(cap.syncedImages, [new Uint8Array([1, 2, 3])]);
  flipByte(inner, 0, 0xff);
  assert.equal(inner.image()[0], 0xfe);
  await expectDetected(Promise.reject(new BlockError("MacMismatched", "x")));
  await assert.rejects(expectDetected(Promise.resolve()), /succeeded/);
  await assert.rejects(expectDetected(Promise.reject(new BlockError("IoError", "x"))), /expected a BlockError/);
});

test("memHostFactory crash drops unsynced host writes", async () => {
  const f = memHostFactory({ name: "raw", nblocks: 8, files: 1, create: ([h]) => RawDisk.create(h!, 8), open: ([h]) => RawDisk.open(h!) });
  const d = await f.create();
  await d.write(1, new Uint8Array(BLOCK_SIZE).fill(1));
  await d.sync();
  await d.write(1, new Uint8Array(BLOCK_SIZE).fill(2));
  const after = await f.crash!(d);
  const b = new Uint8Array(BLOCK_SIZE);
  await after.read(1, b);
  assert.ok(b.every((x) => x === 1));
});
