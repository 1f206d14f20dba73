import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { HostIoQueue, openHostFile } from "./host-io.ts";
import { CrashableFile, CrashPlan, MemHostFile } from "./host-file.ts";
import { BlockError } from "./block-device.ts";

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), "hostio-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}

test("adjacent writes submitted together are coalesced into fewer syscalls", () =>
  withDir(async (dir) => {
    const q = new HostIoQueue({ queueDepth: 1 });
    const f = await openHostFile(path.join(dir, "a.img"), { create: true, queue: q });
    const writes = [];
    for (let i = 0; i < 16; i++) writes.push(f.write(i * 4096, pattern(4096, i)));
    await Promise.all(writes);
    await f.sync();
    // One batch: the 16 adjacent writes merge into one writev.
    assert.equal(q.stats.coalesced, 15);
    assert.equal(q.stats.syscalls, 1 + 1); // merged writev, fdatasync
    await f.close();
    const disk = await readFile(path.join(dir, "a.img"));
    for (let i = 0; i < 16; i++) assert.deepEqual(new Uint8Array(disk.subarray(i * 4096, (i + 1) * 4096)), pattern(4096, i));
  }));

test("many ops in flight, read-after-write ordering on overlaps, zeros past EOF", () =>
  withDir(async (dir) => {
    const q = new HostIoQueue({ queueDepth: 8 });
    const f = await openHostFile(path.join(dir, "b.img"), { create: true, queue: q });
    const ops: Promise<void>[] = [];
    const reads: Array<{ off: number; buf: Uint8Array; want: Uint8Array }> = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 32; i += 2) {
        const data = pattern(4096, round * 100 + i);
        ops.push(f.write(i * 4096, data));
        const buf = new Uint8Array(4096);
        ops.push(f.read(i * 4096, buf));
        reads.push({ off: i, buf, want: data });
      }
    }
    await Promise.all(ops);
    assert.ok(q.stats.maxInFlight > 1, "ops overlapped");
    for (const r of reads) assert.deepEqual(r.buf, r.want, `read at block ${r.off}`);
    const tail = new Uint8Array(8192).fill(9);
    await f.read(1 << 20, tail);
    assert.ok(tail.every((b) => b === 0));
    assert.equal(await f.size(), 31 * 4096);
    await f.close();
  }));

test("sync is a barrier: it waits for earlier writes and later ops wait for it", () =>
  withDir(async (dir) => {
    const q = new HostIoQueue({ queueDepth: 4 });
    const f = await openHostFile(path.join(dir, "c.img"), { create: true, queue: q });
    const order: string[] = [];
    const p1 = f.write(0, pattern(65536, 1)).then(() => order.push("w1"));
    const ps = f.sync().then(() => order.push("sync"));
    const p2 = f.write(1 << 20, pattern(4096, 2)).then(() => order.push("w2"));
    await Promise.all([p1, ps, p2]);
    assert.deepEqual(order, ["w1", "sync", "w2"]);
    assert.equal(f.stats.syncs, 1);
    await f.close();
    await assert.rejects(f.write(0, new Uint8Array(1)), (e: unknown) => e instanceof BlockError && e.kind === "Closed");
  }));

test("open of a missing file without create is an IoError", () =>
  withDir(async (dir) => {
    await assert.rejects(openHostFile(path.join(dir, "missing")), (e: unknown) => e instanceof BlockError && e.kind === "IoError");
  }));

test("MemHostFile models durability: crash images keep synced writes and chosen unsynced ones", async () => {
  const f = new MemHostFile();
  await f.write(0, pattern(1024, 1));
  await f.sync();
  await f.write(0, pattern(1024, 2));
  await f.write(2048, pattern(1024, 3));
  assert.deepEqual(f.durableImage(), pattern(1024, 1));
  assert.deepEqual(f.crashImage({ keep: "none" }), pattern(1024, 1));
  assert.equal(f.crashImage({ keep: "all" }).length, 3072);
  const onlySecond = f.crashImage({ keep: (i) => i === 1 });
  assert.deepEqual(onlySecond.subarray(0, 1024), pattern(1024, 1));
  assert.deepEqual(onlySecond.subarray(2048), pattern(1024, 3));
  const torn = f.crashImage({ tear: { index: 0, tearBytes: 700 } });
  assert.deepEqual(torn.subarray(0, 512), pattern(1024, 2).subarray(0, 512));
  assert.deepEqual(torn.subarray(512, 1024), pattern(1024, 1).subarray(512));
});

