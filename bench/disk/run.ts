/**
 * fio-like disk benchmark: RawDisk vs PfsDisk (vs SwornDisk when present).
 *
 *   node bench/disk/run.ts [--size=1G] [--sync-every=16M] [--time=10] [--qd=1]
 *                          [--devices=raw,pfs,sworn] [--pfs-cache=48,...] [--dir=/tmp]
 *                          [--transient-ops=80]   (0 skips the transient-snapshot replay count)
 *                          [--warm-host-cache=true]  (false: time writes into never-cached pages)
 *                          [--publish]   (also write the chart to docs/bench/disk.svg)
 *   env: DISK_BENCH_SIZE, DISK_BENCH_TIME, DISK_BENCH_SYNC_EVERY, ... (same meaning; flags win)
 *
 * Per device, on one freshly created image of `size` bytes:
 *   seq-write 256K (lays out the whole device) → seq-read 256K → rand-write 4K → rand-write 32K
 *   → rand-read 4K → rand-read 32K.
 * Random phases stop after `size` bytes or `time` seconds, whichever comes first. Every write
 * phase syncs every `sync-every` bytes and at its end (the durability contract is the same for
 * all devices). MiB = 2^20 bytes. The host page cache is warm (no O_DIRECT, no cache drop).
 * Write amplification = host bytes written (all host files of the device) / bytes written by
 * the workload. Results: bench/results/disk.json, a chart bench/results/disk.svg (with
 * --publish also docs/bench/disk.svg), and a markdown table on stdout.
 */

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BLOCK_SIZE } from "../../src/block/block-device.ts";
import { HostIoQueue } from "../../src/block/host-io.ts";
import { Rng } from "../../src/block/testing/rng.ts";
import { markdownTable, runPhase, STANDARD_PHASES, type PhaseResult } from "../../src/block/tool/fio.ts";
import { pfsSpec, rawSpec, swornSpec, warmHostCache, type DeviceSpec } from "./devices.ts";
import { svgChart } from "./plot.ts";
import { runTransientBench, transientTable } from "./transient.ts";

interface Options {
  size: number;
  syncEvery: number;
  time: number;
  qd: number;
  devices: string[];
  pfsCaches: number[];
  dir: string;
  /** Also run the transient-snapshot replay count (security metric); 0 ops = skip. */
  transientOps: number;
  /** Also write the chart to docs/bench/disk.svg (the copy the README shows). */
  publish: boolean;
  /** Read each device's host files once before its phases (devices.ts warmHostCache). */
  warmHostCache: boolean;
}

export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)i?[bB]?$/.exec(s.trim());
  if (!m) throw new Error(`bad size "${s}"`);
  const mult = { "": 1, k: 1 << 10, m: 1 << 20, g: 1 << 30 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Math.round(Number(m[1]) * mult);
}

