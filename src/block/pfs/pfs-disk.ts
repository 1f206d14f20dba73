/**
 * PfsDisk: a block device on one SGX-PFS protected file — the baseline SwornDisk is measured
 * against, reproducing the SGX-PFS algorithm faithfully (secure-disk.md §2.12), including its
 * weakness: the transient-snapshot attack, CVE-2022-27499 (§1.3).
 *
 *   const disk = await PfsDisk.create(file, recoveryFile, nblocks, { key, cacheNodes: 48 });
 *   const again = await PfsDisk.open(file, recoveryFile, { key });
 *
 * Design, as in PFS:
 *   - In-place updates of 4 KiB nodes (layout.ts); block i of the device is data node i (the
 *     PFS_INNER_OFFSET shift of NGO's PfsDisk).
 *   - Data and MHT nodes are AES-128-GCM encrypted under a fresh key at each flush; key and MAC
 *     live in the parent MHT node; the root MHT's key and MAC live in the metadata node, whose
 *     key is derived from the caller's root key and a fresh salt.
 *   - An LRU cache of `cacheNodes` nodes (data + MHT; root MHT and metadata are held aside).
 *     Dirtying a data node dirties its MHT ancestors. When the cache exceeds its size and the
 *     LRU tail is dirty, an INTERNAL FLUSH writes every dirty node in place, without fsync:
 *     a complete, self-consistent on-disk version the application never asked for.
 *   - Flush: (1) old on-disk versions of dirty non-new nodes + metadata → recovery file,
 *     (2) set update_flag in the on-disk metadata, (3) re-encrypt bottom-up, (4) write dirty
 *     nodes, root MHT, metadata (flag clear), (5) [user flush] fsync, reset the recovery file.
 *     A user flush (sync) also fsyncs the recovery file and the flagged metadata (1–2).
 *   - Open: update_flag set → copy the recovery file's nodes back (rollback to the previous
 *     version), then verify the metadata.
 *
 * All operations are serialized by one mutex, as NGO's PfsDisk does.
 */

import { BLOCK_SIZE, BlockError, checkCount, checkRange, type BlockDevice, type Lba } from "../block-device.ts";
import type { HostFile } from "../host-file.ts";
import { freshKey, freshSalt, gcmDecrypt, gcmEncrypt, metaKey } from "./crypto.ts";
import {
  dataParent,
  dataPhysical,
  decodeMetaEncrypted,
  decodeMetaPlain,
  DEFAULT_CACHE_NODES,
  encodeMetaEncrypted,
  encodeMetaPlain,
  MAC_SIZE,
  META_ENC_OFFSET,
  META_ENC_SIZE,
  mhtCount,
  mhtHeight,
  mhtParent,
  mhtPhysical,
  NODE_SIZE,
  PFS_INNER_OFFSET,
  readSlot,
  RECOVERY_RECORD_SIZE,
  setUpdateFlag,
  writeSlot,
  type MetaEncrypted,
  type Slot,
} from "./layout.ts";

export interface PfsDiskOptions {
  /** Root key from the caller (≥ 16 bytes). */
  key: Uint8Array;
  /** LRU node cache size in 4 KiB nodes (default 48 = Intel's MAX_PAGES_IN_CACHE). */
  cacheNodes?: number;
  /** File name bound into the metadata and checked on open (default "pfs-disk"). */
  name?: string;
}

export interface PfsStats {
  userFlushes: number;
  /** Flushes forced by cache overflow: each leaves a transient on-disk version. */
  internalFlushes: number;
  recoveries: number;
  nodesWritten: number;
  recoveryRecords: number;
  cacheHits: number;
  cacheMisses: number;
}

export interface PfsInspect {
  nblocks: number;
  mhtNodes: number;
  mhtHeight: number;
  cacheNodes: number;
  hostNodes: number;
  name: string;
}

export interface PfsCheckResult {
  mhtNodesVerified: number;
  dataNodesVerified: number;
  /** Data nodes never written (read as zeros). */
  unwrittenDataNodes: number;
}

interface Node {
  kind: "data" | "mht";
  index: number;
  physical: number;
  plain: Uint8Array;
  /** Ciphertext currently on disk (what the recovery file saves); undefined for a new node. */
  onDisk: Uint8Array | undefined;
  dirty: boolean;
}

