/**
 * The fio-like workload engine shared by `occlum-disk bench` and bench/disk/run.ts.
 *
 * A phase issues fixed-size I/Os (sequential, or uniformly random and aligned to the I/O size)
 * with `qd` concurrent workers until `limitBytes` or `seconds` run out. Write phases sync every
 * `syncEvery` bytes and once at the end. MiB = 2^20 bytes.
 */

import { BLOCK_SIZE, type BlockDevice } from "../block-device.ts";
import { Rng } from "../testing/rng.ts";

export interface PhaseSpec {
  name: string;
  kind: "write" | "read";
  ioSize: number;
  sequential: boolean;
}

export const STANDARD_PHASES: readonly PhaseSpec[] = [
  { name: "seq-write 256K", kind: "write", ioSize: 256 << 10, sequential: true },
  { name: "seq-read 256K", kind: "read", ioSize: 256 << 10, sequential: true },
  { name: "rand-write 4K", kind: "write", ioSize: 4 << 10, sequential: false },
  { name: "rand-write 32K", kind: "write", ioSize: 32 << 10, sequential: false },
  { name: "rand-read 4K", kind: "read", ioSize: 4 << 10, sequential: false },
  { name: "rand-read 32K", kind: "read", ioSize: 32 << 10, sequential: false },
];

export interface PhaseOptions {
  /** Stop after this many bytes (sequential phases cover min(limit, device size)). */
  limitBytes: number;
  /** Random phases stop after this many seconds. */
  seconds: number;
  syncEvery: number;
  qd: number;
  /** Host bytes written so far by the device (for write amplification), if known. */
  hostBytesWritten?: () => number;
}

export interface PhaseResult {
  device: string;
  phase: string;
  bytes: number;
  seconds: number;
  mibPerSec: number;
  iops: number;
  syncs: number;
  /** Write phases only, when host bytes are known. */
  writeAmplification?: number;
  /** Set when the device failed during the phase (the numbers are then meaningless). */
  error?: string;
}

async function drive(qd: number, next: () => (() => Promise<void>) | undefined): Promise<void> {
  const worker = async (): Promise<void> => {
    for (let op = next(); op; op = next()) await op();
  };
  await Promise.all(Array.from({ length: qd }, worker));
}

export async function runPhase(device: string, dev: BlockDevice, spec: PhaseSpec, o: PhaseOptions, rng: Rng): Promise<PhaseResult> {
  const per = spec.ioSize / BLOCK_SIZE;
  const slots = Math.floor(dev.nblocks / per);
  const buf = rng.bytes(spec.ioSize);
  const limit = spec.sequential ? Math.min(o.limitBytes, slots * spec.ioSize) : o.limitBytes;
  const deadline = spec.sequential ? Infinity : performance.now() + o.seconds * 1000;
  const hostBefore = o.hostBytesWritten?.() ?? 0;
  let issued = 0;
  let cursor = 0;
  let sinceSync = 0;
  let syncs = 0;
  let syncing: Promise<void> = Promise.resolve();
  const t0 = performance.now();
  await drive(o.qd, () => {
    if (issued >= limit || performance.now() > deadline) return undefined;
    const lba = spec.sequential ? cursor : rng.int(slots) * per;
    cursor += per;
    issued += spec.ioSize;
    return async () => {
      await syncing;
      if (spec.kind === "read") {
        await dev.read(lba, new Uint8Array(spec.ioSize));
        return;
      }
      await dev.write(lba, buf);
      sinceSync += spec.ioSize;
      if (sinceSync >= o.syncEvery) {
        sinceSync = 0;
        syncs++;
        syncing = dev.sync();
        await syncing;
      }
    };
  });
  if (spec.kind === "write") {
    await dev.sync();
    syncs++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const res: PhaseResult = {
    device,
    phase: spec.name,
    bytes: issued,
    seconds,
    mibPerSec: issued / (1 << 20) / seconds,
    iops: issued / spec.ioSize / seconds,
    syncs,
  };
  if (spec.kind === "write" && o.hostBytesWritten) res.writeAmplification = (o.hostBytesWritten() - hostBefore) / issued;
  return res;
}

/** Markdown table; ratios are against the "raw" device's same phase when present. */
export function markdownTable(results: readonly PhaseResult[]): string {
  const lines = ["| device | phase | MiB/s | IOPS | write amp. | vs raw |", "|---|---|---:|---:|---:|---:|"];
  for (const r of results) {
    const raw = results.find((x) => x.device === "raw" && x.phase === r.phase);
    const ratio = raw ? `${(r.mibPerSec / raw.mibPerSec).toFixed(2)}x` : "";
    const waf = r.writeAmplification === undefined ? "" : r.writeAmplification.toFixed(2);
    if (r.error) {
      lines.push(`| ${r.device} | ${r.phase} | failed: ${r.error.replace(/\|/g, "/")} | | | |`);
      continue;
    }
    lines.push(`| ${r.device} | ${r.phase} | ${r.mibPerSec.toFixed(1)} | ${Math.round(r.iops)} | ${waf} | ${ratio} |`);
  }
  return lines.join("\n");
}