function parseArgs(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}`);
    flags.set(m[1]!, m[2] ?? "true");
  }
  const get = (flag: string, env: string, dflt: string): string => flags.get(flag) ?? process.env[env] ?? dflt;
  const size = parseSize(get("size", "DISK_BENCH_SIZE", "1G"));
  return {
    size: Math.max(1 << 20, Math.floor(size / (1 << 20)) * (1 << 20)),
    syncEvery: parseSize(get("sync-every", "DISK_BENCH_SYNC_EVERY", "16M")),
    time: Number(get("time", "DISK_BENCH_TIME", "10")),
    qd: Math.max(1, Number(get("qd", "DISK_BENCH_QD", "1"))),
    devices: get("devices", "DISK_BENCH_DEVICES", "raw,pfs,sworn").split(","),
    pfsCaches: get("pfs-cache", "DISK_BENCH_PFS_CACHE", "48").split(",").map(Number),
    dir: get("dir", "DISK_BENCH_DIR", tmpdir()),
    transientOps: Number(get("transient-ops", "DISK_BENCH_TRANSIENT_OPS", "80")),
    publish: flags.has("publish") && flags.get("publish") !== "false",
    warmHostCache: get("warm-host-cache", "DISK_BENCH_WARM_HOST_CACHE", "true") !== "false",
  };
}

export async function runDiskBench(o: Options): Promise<PhaseResult[]> {
  const specs: DeviceSpec[] = [];
  for (const name of o.devices) {
    if (name === "raw") specs.push(rawSpec);
    else if (name === "pfs") for (const c of o.pfsCaches) specs.push(pfsSpec(c));
    else if (name === "sworn") {
      const s = await swornSpec();
      if (s) specs.push(s);
      else process.stderr.write("sworn: src/block/sworndisk/index.ts exports no SwornDisk.create/open yet, skipped\n");
    } else throw new Error(`unknown device ${name}`);
  }
  const key = new Uint8Array(32).fill(0x42);
  const nblocks = o.size / BLOCK_SIZE;
  const results: PhaseResult[] = [];
  for (const spec of specs) {
    const dir = await mkdtemp(path.join(o.dir, "occlum-disk-bench-"));
    try {
      const queue = new HostIoQueue({ queueDepth: 32 });
      const d = await spec.open(dir, nblocks, key, queue);
      if (o.warmHostCache) await warmHostCache(d.files);
      const rng = new Rng(1234);
      const po = { limitBytes: o.size, seconds: o.time, syncEvery: o.syncEvery, qd: o.qd, hostBytesWritten: d.hostBytesWritten };
      let failed = false;
      for (const ph of STANDARD_PHASES) {
        try {
          const r = await runPhase(d.name, d.dev, ph, po, rng);
          results.push(r);
          process.stderr.write(`${d.name.padEnd(10)} ${ph.name.padEnd(15)} ${r.mibPerSec.toFixed(1).padStart(8)} MiB/s\n`);
        } catch (e) {
          // One device failing must not hide the others' numbers.
          const error = e instanceof Error ? e.message : String(e);
          results.push({ device: d.name, phase: ph.name, bytes: 0, seconds: 0, mibPerSec: 0, iops: 0, syncs: 0, error });
          process.stderr.write(`${d.name.padEnd(10)} ${ph.name.padEnd(15)} FAILED: ${error}\n`);
          failed = true;
          break;
        }
      }
      if (!failed) await d.dev.close();
      // A failed device may be unusable: close its host files directly.
      else await Promise.allSettled(d.files.map((f) => f.close()));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return results;
}

function header(o: Options): string {
  const cache = o.warmHostCache ? "warm host page cache (host files read once before the phases)" : "host files not pre-read";
  return `Disk benchmark: size ${o.size / (1 << 20)} MiB, sync every ${o.syncEvery / (1 << 20)} MiB, random phases ≤ ${o.time} s, QD ${o.qd}, ${cache} (MiB = 2^20 B).`;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const results = await runDiskBench(o);
  const transient = o.transientOps > 0 ? await runTransientBench(o.transientOps) : [];
  const outDir = fileURLToPath(new URL("../results/", import.meta.url));
  await mkdir(outDir, { recursive: true });
  const out = path.join(outDir, "disk.json");
  await writeFile(out, JSON.stringify({ date: new Date().toISOString(), options: o, node: process.version, results, transient }, null, 2) + "\n");
  const svg = path.join(outDir, "disk.svg");
  const chart = svgChart(results, header(o));
  await writeFile(svg, chart);
  if (o.publish) {
    // The committed copy the README shows.
    const docs = fileURLToPath(new URL("../../docs/bench/", import.meta.url));
    await mkdir(docs, { recursive: true });
    await writeFile(path.join(docs, "disk.svg"), chart);
  }
  const security = transient.length
    ? `\n\nTransient-snapshot replay (CVE-2022-27499), seeded workload of ${o.transientOps} ops, image captured after every host write:\n\n${transientTable(transient)}`
    : "";
  process.stdout.write(header(o) + "\n\n" + markdownTable(results) + security + "\n\n" + `results: ${out}, chart: ${svg}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await main();
}