export class PfsDisk implements BlockDevice {
  readonly nblocks: number;
  readonly file: HostFile;
  readonly recovery: HostFile;
  readonly cacheNodes: number;
  readonly stats: PfsStats = {
    userFlushes: 0,
    internalFlushes: 0,
    recoveries: 0,
    nodesWritten: 0,
    recoveryRecords: 0,
    cacheHits: 0,
    cacheMisses: 0,
  };
  private readonly rootKey: Uint8Array;
  private readonly name: string;
  /** LRU: Map iteration order = least recently used first. Key: physical node number. */
  private readonly lru = new Map<number, Node>();
  private root: Node;
  private meta: MetaEncrypted;
  /** The metadata node as on disk (undefined before the first flush of a new file). */
  private metaOnDisk: Uint8Array | undefined;
  private metaDirty = false;
  private closed = false;
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(file: HostFile, recovery: HostFile, nblocks: number, opts: PfsDiskOptions, meta: MetaEncrypted, root: Node) {
    if (opts.key.length < 16) throw new BlockError("InvalidArgument", "PFS root key must be at least 16 bytes");
    this.file = file;
    this.recovery = recovery;
    this.nblocks = nblocks;
    this.cacheNodes = Math.max(4, opts.cacheNodes ?? DEFAULT_CACHE_NODES);
    this.rootKey = Uint8Array.from(opts.key);
    this.name = opts.name ?? "pfs-disk";
    this.meta = meta;
    this.root = root;
  }

  static async create(file: HostFile, recovery: HostFile, nblocks: number, opts: PfsDiskOptions): Promise<PfsDisk> {
    if (!Number.isSafeInteger(nblocks) || nblocks <= 0) throw new BlockError("InvalidArgument", `bad nblocks ${nblocks}`);
    const name = opts.name ?? "pfs-disk";
    const root: Node = { kind: "mht", index: 0, physical: mhtPhysical(0), plain: new Uint8Array(NODE_SIZE), onDisk: undefined, dirty: true };
    await file.truncate(0);
    await recovery.truncate(0);
    const disk = new PfsDisk(file, recovery, nblocks, opts, { name, size: PFS_INNER_OFFSET + nblocks * BLOCK_SIZE, rootMht: undefined }, root);
    disk.metaDirty = true;
    await disk.flushAll(true);
    return disk;
  }

  static async open(file: HostFile, recovery: HostFile, opts: PfsDiskOptions): Promise<PfsDisk> {
    const node = new Uint8Array(NODE_SIZE);
    await file.read(0, node);
    let plain = decodeMetaPlain(node);
    let recovered = false;
    if (plain.updateFlag) {
      await recoverFromFile(file, recovery);
      recovered = true;
      await file.read(0, node);
      plain = decodeMetaPlain(node);
      if (plain.updateFlag) throw new BlockError("Corrupted", "PFS update flag still set after recovery");
    }
    const enc = new Uint8Array(META_ENC_SIZE);
    gcmDecrypt(metaKey(opts.key, plain.salt), node.subarray(META_ENC_OFFSET, META_ENC_OFFSET + META_ENC_SIZE), plain.gmac, enc, "PFS metadata node");
    const meta = decodeMetaEncrypted(enc);
    const name = opts.name ?? "pfs-disk";
    if (meta.name !== name) throw new BlockError("Corrupted", `PFS file name mismatch: image is "${meta.name}", expected "${name}"`);
    const nblocks = (meta.size - PFS_INNER_OFFSET) / BLOCK_SIZE;
    if (!Number.isSafeInteger(nblocks) || nblocks <= 0) throw new BlockError("Corrupted", `PFS size ${meta.size} is not a block device`);
    const root: Node = { kind: "mht", index: 0, physical: mhtPhysical(0), plain: new Uint8Array(NODE_SIZE), onDisk: undefined, dirty: false };
    if (meta.rootMht) {
      const c = new Uint8Array(NODE_SIZE);
      await file.read(root.physical * NODE_SIZE, c);
      gcmDecrypt(meta.rootMht.key, c, meta.rootMht.mac, root.plain, "PFS root MHT node");
      root.onDisk = c;
    }
    const disk = new PfsDisk(file, recovery, nblocks, opts, meta, root);
    disk.metaOnDisk = node;
    if (recovered) disk.stats.recoveries++;
    return disk;
  }

