/**
 * Model-based random workloads against ANY BlockDevice, checked against the ReferenceModel.
 *
 *   const factory: DiskFactory = memHostFactory({ name: "pfs", nblocks: 256, files: 2,
 *     create: (files) => PfsDisk.create(...files...), open: (files) => PfsDisk.open(...) });
 *   const result = await runWorkload(factory, { seed: 1, ops: 500 });
 *
 * Checked on every step: reads return the last written data (zeros if never written or trimmed);
 * after an orderly reopen (sync + close + open) the whole device equals the model; after a crash
 * (power cut: host writes not covered by a completed host sync are lost) the whole device equals
 * the last completed sync exactly. A mismatch throws an Error naming the seed and op index.
 *
 * Ops are generated up front from the seed (`generateOps`), independent of the device, so the
 * same list can be replayed under crash injection (crash-suite.ts).
 */

import { BLOCK_SIZE, type BlockDevice } from "../block-device.ts";
import { MemHostFile, type HostFile } from "../host-file.ts";
import { assertDeviceEquals, firstMismatch, ReferenceModel } from "./model.ts";
import { Rng } from "./rng.ts";

export type WorkloadOp =
  | { kind: "write"; lba: number; count: number; seed: number }
  | { kind: "writev"; runs: Array<{ lba: number; count: number; seed: number }> }
  | { kind: "read"; lba: number; count: number }
  | { kind: "readv"; runs: Array<{ lba: number; count: number }> }
  | { kind: "trim"; lba: number; count: number }
  | { kind: "flush" }
  | { kind: "sync" }
  | { kind: "reopen" }
  | { kind: "crash" };

export type WorkloadOpKind = WorkloadOp["kind"];

export interface DiskFactory {
  readonly name: string;
  readonly nblocks: number;
  /** Format a fresh device. */
  create(): Promise<BlockDevice>;
  /** Orderly restart: called after `await dev.sync(); await dev.close()` on the previous one. */
  reopen(): Promise<BlockDevice>;
  /** Power cut: `dev` is abandoned (never closed again); open the device from what survived,
   * i.e. only host writes covered by a completed host sync. Absent: no crash ops. */
  crash?(dev: BlockDevice): Promise<BlockDevice>;
  /** False if the device has no trim (default true). */
  readonly trim?: boolean;
}

export interface WorkloadOptions {
  seed: number;
  ops: number;
  /** Largest run of blocks per write/read (default 8). */
  maxRun?: number;
  /** Only touch LBAs below this (locality; default all). */
  span?: number;
  /** Relative op weights; defaults below. Set a weight to 0 to disable an op. */
  weights?: Partial<Record<WorkloadOpKind, number>>;
}

export const DEFAULT_WEIGHTS: Readonly<Record<WorkloadOpKind, number>> = {
  write: 40,
  writev: 8,
  read: 25,
  readv: 5,
  trim: 4,
  flush: 3,
  sync: 8,
  reopen: 2,
  crash: 2,
};

export interface WorkloadResult {
  counts: Record<WorkloadOpKind, number>;
  /** The device left open at the end (the caller closes it). */
  dev: BlockDevice;
  model: ReferenceModel;
}

/** Deterministic op list for `nblocks`. */
export function generateOps(opts: WorkloadOptions, nblocks: number, allowed: { trim: boolean; crash: boolean }): WorkloadOp[] {
  const rng = new Rng(opts.seed);
  const w = { ...DEFAULT_WEIGHTS, ...opts.weights };
  if (!allowed.trim) w.trim = 0;
  if (!allowed.crash) w.crash = 0;
  const kinds = Object.keys(w) as WorkloadOpKind[];
  const total = kinds.reduce((s, k) => s + w[k], 0);
  const span = Math.min(opts.span ?? nblocks, nblocks);
  const maxRun = Math.max(1, Math.min(opts.maxRun ?? 8, span));
  const run = (): { lba: number; count: number } => {
    const count = rng.range(1, maxRun);
    return { lba: rng.int(span - count + 1), count };
  };
  const ops: WorkloadOp[] = [];
  for (let i = 0; i < opts.ops; i++) {
    let r = rng.float() * total;
    let kind = kinds[0]!;
    for (const k of kinds) {
      if (r < w[k]) {
        kind = k;
        break;
      }
      r -= w[k];
    }
    switch (kind) {
      case "write":
        ops.push({ kind, ...run(), seed: rng.u32() });
        break;
      case "writev":
        ops.push({ kind, runs: nonOverlapping(1 + rng.int(3), run).map((r) => ({ ...r, seed: rng.u32() })) });
        break;
      case "read":
      case "trim":
        ops.push({ kind, ...run() });
        break;
      case "readv":
        ops.push({ kind, runs: nonOverlapping(1 + rng.int(3), run) });
        break;
      default:
        ops.push({ kind });
    }
  }
  return ops;
}

