/**
 * Security metric next to the performance numbers (secure-disk.md §5.6 (e)): how many distinct
 * never-synced states an adversary can make each disk accept by snapshotting the host image
 * after any host write between syncs and replaying it (CVE-2022-27499). Runs the shared crash
 * suite with the adversarial cut at every host write of a seeded workload.
 *
 *   node bench/disk/transient.ts [--ops=80]
 */

import path from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import type { BlockDevice } from "../../src/block/block-device.ts";
import type { HostFile } from "../../src/block/host-file.ts";
import { PfsDisk } from "../../src/block/pfs/pfs-disk.ts";
import { runCrashSuite, type CrashTarget } from "../../src/block/testing/crash-suite.ts";

export interface TransientResult {
  device: string;
  cutPoints: number;
  /** Replayed images that opened and exposed a state that was never synced. */
  acceptedNeverSynced: number;
  /** Replayed images refused at open or failing on read (detected). */
  detected: number;
  /** Replayed images equal to the last sync or the sync in flight. */
  syncStates: number;
}

const KEY = new Uint8Array(32).fill(0x5a);

async function swornTarget(nblocks: number): Promise<CrashTarget | undefined> {
  const p = fileURLToPath(new URL("../../src/block/sworndisk/index.ts", import.meta.url));
  if (!existsSync(p)) return undefined;
  const mod = (await import(p)) as { SwornDisk?: { create?: unknown; open?: unknown } };
  const S = mod.SwornDisk;
  if (!S || typeof S.create !== "function" || typeof S.open !== "function") return undefined;
  type Ctor = (f: HostFile, o: Record<string, unknown>) => Promise<BlockDevice>;
  const create = (S.create as Ctor).bind(S);
  const open = (S.open as Ctor).bind(S);
  // Small internals so that memtable flushes and compactions happen within the workload.
  const opts = { rootKey: KEY, nblocks, segmentBlocks: 8, memtableRecords: 48, l0Max: 2, cacheBlocks: 8 };
  return { name: "sworn", nblocks, files: 1, create: (f) => create(f[0]!, opts), open: (f) => open(f[0]!, opts) };
}

function pfsTarget(nblocks: number, cacheNodes: number): CrashTarget {
  return {
    name: cacheNodes === 48 ? "pfs" : `pfs-cache${cacheNodes}`,
    nblocks,
    files: 2,
    create: ([f, r]) => PfsDisk.create(f!, r!, nblocks, { key: KEY, cacheNodes }),
    open: ([f, r]) => PfsDisk.open(f!, r!, { key: KEY, cacheNodes }),
  };
}

export async function runTransientBench(ops: number): Promise<TransientResult[]> {
  const nblocks = 256;
  const targets = [pfsTarget(nblocks * 8, 48), pfsTarget(nblocks * 8, 8)];
  const sworn = await swornTarget(nblocks);
  if (sworn) targets.push(sworn);
  const out: TransientResult[] = [];
  for (const t of targets) {
    const r = await runCrashSuite(t, { seed: 77, ops, maxRun: 4, span: nblocks, maxFailures: 100000, weights: { read: 5, readv: 0 } });
    const never = r.failures.filter((f) => f.reason.startsWith("state is neither")).length;
    out.push({
      device: t.name,
      cutPoints: r.pointsTested,
      acceptedNeverSynced: never,
      detected: r.failures.length - never,
      syncStates: r.matchedLastSync + r.matchedInflightSync,
    });
  }
  return out;
}

export function transientTable(rows: readonly TransientResult[]): string {
  const lines = [
    "| device | host-write cut points | replay accepted, never-synced state | replay detected | replay = a synced state |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const r of rows) lines.push(`| ${r.device} | ${r.cutPoints} | ${r.acceptedNeverSynced} | ${r.detected} | ${r.syncStates} |`);
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const m = /^--ops=(\d+)$/.exec(process.argv[2] ?? "");
  const rows = await runTransientBench(m ? Number(m[1]) : 80);
  process.stdout.write(transientTable(rows) + "\n");
}