  // ---- BlockDevice ---------------------------------------------------------------------------

  read(lba: Lba, buf: Uint8Array): Promise<void> {
    return this.readv([{ lba, buf }]);
  }

  write(lba: Lba, buf: Uint8Array): Promise<void> {
    return this.writev([{ lba, buf }]);
  }

  readv(reqs: ReadonlyArray<{ lba: Lba; buf: Uint8Array }>): Promise<void> {
    return this.locked(async () => {
      for (const r of reqs) checkRange(this, r.lba, r.buf);
      for (const r of reqs) {
        for (let i = 0; i * BLOCK_SIZE < r.buf.length; i++) {
          const dst = r.buf.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
          const node = await this.getData(r.lba + i, false);
          if (node) dst.set(node.plain);
          else dst.fill(0);
          await this.evict();
        }
      }
    });
  }

  writev(reqs: ReadonlyArray<{ lba: Lba; buf: Uint8Array }>): Promise<void> {
    return this.locked(async () => {
      for (const r of reqs) checkRange(this, r.lba, r.buf);
      for (const r of reqs) {
        for (let i = 0; i * BLOCK_SIZE < r.buf.length; i++) {
          await this.writeBlock(r.lba + i, r.buf.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
          await this.evict();
        }
      }
    });
  }

  /** PFS has no discard: trimmed blocks are overwritten with zeros. */
  trim(lba: Lba, count: number): Promise<void> {
    return this.locked(async () => {
      checkCount(this, lba, count);
      const zero = new Uint8Array(BLOCK_SIZE);
      for (let i = 0; i < count; i++) {
        await this.writeBlock(lba + i, zero);
        await this.evict();
      }
    });
  }

  /** Writes every dirty node in place without fsync (a new, non-durable on-disk version). */
  flush(): Promise<void> {
    return this.locked(() => this.flushAll(false));
  }

  sync(): Promise<void> {
    return this.locked(() => this.flushAll(true));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.sync();
    this.closed = true;
    await this.file.close();
    await this.recovery.close();
  }

  // ---- Tools -----------------------------------------------------------------------------------

  inspect(): PfsInspect {
    const m = mhtCount(this.nblocks);
    return {
      nblocks: this.nblocks,
      mhtNodes: m,
      mhtHeight: mhtHeight(this.nblocks),
      cacheNodes: this.cacheNodes,
      hostNodes: Math.max(dataPhysical(this.nblocks - 1), mhtPhysical(m - 1)) + 1,
      name: this.meta.name,
    };
  }

  /** Verifies every node reachable from the on-disk metadata (bypassing the cache). */
  check(): Promise<PfsCheckResult> {
    return this.locked(async () => {
      const res: PfsCheckResult = { mhtNodesVerified: 0, dataNodesVerified: 0, unwrittenDataNodes: 0 };
      const nMht = mhtCount(this.nblocks);
      const mhtPlain = new Map<number, Uint8Array>();
      const cipher = new Uint8Array(NODE_SIZE);
      const loadVerified = async (physical: number, slot: Slot, what: string): Promise<Uint8Array> => {
        await this.file.read(physical * NODE_SIZE, cipher);
        const p = new Uint8Array(NODE_SIZE);
        gcmDecrypt(slot.key, cipher, slot.mac, p, what);
        return p;
      };
      const rootSlot = this.meta.rootMht;
      mhtPlain.set(0, rootSlot ? await loadVerified(mhtPhysical(0), rootSlot, "PFS root MHT node") : new Uint8Array(NODE_SIZE));
      res.mhtNodesVerified += rootSlot ? 1 : 0;
      for (let m = 1; m < nMht; m++) {
        const p = mhtParent(m);
        const slot = readSlot(mhtPlain.get(p.mht)!, p.slot);
        mhtPlain.set(m, slot ? await loadVerified(mhtPhysical(m), slot, `PFS MHT node ${m}`) : new Uint8Array(NODE_SIZE));
        if (slot) res.mhtNodesVerified++;
      }
      for (let d = 0; d < this.nblocks; d++) {
        const p = dataParent(d);
        const slot = readSlot(mhtPlain.get(p.mht)!, p.slot);
        if (!slot) {
          res.unwrittenDataNodes++;
          continue;
        }
        await loadVerified(dataPhysical(d), slot, `PFS data node ${d}`);
        res.dataNodesVerified++;
      }
      return res;
    });
  }

  // ---- Internals -------------------------------------------------------------------------------

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new BlockError("Closed", "PfsDisk closed"));
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  private cacheGet(physical: number): Node | undefined {
    const n = this.lru.get(physical);
    if (n) {
      this.lru.delete(physical);
      this.lru.set(physical, n);
    }
    return n;
  }