function nonOverlapping(n: number, run: () => { lba: number; count: number }): Array<{ lba: number; count: number }> {
  const out: Array<{ lba: number; count: number }> = [];
  for (let tries = 0; out.length < n && tries < n * 4; tries++) {
    const r = run();
    if (out.every((o) => r.lba + r.count <= o.lba || o.lba + o.count <= r.lba)) out.push(r);
  }
  return out;
}

/** The data a write op carries: deterministic from its seed, distinct per block. */
export function opData(count: number, seed: number): Uint8Array {
  const buf = new Rng(seed).bytes(count * BLOCK_SIZE);
  return buf;
}

/** Progress of `applyOp` calls, for crash suites that must know what was synced. */
export interface ApplyHooks {
  /** Called just before a sync starts / after it resolved. */
  beforeSync?: () => void;
  afterSync?: () => void;
}

/**
 * Apply one op to `dev` and the model, checking reads. Returns the device to continue with
 * (reopen/crash replace it).
 */
export async function applyOp(
  factory: DiskFactory,
  dev: BlockDevice,
  model: ReferenceModel,
  op: WorkloadOp,
  where: string,
  hooks: ApplyHooks = {},
): Promise<BlockDevice> {
  switch (op.kind) {
    case "write": {
      const data = opData(op.count, op.seed);
      await dev.write(op.lba, data);
      model.write(op.lba, data);
      return dev;
    }
    case "writev": {
      const reqs = op.runs.map((r) => ({ lba: r.lba, buf: opData(r.count, r.seed) }));
      await dev.writev(reqs);
      for (const r of reqs) model.write(r.lba, r.buf);
      return dev;
    }
    case "read": {
      const buf = new Uint8Array(op.count * BLOCK_SIZE);
      await dev.read(op.lba, buf);
      const bad = firstMismatch(op.lba, buf, model.read(op.lba, op.count));
      if (bad >= 0) throw new Error(`${where}: read of LBA ${bad} returned wrong data`);
      return dev;
    }
    case "readv": {
      const reqs = op.runs.map((r) => ({ lba: r.lba, buf: new Uint8Array(r.count * BLOCK_SIZE) }));
      await dev.readv(reqs);
      for (const r of reqs) {
        const bad = firstMismatch(r.lba, r.buf, model.read(r.lba, r.buf.length / BLOCK_SIZE));
        if (bad >= 0) throw new Error(`${where}: readv of LBA ${bad} returned wrong data`);
      }
      return dev;
    }
    case "trim":
      await dev.trim(op.lba, op.count);
      model.trim(op.lba, op.count);
      return dev;
    case "flush":
      await dev.flush();
      return dev;
    case "sync":
      hooks.beforeSync?.();
      await dev.sync();
      model.sync();
      hooks.afterSync?.();
      return dev;
    case "reopen": {
      hooks.beforeSync?.();
      await dev.sync();
      model.sync();
      hooks.afterSync?.();
      await dev.close();
      const next = await factory.reopen();
      await assertDeviceEquals(next, model.current, `${where} (after reopen)`);
      return next;
    }
    case "crash": {
      if (!factory.crash) return dev;
      const next = await factory.crash(dev);
      model.crash();
      await assertDeviceEquals(next, model.current, `${where} (after crash: must equal the last sync)`);
      return next;
    }
  }
}

/** Run a seeded random workload on a fresh device from `factory`. */
export async function runWorkload(factory: DiskFactory, opts: WorkloadOptions): Promise<WorkloadResult> {
  const ops = generateOps(opts, factory.nblocks, { trim: factory.trim ?? true, crash: factory.crash !== undefined });
  const model = new ReferenceModel(factory.nblocks);
  const counts = Object.fromEntries(Object.keys(DEFAULT_WEIGHTS).map((k) => [k, 0])) as Record<WorkloadOpKind, number>;
  let dev = await factory.create();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    counts[op.kind]++;
    dev = await applyOp(factory, dev, model, op, `${factory.name} seed ${opts.seed} op #${i} (${op.kind})`);
  }
  await assertDeviceEquals(dev, model.current, `${factory.name} seed ${opts.seed} (final)`);
  return { counts, dev, model };
}

/**
 * A DiskFactory over MemHostFiles: `files` host files per device. `crash` reopens from the
 * durable images (every unsynced host write lost).
 */
export function memHostFactory(spec: {
  name: string;
  nblocks: number;
  files: number;
  trim?: boolean;
  create(files: HostFile[]): Promise<BlockDevice>;
  open(files: HostFile[]): Promise<BlockDevice>;
}): DiskFactory & { files(): MemHostFile[] } {
  let files: MemHostFile[] = [];
  return {
    name: spec.name,
    nblocks: spec.nblocks,
    trim: spec.trim ?? true,
    files: () => files,
    async create() {
      files = Array.from({ length: spec.files }, () => new MemHostFile());
      return spec.create(files);
    },
    async reopen() {
      files = files.map((f) => new MemHostFile(f.image()));
      return spec.open(files);
    },
    async crash(_dev: BlockDevice) {
      files = files.map((f) => new MemHostFile(f.durableImage()));
      return spec.open(files);
    },
  };
}
