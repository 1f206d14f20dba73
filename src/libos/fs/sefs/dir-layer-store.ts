/**
 * Layer storage. A LayerStore is a FileSystemImpl holding one layer of a union (or a whole sefs
 * mount); the union and the mount code only use that interface, so a later issue can swap the
 * storage for integrity-protected and encrypted formats without touching them.
 *
 * DirLayerStore (for now): a plain host directory tree, confined exactly as hostfs (it is a
 * HostFs shown as "sefs"). A read-only store refuses every change (EROFS at the VFS).
 */
import { mkdirSync } from "node:fs";
import { HostFs, type CacheHeap } from "../hostfs/hostfs.ts";
import { toSysError } from "../hostfs/host-errors.ts";
import type { FileSystemImpl } from "../vfs/inode.ts";

export type LayerStore = FileSystemImpl;

export interface DirLayerStoreOptions {
  readOnly?: boolean;
  /** Create the directory when missing (writable layers; default: !readOnly). */
  create?: boolean;
  /** Kernel heap the name cache is charged to. */
  cacheHeap?: CacheHeap;
}

export async function openDirLayerStore(dir: string, opts: DirLayerStoreOptions = {}): Promise<LayerStore> {
  const readOnly = opts.readOnly ?? false;
  if (opts.create ?? !readOnly) {
    try {
      mkdirSync(dir, { recursive: true }); // at boot: nothing else waits for the thread pool's answer
    } catch (e) {
      throw toSysError(e);
    }
  }
  // The store's directory belongs to this instance alone: cache name lookups.
  return HostFs.open(dir, { readOnly, type: "sefs", exclusive: true, ...(opts.cacheHeap ? { cacheHeap: opts.cacheHeap } : {}) });
}