  private async loadNode(kind: Node["kind"], index: number, physical: number, slot: Slot | undefined): Promise<Node> {
    this.stats.cacheMisses++;
    const node: Node = { kind, index, physical, plain: new Uint8Array(NODE_SIZE), onDisk: undefined, dirty: false };
    if (slot) {
      const c = new Uint8Array(NODE_SIZE);
      await this.file.read(physical * NODE_SIZE, c);
      gcmDecrypt(slot.key, c, slot.mac, node.plain, `PFS ${kind} node ${index}`);
      node.onDisk = c;
    }
    this.lru.set(physical, node);
    return node;
  }

  private async getMht(m: number): Promise<Node> {
    if (m === 0) return this.root;
    const physical = mhtPhysical(m);
    const hit = this.cacheGet(physical);
    if (hit) {
      this.stats.cacheHits++;
      return hit;
    }
    const p = mhtParent(m);
    const parent = await this.getMht(p.mht);
    return this.loadNode("mht", m, physical, readSlot(parent.plain, p.slot));
  }

  /** The data node, loading it; for reads, undefined when never written (not cached). */
  private async getData(d: number, create: boolean): Promise<Node | undefined> {
    const physical = dataPhysical(d);
    const hit = this.cacheGet(physical);
    if (hit) {
      this.stats.cacheHits++;
      // Reading a data node keeps its MHT ancestors hot, as PFS does.
      for (let m = dataParent(d).mht; m !== 0; m = mhtParent(m).mht) this.cacheGet(mhtPhysical(m));
      return hit;
    }
    const p = dataParent(d);
    const parent = await this.getMht(p.mht);
    const slot = readSlot(parent.plain, p.slot);
    if (!slot && !create) return undefined;
    return this.loadNode("data", d, physical, slot);
  }

  private async writeBlock(d: number, data: Uint8Array): Promise<void> {
    const node = (await this.getData(d, true))!;
    node.plain.set(data);
    node.dirty = true;
    for (let m = dataParent(d).mht; ; m = mhtParent(m).mht) {
      (await this.getMht(m)).dirty = true;
      if (m === 0) break;
    }
    this.metaDirty = true;
  }

  /** Shrink the cache to its size; a dirty LRU tail forces an internal flush (PFS behaviour). */
  private async evict(): Promise<void> {
    while (this.lru.size > this.cacheNodes) {
      const [physical, tail] = this.lru.entries().next().value as [number, Node];
      if (!tail.dirty) {
        this.lru.delete(physical);
        continue;
      }
      await this.flushAll(false);
    }
  }

