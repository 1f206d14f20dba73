/**
 * The devices the disk benchmark compares, each behind one adapter: open a fresh device on host
 * files in `dir`, and report host bytes written (for write amplification).
 * SwornDisk is picked up at runtime if src/block/sworndisk/index.ts exports `SwornDisk` with
 * static `create`/`open`; otherwise it is skipped.
 */

import path from "node:path";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BlockDevice } from "../../src/block/block-device.ts";
import type { HostFile } from "../../src/block/host-file.ts";
import { HostIoQueue, openHostFile } from "../../src/block/host-io.ts";
import { RawDisk } from "../../src/block/raw-disk.ts";
import { PfsDisk } from "../../src/block/pfs/pfs-disk.ts";

export interface BenchDevice {
  name: string;
  dev: BlockDevice;
  files: HostFile[];
  /** Trusted memory the device uses for caching, in bytes (reported with the results). */
  cacheBytes: number;
  hostBytesWritten(): number;
}

export interface DeviceSpec {
  name: string;
  open(dir: string, nblocks: number, key: Uint8Array, queue: HostIoQueue): Promise<BenchDevice>;
}

/**
 * Read every host file of a freshly created device once (before the timed phases), so that
 * writes find their page-cache pages allocated. On this VM a page the guest freed a few seconds
 * earlier has been handed back to the host (virtio-balloon free page reporting), and writing
 * 1 GiB into new page-cache pages then costs the writer 2-3.5 s of CPU instead of 0.15 s: the
 * same RawDisk phase ran at 321-891 MiB/s depending on what the machine freed last. Warming all
 * devices' files (fio lays out its files before timing too) takes that out of every device's
 * timed window. A file that starts empty (PfsDisk's) has nothing to warm.
 */
export async function warmHostCache(files: readonly HostFile[]): Promise<void> {
  const buf = new Uint8Array(4 << 20);
  for (const f of files) {
    const size = await f.size();
    for (let off = 0; off < size; off += buf.length) await f.read(off, buf.subarray(0, Math.min(buf.length, size - off)));
  }
}

function sumWritten(files: HostFile[]): () => number {
  return () => files.reduce((s, f) => s + f.stats.bytesWritten, 0);
}

export const rawSpec: DeviceSpec = {
  name: "raw",
  async open(dir, nblocks, _key, queue) {
    const f = await openHostFile(path.join(dir, "raw.img"), { create: true, truncate: true, queue });
    const dev = await RawDisk.create(f, nblocks);
    return { name: "raw", dev, files: [f], cacheBytes: 0, hostBytesWritten: sumWritten([f]) };
  },
};

export function pfsSpec(cacheNodes: number): DeviceSpec {
  const name = cacheNodes === 48 ? "pfs" : `pfs-cache${cacheNodes}`;
  return {
    name,
    async open(dir, nblocks, key, queue) {
      const f = await openHostFile(path.join(dir, `${name}.img`), { create: true, truncate: true, queue });
      const r = await openHostFile(path.join(dir, `${name}.recovery`), { create: true, truncate: true, queue });
      const dev = await PfsDisk.create(f, r, nblocks, { key, cacheNodes });
      return { name, dev, files: [f, r], cacheBytes: cacheNodes * 4096, hostBytesWritten: sumWritten([f, r]) };
    },
  };
}

interface SwornModule {
  SwornDisk?: {
    create?: (...args: never[]) => Promise<BlockDevice>;
    open?: (...args: never[]) => Promise<BlockDevice>;
  };
}

/** The SwornDisk adapter, or undefined when the module is absent or incomplete. */
export async function swornSpec(): Promise<DeviceSpec | undefined> {
  const modPath = fileURLToPath(new URL("../../src/block/sworndisk/index.ts", import.meta.url));
  if (!existsSync(modPath)) return undefined;
  let mod: SwornModule;
  try {
    mod = (await import(modPath)) as SwornModule;
  } catch (e) {
    process.stderr.write(`sworndisk: import failed, skipped (${(e as Error).message})\n`);
    return undefined;
  }
  const S = mod.SwornDisk;
  if (!S || typeof S.create !== "function" || typeof S.open !== "function") return undefined;
  const create = S.create.bind(S) as unknown as (file: HostFile, opts: { nblocks: number; rootKey: Uint8Array }) => Promise<BlockDevice>;
  return {
    name: "sworn",
    async open(dir, nblocks, key, queue) {
      const f = await openHostFile(path.join(dir, "sworn.img"), { create: true, truncate: true, queue });
      const dev = await create(f, { nblocks, rootKey: key });
      const cacheBytes = (dev as { cacheBytes?: number }).cacheBytes ?? 0; // reported when SwornDisk exposes it
      return { name: "sworn", dev, files: [f], cacheBytes, hostBytesWritten: sumWritten([f]) };
    },
  };
}
