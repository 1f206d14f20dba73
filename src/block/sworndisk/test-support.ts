/**
 * Test support for SwornDisk suites (not part of the library surface): small-disk options that
 * force MemTable flushes, compactions, GC and journal checkpoints within a few hundred ops, and
 * adapters to the shared src/block/testing kits.
 */

import { BLOCK_SIZE } from "../block-device.ts";
import { MemHostFile, type HostFile } from "../host-file.ts";
import type { CrashTarget } from "../testing/crash-suite.ts";
import { memHostFactory } from "../testing/workload.ts";
import { MemCounterStore, type TrustedCounterStore } from "./counter.ts";
import { SwornDisk, type SwornDiskCreateOptions } from "./disk.ts";
import { regions } from "./layout.ts";
import { SegKind } from "./space.ts";
import { walHba } from "./wal.ts";

export const TEST_KEY = new Uint8Array(32).map((_, i) => i * 7 + 1);

/** A tiny disk whose internals all run often. */
export function smallOptions(over: Partial<SwornDiskCreateOptions> = {}): SwornDiskCreateOptions {
  return {
    rootKey: TEST_KEY,
    nblocks: 256,
    segmentBlocks: 8,
    overprovision: 2,
    memtableRecords: 48,
    l0Max: 2,
    l1Records: 160,
    sstRecords: 96,
    journalBlocks: 6,
    checkpointBlocks: 3,
    cacheBlocks: 8,
    ...over,
  };
}

export function swornFactory(opts: SwornDiskCreateOptions = smallOptions()) {
  return memHostFactory({
    name: "sworndisk",
    nblocks: opts.nblocks,
    files: 1,
    create: (f) => SwornDisk.create(f[0]!, opts),
    open: (f) => SwornDisk.open(f[0]!, opts),
  });
}

export function swornTarget(opts: SwornDiskCreateOptions = smallOptions(), counter?: () => TrustedCounterStore): CrashTarget {
  return {
    name: "sworndisk",
    nblocks: opts.nblocks,
    files: 1,
    create: (f: HostFile[]) => SwornDisk.create(f[0]!, { ...opts, counterStore: counter?.() }),
    open: (f: HostFile[]) => SwornDisk.open(f[0]!, { ...opts, counterStore: counter?.() }),
  };
}

export type Region = "superblock" | "checkpoint" | "journal" | "wal" | "sst" | "data" | "unreferenced";

/**
 * Classify every host block of an open disk's *committed* state (call right after sync).
 * Blocks not in the map hold nothing the state needs (free, stale, unused ring slots).
 */
export function classifyBlocks(disk: SwornDisk): Map<number, Region> {
  const m = new Map<number, Region>();
  m.set(0, "superblock");
  m.set(1, "superblock");
  const r = regions(disk.sb);
  const info = disk.journal.info();
  // The active checkpoint slot (the newer version) and the chain from its start.
  const slot = info.checkpointVersion % 2 === 0 ? r.ckptA : r.ckptB;
  m.set(slot, "checkpoint");
  for (let s = info.checkpointStart; s < info.seq; s++) m.set(r.journal + (s % disk.sb.journalBlocks), "journal");
  const wal = disk.journal.state.wal;
  for (let i = 0; i < wal.nblocks; i++) m.set(walHba(disk.space, wal, i), "wal");
  for (const h of disk.lsm.sstBlocks()) m.set(h, "sst");
  for (let s = 0; s < disk.space.nsegs; s++) {
    if (disk.space.kind[s] !== SegKind.Data) continue;
    for (let i = 0; i < disk.space.S; i++) {
      if (disk.space.rev[s * disk.space.S + i]! >= 0) m.set(disk.space.segStart(s) + i, "data");
    }
  }
  return m;
}

export function blockOf(img: Uint8Array, hba: number): Uint8Array {
  return img.subarray(hba * BLOCK_SIZE, (hba + 1) * BLOCK_SIZE);
}

export { MemCounterStore, MemHostFile };
