import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { MemDisk } from "../mem-disk.ts";
import { RawDisk } from "../raw-disk.ts";
import { PfsDisk } from "../pfs/pfs-disk.ts";
import { openHostFile } from "../host-io.ts";
import type { BlockDevice } from "../block-device.ts";
import { memHostFactory, runWorkload, type DiskFactory } from "./workload.ts";
import { runCrashSuite } from "./crash-suite.ts";

const KEY = new Uint8Array(16).fill(7);

function memDiskFactory(nblocks: number): DiskFactory {
  let disk: MemDisk | undefined;
  return {
    name: "mem",
    nblocks,
    create: async () => (disk = new MemDisk(nblocks)),
    reopen: async () => (disk = disk!.reopen()),
  };
}

export function pfsFactory(nblocks: number, cacheNodes: number) {
  return memHostFactory({
    name: `pfs(cache=${cacheNodes})`,
    nblocks,
    files: 2,
    create: ([f, r]) => PfsDisk.create(f!, r!, nblocks, { key: KEY, cacheNodes }),
    open: ([f, r]) => PfsDisk.open(f!, r!, { key: KEY, cacheNodes }),
  });
}

test("workload: MemDisk", async () => {
  for (const seed of [1, 2, 3]) {
    const r = await runWorkload(memDiskFactory(128), { seed, ops: 400 });
    assert.ok(r.counts.read > 0 && r.counts.write > 0);
    await r.dev.close();
  }
});

test("workload: RawDisk on MemHostFile, with power-cut crashes", async () => {
  const f = memHostFactory({
    name: "raw",
    nblocks: 128,
    files: 1,
    create: ([h]) => RawDisk.create(h!, 128),
    open: ([h]) => RawDisk.open(h!),
  });
  for (const seed of [4, 5]) {
    const r = await runWorkload(f, { seed, ops: 400 });
    assert.ok(r.counts.crash > 0, "crash ops ran");
    await r.dev.close();
  }
});

test("workload: RawDisk on a real host file through the I/O queue", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "rawdisk-"));
  try {
    const p = path.join(dir, "raw.img");
    const f: DiskFactory = {
      name: "raw-host",
      nblocks: 256,
      create: async () => RawDisk.create(await openHostFile(p, { create: true, truncate: true }), 256),
      reopen: async () => RawDisk.open(await openHostFile(p)),
    };
    const r = await runWorkload(f, { seed: 6, ops: 300, maxRun: 32 });
    await r.dev.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("workload: PfsDisk with a tiny cache (many internal flushes) and a default cache", async () => {
  // 2000 blocks: three MHT levels; 8-node cache forces evictions and internal flushes.
  for (const [seed, cache] of [
    [7, 8],
    [8, 48],
  ] as const) {
    const f = pfsFactory(2000, cache);
    const r = await runWorkload(f, { seed, ops: 300, maxRun: 12 });
    const pfs = r.dev as PfsDisk;
    if (cache === 8) assert.ok(pfs.stats.internalFlushes > 0, "evictions forced internal flushes");
    assert.ok(r.counts.crash > 0 && r.counts.reopen > 0);
    const checked = await pfs.check();
    assert.ok(checked.mhtNodesVerified >= 1);
    await r.dev.close();
  }
});

function pfsTarget(nblocks: number, cacheNodes: number) {
  return {
    name: `pfs(cache=${cacheNodes})`,
    nblocks,
    files: 2,
    create: ([f, rec]: import("../host-file.ts").HostFile[]) => PfsDisk.create(f!, rec!, nblocks, { key: KEY, cacheNodes }),
    open: ([f, rec]: import("../host-file.ts").HostFile[]) => PfsDisk.open(f!, rec!, { key: KEY, cacheNodes }),
  };
}

test("PfsDisk power cuts: the last sync exactly while the cache never overflows", async () => {
  // Durable-only crash model (the page cache is lost) at every cut point.
  const r = await runCrashSuite(pfsTarget(300, 4096), {
    seed: 11,
    ops: 60,
    maxRun: 4,
    points: 80,
    durableOnly: true,
    weights: { read: 5, readv: 0 },
  });
  assert.ok(r.pointsTested > 40, `tested ${r.pointsTested}`);
  assert.deepEqual(r.failures, []);
  assert.equal(r.matchedLastSync, r.pointsTested);
});

test("PfsDisk power cut inside a sync after cache overflows recovers to a never-synced state", async () => {
  // The fsync of the update flag (flush step 2) makes the last internal flush durable, and the
  // recovery file rolls back to it: a transient state, even without an adversary.
  const r = await runCrashSuite(pfsTarget(300, 6), {
    seed: 11,
    ops: 60,
    maxRun: 4,
    points: 80,
    durableOnly: true,
    weights: { read: 5, readv: 0 },
  });
  assert.ok(r.failures.length > 0, "PFS lacks sync atomicity");
  assert.ok(r.failures.every((f) => f.reason.startsWith("state is neither")), JSON.stringify(r.failures[0]));
});

test("RawDisk under adversarial write cuts shows states that were never synced (suite self-check)", async () => {
  const r = await runCrashSuite(
    { name: "raw", nblocks: 64, files: 1, create: ([h]) => RawDisk.create(h!, 64), open: ([h]) => RawDisk.open(h!) },
    { seed: 12, ops: 80, points: 40 },
  );
  assert.ok(r.failures.length > 0, "an unprotected in-place disk must fail the crash suite");
});

export type { BlockDevice };

test("heavy: 20 seeds x 1500 ops on PfsDisk with cache sizes 4..43 (OCCLUM_TEST_HEAVY=1)", { skip: process.env["OCCLUM_TEST_HEAVY"] !== "1" }, async () => {
  for (let seed = 100; seed < 120; seed++) {
    const r = await runWorkload(pfsFactory(3000, 4 + (seed % 40)), { seed, ops: 1500, maxRun: 24 });
    await r.dev.close();
  }
});

test("reordered crash images: PFS has no barrier between its node writes and the metadata", async () => {
  // Even with a cache that never overflows, a host that persists the unsynced writes of a flush
  // in another order breaks PFS (the metadata can land without the nodes it references).
  const r = await runCrashSuite(pfsTarget(300, 4096), {
    seed: 13,
    ops: 60,
    maxRun: 4,
    points: 80,
    reorder: true,
    maxFailures: 1000,
    weights: { read: 5, readv: 0 },
  });
  assert.ok(r.failures.length > 0, "reordering must be able to break a disk without barriers");
  assert.ok(r.matchedLastSync > 0);
});