test("CrashableFile cuts the write stream at write K, tearing at a sector, across files", async () => {
  const a = new MemHostFile();
  const b = new MemHostFile();
  const plan = new CrashPlan({ crashAtWrite: 3, tearBytes: 1000 });
  const ca = new CrashableFile(a, plan);
  const cb = new CrashableFile(b, plan);
  await ca.write(0, pattern(2048, 1));
  await cb.write(0, pattern(2048, 2));
  await assert.rejects(ca.write(0, pattern(2048, 3)), /simulated crash/);
  assert.ok(plan.crashed);
  await assert.rejects(cb.sync(), /simulated crash/);
  await assert.rejects(cb.write(0, pattern(10, 4)), /simulated crash/);
  const img = a.image();
  assert.deepEqual(img.subarray(0, 512), pattern(2048, 3).subarray(0, 512)); // torn: 1 sector
  assert.deepEqual(img.subarray(512), pattern(2048, 1).subarray(512));
  assert.deepEqual(b.image(), pattern(2048, 2));
  assert.equal(plan.writes, 3);
});

test("one queue serves many files within its depth; overlapping writes land in submission order", () =>
  withDir(async (dir) => {
    const q = new HostIoQueue({ queueDepth: 3 });
    const files = await Promise.all([0, 1, 2, 3].map((i) => openHostFile(path.join(dir, `m${i}.img`), { create: true, queue: q })));
    const ops: Promise<void>[] = [];
    for (let round = 0; round < 8; round++) {
      files.forEach((f, i) => {
        // Same range every round, non-adjacent to defeat coalescing: the last round must win.
        ops.push(f.write(0, pattern(4096, round * 10 + i)));
        ops.push(f.write(8192 * (round + 1), pattern(4096, i)));
      });
    }
    await Promise.all(ops);
    assert.ok(q.stats.maxInFlight <= 3 && q.stats.maxInFlight >= 2, `max in flight ${q.stats.maxInFlight}`);
    for (const [i, f] of files.entries()) {
      const b = new Uint8Array(4096);
      await f.read(0, b);
      assert.deepEqual(b, pattern(4096, 70 + i));
      await f.close();
    }
  }));

test("truncate and size are ordered with the writes around them", () =>
  withDir(async (dir) => {
    const f = await openHostFile(path.join(dir, "t.img"), { create: true });
    const ops = [f.write(0, pattern(8192, 1)), f.truncate(4096), f.write(4096, pattern(100, 2))];
    const size = f.size();
    await Promise.all(ops);
    assert.equal(await size, 4196);
    const b = new Uint8Array(4196);
    await f.read(0, b);
    assert.deepEqual(b.subarray(0, 4096), pattern(8192, 1).subarray(0, 4096));
    assert.deepEqual(b.subarray(4096), pattern(100, 2));
    await f.close();
  }));

test("writeback is a hint beside the queue: no barrier, writes around it land, close waits for it", () =>
  withDir(async (dir) => {
    const q = new HostIoQueue({ queueDepth: 4 });
    const f = await openHostFile(path.join(dir, "wb.img"), { create: true, queue: q });
    const writes = [];
    for (let i = 0; i < 8; i++) {
      writes.push(f.write(i * 4096, pattern(4096, i)));
      if (i % 3 === 0) void f.writeback();
    }
    const wb = f.writeback();
    await Promise.all([...writes, wb]);
    assert.equal(f.stats.syncs, 0, "not a sync: the caller may not rely on durability");
    void f.writeback(); // still running when close() is called: close waits for it
    await f.close();
    await f.writeback(); // after close: nothing to do, never an error
    const disk = await readFile(path.join(dir, "wb.img"));
    for (let i = 0; i < 8; i++) assert.deepEqual(new Uint8Array(disk.subarray(i * 4096, (i + 1) * 4096)), pattern(4096, i));
  }));