  /** The PFS flush (user = true: sgx_fflush with fsync; false: internal_flush on eviction). */
  private async flushAll(user: boolean): Promise<void> {
    const dirty = [...this.lru.values()].filter((n) => n.dirty);
    if (dirty.length === 0 && !this.root.dirty && !this.metaDirty) {
      if (user) {
        this.stats.userFlushes++;
        await this.file.sync();
      }
      return;
    }
    if (user) this.stats.userFlushes++;
    else this.stats.internalFlushes++;

    // (1) Recovery file: the on-disk versions about to be overwritten.
    if (this.metaOnDisk) {
      const records: Uint8Array[] = [];
      const add = (physical: number, bytes: Uint8Array): void => {
        const r = new Uint8Array(RECOVERY_RECORD_SIZE);
        new DataView(r.buffer).setBigUint64(0, BigInt(physical), true);
        r.set(bytes, 8);
        records.push(r);
      };
      for (const n of dirty) if (n.onDisk) add(n.physical, n.onDisk);
      if (this.root.dirty && this.root.onDisk) add(this.root.physical, this.root.onDisk);
      add(0, this.metaOnDisk);
      await this.recovery.truncate(0);
      await this.recovery.writev(0, records);
      this.stats.recoveryRecords += records.length;
      if (user) await this.recovery.sync();
      // (2) update_flag set in the on-disk metadata (the old encrypted part is kept as is).
      const flagged = this.metaOnDisk.slice();
      setUpdateFlag(flagged, true);
      await this.file.write(0, flagged);
      if (user) await this.file.sync();
    }

    // (3) Re-encrypt bottom-up with fresh keys, propagating key+MAC into parents.
    const writes: Array<Promise<void>> = [];
    const seal = (n: Node): Slot => {
      const key = freshKey();
      const c = new Uint8Array(NODE_SIZE);
      const mac = gcmEncrypt(key, n.plain, c);
      n.onDisk = c;
      n.dirty = false;
      return { key, mac };
    };
    const dirtyData = dirty.filter((n) => n.kind === "data");
    const dirtyMht = dirty.filter((n) => n.kind === "mht").sort((a, b) => b.index - a.index);
    for (const n of dirtyData) {
      const p = dataParent(n.index);
      const parent = p.mht === 0 ? this.root : this.lru.get(mhtPhysical(p.mht));
      if (!parent) throw new BlockError("Corrupted", `PFS invariant: parent of dirty data node ${n.index} not cached`);
      writeSlot(parent.plain, p.slot, seal(n));
    }
    for (const n of dirtyMht) {
      const p = mhtParent(n.index);
      const parent = p.mht === 0 ? this.root : this.lru.get(mhtPhysical(p.mht));
      if (!parent) throw new BlockError("Corrupted", `PFS invariant: parent of dirty MHT node ${n.index} not cached`);
      writeSlot(parent.plain, p.slot, seal(n));
    }
    const rootDirty = this.root.dirty;
    if (rootDirty) this.meta.rootMht = seal(this.root);
    const salt = freshSalt();
    const enc = new Uint8Array(META_ENC_SIZE);
    const gmac = gcmEncrypt(metaKey(this.rootKey, salt), encodeMetaEncrypted(this.meta), enc);
    const metaNode = new Uint8Array(NODE_SIZE);
    encodeMetaPlain(metaNode, { salt, gmac: gmac.subarray(0, MAC_SIZE), updateFlag: false });
    metaNode.set(enc, META_ENC_OFFSET);

    // (4) Write all dirty nodes in place, then the root MHT, then the metadata (flag clear).
    // In physical order, so the host queue can merge neighbouring nodes into one writev.
    const toWrite = [...dirtyData, ...dirtyMht].sort((a, b) => a.physical - b.physical);
    for (const n of toWrite) writes.push(this.file.write(n.physical * NODE_SIZE, n.onDisk!));
    await Promise.all(writes);
    if (rootDirty) await this.file.write(this.root.physical * NODE_SIZE, this.root.onDisk!);
    await this.file.write(0, metaNode);
    this.stats.nodesWritten += writes.length + (rootDirty ? 1 : 0) + 1;
    this.metaOnDisk = metaNode;
    this.metaDirty = false;

    // (5) Durability (user flush only), then the recovery file is no longer needed.
    if (user) await this.file.sync();
    await this.recovery.truncate(0);
  }
}

/** Copy the recovery file's saved nodes back over the data file (PFS do_file_recovery). */
async function recoverFromFile(file: HostFile, recovery: HostFile): Promise<void> {
  const size = await recovery.size();
  if (size === 0 || size % RECOVERY_RECORD_SIZE !== 0) {
    throw new BlockError("Corrupted", `PFS update flag set but the recovery file is unusable (${size} bytes)`);
  }
  const all = new Uint8Array(size);
  await recovery.read(0, all);
  const view = new DataView(all.buffer);
  for (let at = 0; at < size; at += RECOVERY_RECORD_SIZE) {
    const physical = Number(view.getBigUint64(at, true));
    await file.write(physical * NODE_SIZE, all.subarray(at + 8, at + RECOVERY_RECORD_SIZE));
  }
  await file.sync();
  await recovery.truncate(0);
}
