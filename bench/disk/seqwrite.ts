/**
 * Focused micro-benchmark of the sequential write path: only the "seq-write 256K" phase of the
 * disk bench (same engine, same host I/O queue, same sync cadence), RawDisk and SwornDisk
 * interleaved `--rounds` times on fresh images, so that a noisy shared machine affects both.
 * Meant for profiling (`node --cpu-prof bench/disk/seqwrite.ts --devices=sworn`).
 *
 *   node bench/disk/seqwrite.ts [--size=1G] [--sync-every=16M] [--rounds=2] [--devices=raw,sworn]
 *                               [--warm-host-cache=true]   (see devices.ts warmHostCache)
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BLOCK_SIZE } from "../../src/block/block-device.ts";
import { HostIoQueue } from "../../src/block/host-io.ts";
import { Rng } from "../../src/block/testing/rng.ts";
import { runPhase, STANDARD_PHASES } from "../../src/block/tool/fio.ts";
import { rawSpec, swornSpec, warmHostCache, type DeviceSpec } from "./devices.ts";
import { parseSize } from "./run.ts";

const flags = new Map<string, string>();
for (const a of process.argv.slice(2)) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
  if (!m) throw new Error(`unknown argument ${a}`);
  flags.set(m[1]!, m[2] ?? "true");
}
const size = parseSize(flags.get("size") ?? "1G");
const syncEvery = parseSize(flags.get("sync-every") ?? "16M");
const rounds = Number(flags.get("rounds") ?? "2");
const names = (flags.get("devices") ?? "raw,sworn").split(",");
const phase = STANDARD_PHASES[0]!;
const warm = (flags.get("warm-host-cache") ?? "true") !== "false";

const specs: DeviceSpec[] = [];
for (const n of names) {
  if (n === "raw") specs.push(rawSpec);
  else if (n === "sworn") specs.push((await swornSpec())!);
  else throw new Error(`unknown device ${n}`);
}

const key = new Uint8Array(32).fill(0x42);
const byDev = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  for (const spec of specs) {
    const dir = await mkdtemp(path.join(tmpdir(), "occlum-seqwrite-"));
    try {
      const d = await spec.open(dir, size / BLOCK_SIZE, key, new HostIoQueue({ queueDepth: 32 }));
      if (warm) await warmHostCache(d.files);
      const cpu0 = process.cpuUsage();
      const res = await runPhase(d.name, d.dev, phase, { limitBytes: size, seconds: 1e9, syncEvery, qd: 1, hostBytesWritten: d.hostBytesWritten }, new Rng(1234));
      const cpu = process.cpuUsage(cpu0);
      await d.dev.close();
      const cpuPerMiB = ((cpu.user + cpu.system) / (size / (1 << 20))).toFixed(0);
      process.stdout.write(`round ${r} ${d.name.padEnd(6)} ${res.mibPerSec.toFixed(1).padStart(7)} MiB/s  WA ${res.writeAmplification?.toFixed(3)}  cpu ${cpuPerMiB} µs/MiB\n`);
      byDev.set(d.name, [...(byDev.get(d.name) ?? []), res.mibPerSec]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
const raw = byDev.get("raw");
const sworn = byDev.get("sworn");
if (raw && sworn) {
  const ratios = sworn.map((s, i) => s / raw[i]!);
  // The median of the per-round ratios: on a shared machine single rounds swing 2-3x.
  const med = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
  process.stdout.write(`sworn/raw per round: ${ratios.map((r) => r.toFixed(2)).join(" ")}  median ${med.toFixed(2)}\n`);
}
