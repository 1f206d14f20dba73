// Contract checks every BlockDevice implementation of this folder must pass (argument errors,
// zero reads, vectored I/O, use after close). Model-based workloads are in testing/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BLOCK_SIZE, BlockError, type BlockDevice, type BlockErrorKind } from "./block-device.ts";
import { MemHostFile } from "./host-file.ts";
import { MemDisk } from "./mem-disk.ts";
import { RawDisk } from "./raw-disk.ts";
import { PfsDisk } from "./pfs/pfs-disk.ts";

const makers: Array<[string, () => Promise<BlockDevice>]> = [
  ["MemDisk", async () => new MemDisk(64)],
  ["RawDisk", () => RawDisk.create(new MemHostFile(), 64)],
  ["PfsDisk", () => PfsDisk.create(new MemHostFile(), new MemHostFile(), 64, { key: new Uint8Array(16) })],
];

const isKind = (kind: BlockErrorKind) => (e: unknown) => e instanceof BlockError && e.kind === kind;

for (const [name, make] of makers) {
  test(`${name}: block device contract`, async () => {
    const dev = await make();
    assert.equal(dev.nblocks, 64);
    const z = new Uint8Array(2 * BLOCK_SIZE).fill(0xaa);
    await dev.read(62, z);
    assert.ok(z.every((b) => b === 0), "never-written blocks read as zeros");
    await assert.rejects(dev.read(63, new Uint8Array(2 * BLOCK_SIZE)), isKind("OutOfRange"));
    await assert.rejects(dev.write(-1, new Uint8Array(BLOCK_SIZE)), isKind("OutOfRange"));
    await assert.rejects(dev.write(0, new Uint8Array(100)), isKind("InvalidArgument"));
    await assert.rejects(dev.write(0, new Uint8Array(0)), isKind("InvalidArgument"));
    await assert.rejects(dev.trim(60, 5), isKind("OutOfRange"));
    await assert.rejects(dev.trim(1, 0), isKind("InvalidArgument"));
    const a = new Uint8Array(BLOCK_SIZE).fill(1);
    const b = new Uint8Array(3 * BLOCK_SIZE).fill(2);
    await dev.writev([
      { lba: 10, buf: a },
      { lba: 20, buf: b },
    ]);
    // A bad entry fails the whole vectored call before anything is written.
    await assert.rejects(dev.writev([{ lba: 0, buf: a }, { lba: 64, buf: a }]), isKind("OutOfRange"));
    const ra = new Uint8Array(BLOCK_SIZE);
    const rb = new Uint8Array(3 * BLOCK_SIZE);
    await dev.readv([
      { lba: 10, buf: ra },
      { lba: 20, buf: rb },
    ]);
    assert.deepEqual(ra, a);
    assert.deepEqual(rb, b);
    const r0 = new Uint8Array(BLOCK_SIZE).fill(9);
    await dev.read(0, r0);
    assert.ok(r0.every((x) => x === 0));
    await dev.trim(21, 1);
    await dev.read(20, rb);
    assert.deepEqual(rb.subarray(0, BLOCK_SIZE), b.subarray(0, BLOCK_SIZE));
    assert.ok(rb.subarray(BLOCK_SIZE, 2 * BLOCK_SIZE).every((x) => x === 0), "trimmed block reads zeros");
    await dev.flush();
    await dev.sync();
    await dev.close();
    await assert.rejects(dev.read(0, new Uint8Array(BLOCK_SIZE)), isKind("Closed"));
    await assert.rejects(dev.sync(), isKind("Closed"));
  });
}
