/**
 * Image types for the occlum-disk tool: detection from the image header, format and open.
 * SwornDisk is reached by dynamic import of ../sworndisk/index.ts so the tool works (for raw and
 * pfs) before or without it. SwornDisk surface used:
 *   SwornDisk.create(file, { rootKey, nblocks, counterStore? }) / SwornDisk.open(file, { rootKey, counterStore? })
 *   instance inspect(): object    instance check(): Promise<{ ok, errors, checked }>
 *   HostFileCounterStore(file) for --counter.
 */

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BlockError, type BlockDevice } from "../block-device.ts";
import type { HostFile } from "../host-file.ts";
import { openHostFile } from "../host-io.ts";
import { PfsDisk } from "../pfs/pfs-disk.ts";
import { RawDisk } from "../raw-disk.ts";

export type DiskType = "raw" | "pfs" | "sworn";

export const DISK_TYPES: readonly DiskType[] = ["raw", "pfs", "sworn"];

const MAGICS: Array<[DiskType, string]> = [
  ["pfs", "SGX_FILE"],
  ["sworn", "SWORNDK1"],
];

/** Guess the type from the first 8 bytes; anything unknown is raw. */
export async function detectType(path: string): Promise<DiskType> {
  const f = await openHostFile(path);
  try {
    const head = new Uint8Array(8);
    await f.read(0, head);
    const text = new TextDecoder("latin1").decode(head);
    return MAGICS.find(([, m]) => m === text)?.[0] ?? "raw";
  } finally {
    await f.close();
  }
}

export interface OpenOptions {
  key?: Uint8Array;
  /** SwornDisk trusted counter file (mock of a monotonic counter). */
  counterPath?: string;
  cacheNodes?: number;
  recoveryPath?: string;
}

export function recoveryPathOf(image: string, o: OpenOptions): string {
  return o.recoveryPath ?? `${image}.recovery`;
}

function needKey(o: OpenOptions, type: DiskType): Uint8Array {
  if (!o.key) throw new BlockError("InvalidArgument", `a ${type} image needs --key <hex> or --key-file <path>`);
  return o.key;
}

/** The SwornDisk module if present (loose view: its API is checked at each use). */
export async function swornModule(): Promise<Record<string, unknown> | undefined> {
  const p = fileURLToPath(new URL("../sworndisk/index.ts", import.meta.url));
  if (!existsSync(p)) return undefined;
  return (await import(p)) as Record<string, unknown>;
}

type Fn = (...args: unknown[]) => Promise<unknown>;

async function swornCounter(o: OpenOptions): Promise<unknown> {
  if (!o.counterPath) return undefined;
  const Store = (await swornModule())?.["HostFileCounterStore"] as (new (f: HostFile) => unknown) | undefined;
  if (!Store) throw new BlockError("InvalidArgument", "this SwornDisk build has no HostFileCounterStore");
  return new Store(await openHostFile(o.counterPath, { create: true }));
}

async function swornClass(): Promise<{ create: Fn; open: Fn }> {
  const mod = await swornModule();
  const S = mod?.["SwornDisk"] as { create?: Fn; open?: Fn } | undefined;
  if (!S || typeof S.create !== "function" || typeof S.open !== "function") {
    throw new BlockError("InvalidArgument", "this build has no SwornDisk (src/block/sworndisk/index.ts exports no SwornDisk.create/open)");
  }
  return { create: S.create.bind(S), open: S.open.bind(S) };
}

export async function formatImage(path: string, type: DiskType, nblocks: number, o: OpenOptions): Promise<BlockDevice> {
  const file = await openHostFile(path, { create: true, truncate: true });
  try {
    switch (type) {
      case "raw":
        return await RawDisk.create(file, nblocks);
      case "pfs": {
        const rec = await openHostFile(recoveryPathOf(path, o), { create: true, truncate: true });
        return await PfsDisk.create(file, rec, nblocks, { key: needKey(o, type), cacheNodes: o.cacheNodes });
      }
      case "sworn":
        return (await (await swornClass()).create(file, { nblocks, rootKey: needKey(o, type), counterStore: await swornCounter(o) })) as BlockDevice;
    }
  } catch (e) {
    await file.close().catch(() => {});
    throw e;
  }
}

export async function openImage(path: string, type: DiskType, o: OpenOptions): Promise<{ dev: BlockDevice; files: HostFile[] }> {
  const file = await openHostFile(path);
  try {
    switch (type) {
      case "raw":
        return { dev: await RawDisk.open(file), files: [file] };
      case "pfs": {
        const rec = await openHostFile(recoveryPathOf(path, o), { create: true });
        return { dev: await PfsDisk.open(file, rec, { key: needKey(o, type), cacheNodes: o.cacheNodes }), files: [file, rec] };
      }
      case "sworn":
        return { dev: (await (await swornClass()).open(file, { rootKey: needKey(o, type), counterStore: await swornCounter(o) })) as BlockDevice, files: [file] };
    }
  } catch (e) {
    await file.close().catch(() => {});
    throw e;
  }
}
