/**
 * Layer 5 of SwornDisk: the trusted log-structured block device.
 *
 * Write: each 4 KiB block gets a fresh random key and IV, is encrypted (AES-256-GCM) straight
 * into the staging buffer of the open data segment (out of place; the whole segment goes to the
 * host as large sequential writes), and its record LBA -> (HBA, key, IV, tag) goes to the
 * MemTable. The superseded block is released through Space (freed now if it was never synced,
 * else only after the next sync commits).
 *
 * Sync (the only commit point): staged data -> WAL append of the unlogged records -> host sync
 * (barrier) -> journal edit group {sync id, WAL tail, SST catalog edits} -> host sync ->
 * trusted counter advance -> delayed frees become free. A crash anywhere recovers exactly the
 * last journaled sync: MemTable flushes, compactions and segment cleaning between syncs only
 * write into free space and are referenced by nothing durable until the next commit.
 *
 * Open: superblock (AEAD, both copies) -> checkpoint + journal chain -> counter check
 * (RolledBack) -> WAL replay -> SST roots -> in-memory LBA map, reverse map and segment validity.
 */

import { BLOCK_SIZE, BlockError, checkRange, type BlockDevice, type Lba } from "../block-device.ts";
import type { HostFile } from "../host-file.ts";
import type { TrustedCounterStore } from "./counter.ts";
import { decryptData, encryptData, IV_LEN, KEY_LEN, randomPool, TAG_LEN, bytesEqual } from "./crypto.ts";
import { BlockIo } from "./io.ts";
import { emptyWal, Journal, type WalDesc } from "./journal.ts";
import { computeLayout, decodeSuperblock, encodeSuperblock, newSuperblock, regions, type LayoutOptions, type Superblock } from "./layout.ts";
import { Lsm, type LsmOptions } from "./lsm.ts";
import { V_IV, V_KEY, V_TAG, VALUE_SIZE, valueHba } from "./memtable.ts";
import { SegKind, Space } from "./space.ts";
import { appendWal, readWal, walHba } from "./wal.ts";

export interface SwornDiskRuntimeOptions {
  /** 32-byte root key from the caller (e.g. derived from the enclave identity). */
  rootKey: Uint8Array;
  /** Trusted sync counter: with it, opening an image older than the last sync fails (RolledBack). */
  counterStore?: TrustedCounterStore;
  memtableRecords?: number;
  l0Max?: number;
  l1Records?: number;
  sstRecords?: number;
  cacheBlocks?: number;
}

export interface SwornDiskCreateOptions extends SwornDiskRuntimeOptions, LayoutOptions {}

export interface SwornDiskOpenOptions extends SwornDiskRuntimeOptions {
  /** If given, must match the image. */
  nblocks?: number;
}

export interface SwornDiskStats {
  userBlocksWritten: number;
  dataBlocksWritten: number;
  gcBlocksMoved: number;
  gcRuns: number;
  walBlocksWritten: number;
  syncs: number;
}

function toLsmOptions(o: SwornDiskRuntimeOptions): LsmOptions {
  const mem = o.memtableRecords ?? 65536;
  return {
    memtableRecords: mem,
    l0Max: o.l0Max ?? 4,
    l1Records: o.l1Records ?? mem * 10,
    sstRecords: o.sstRecords ?? Math.max(mem, 1024),
    cacheBlocks: o.cacheBlocks ?? 4096,
    maxLevels: 5,
  };
}

export class SwornDisk implements BlockDevice {
  readonly nblocks: number;
  /** @internal exposed for inspect/check and tests. */
  readonly io: BlockIo;
  readonly sb: Superblock;
  readonly journal: Journal;
  readonly space: Space;
  readonly lsm: Lsm;
  /** LBA -> HBA of the current state (0 = never written or trimmed): a cache of the index. */
  private readonly fwd: Uint32Array;
  private wal: WalDesc;
  /** Next SST/WAL id, shared with the LSM (journaled with every commit). */
  private readonly ids: { next: number };
  private readonly counter: TrustedCounterStore | undefined;
  private readonly S: number;
  private headSeg = -1;
  private headOff = 0;
  private flushedOff = 0;
  private readonly staging: Uint8Array;
  private inGc = false;
  /** Data segments the GC tries to keep free-or-reclaimable (half of the spare space). */
  private readonly gcHeadroom: number;
  private lock: Promise<void> = Promise.resolve();
  private closed = false;
  private broken: BlockError | null = null;
  private readonly rootKey: Uint8Array;
  readonly stats: SwornDiskStats = { userBlocksWritten: 0, dataBlocksWritten: 0, gcBlocksMoved: 0, gcRuns: 0, walBlocksWritten: 0, syncs: 0 };

  private constructor(io: BlockIo, sb: Superblock, journal: Journal, space: Space, lsm: Lsm, fwd: Uint32Array, ids: { next: number }, opts: SwornDiskRuntimeOptions) {
    this.io = io;
    this.sb = sb;
    this.nblocks = sb.nblocks;
    this.journal = journal;
    this.space = space;
    this.lsm = lsm;
    this.fwd = fwd;
    this.wal = cloneWal(journal.state.wal);
    this.ids = ids;
    this.counter = opts.counterStore;
    this.S = sb.segBlocks;
    this.staging = new Uint8Array(this.S * BLOCK_SIZE);
    this.gcHeadroom = Math.max(3, Math.floor((sb.dataSegs - Math.ceil(sb.nblocks / this.S)) / 2));
    this.rootKey = opts.rootKey;
  }

  /** Format `file` as a new SwornDisk (any previous contents are discarded). */
  static async create(file: HostFile, opts: SwornDiskCreateOptions): Promise<SwornDisk> {
    checkKey(opts.rootKey);
    const layout = computeLayout(opts);
    const sb = newSuperblock(layout);
    const io = new BlockIo(file);
    await file.truncate(0);
    await file.truncate(regions(layout).total * BLOCK_SIZE);
    const sbBlock = encodeSuperblock(sb, opts.rootKey);
    await io.writeBlocks(0, sbBlock);
    await io.writeBlocks(1, sbBlock);
    const c = opts.counterStore ? await opts.counterStore.read() : 0n;
    const syncId = Number(c) + 1;
    await Journal.format(io, sb, { syncId, nextId: 2, wal: emptyWal(1, randomPool.fresh(KEY_LEN)), ssts: [] });
    await io.sync();
    await opts.counterStore?.advance(BigInt(syncId));
    return SwornDisk.open(file, opts);
  }

  /** Open and recover an existing image: exactly the state of its last completed sync. */
  static async open(file: HostFile, opts: SwornDiskOpenOptions): Promise<SwornDisk> {
    checkKey(opts.rootKey);
    const io = new BlockIo(file);
    const sbs = await io.readBlocks(0, 2);
    const a = decodeSuperblock(sbs.subarray(0, BLOCK_SIZE), opts.rootKey, "superblock A");
    const b = decodeSuperblock(sbs.subarray(BLOCK_SIZE), opts.rootKey, "superblock B");
    if (!sameSuperblock(a, b)) throw new BlockError("Corrupted", "superblock copies disagree");
    const sb = a;
    if (opts.nblocks !== undefined && opts.nblocks !== sb.nblocks) {
      throw new BlockError("InvalidArgument", `image has ${sb.nblocks} blocks, caller expects ${opts.nblocks}`);
    }
    const total = regions(sb).total;
    if ((await file.size()) < total * BLOCK_SIZE) throw new BlockError("Corrupted", "image is shorter than its layout");
    const journal = await Journal.recover(io, sb);
    const state = journal.state;
    if (opts.counterStore) {
      const c = await opts.counterStore.read();
      const s = BigInt(state.syncId);
      if (s < c) throw new BlockError("RolledBack", `image is at sync ${s} but the trusted counter is at ${c}: rolled back or truncated`);
      if (s > c + 1n) throw new BlockError("Corrupted", `image is at sync ${s}, ahead of the trusted counter ${c} by more than one sync (wrong counter store?)`);
      if (s === c + 1n) await opts.counterStore.advance(s); // crash between journal commit and counter bump
    }
    const space = new Space(sb.segBlocks, sb.nsegs, regions(sb).segBase);
    const lsmOpts = toLsmOptions(opts);
    const levels = await Lsm.openLevels(io, state.ssts, lsmOpts.maxLevels);
    const ids = { next: state.nextId };
    const lsm = new Lsm(io, space, lsmOpts, ids, levels);
    // WAL replay into the MemTable; all of it is already logged.
    const wal = state.wal;
    await readWal(io, space, wal, (lba, v) => {
      if (lba >= sb.nblocks) throw new BlockError("Corrupted", `WAL record for LBA ${lba} beyond the device`);
      lsm.mem.put(lba, v, true);
    });
    for (let i = 0; i < wal.nblocks; i++) space.useRecovered(walHba(space, wal, i), SegKind.Wal, `WAL ${wal.id}`);
    if (wal.segs.length) space.open.add(wal.segs[wal.segs.length - 1]!);
    for (const hba of lsm.sstBlocks()) space.useRecovered(hba, SegKind.Index, "SST");
    // Newest record per LBA wins: rebuild the LBA map, reverse map and data segment validity.
    const fwd = new Uint32Array(sb.nblocks);
    const seen = new Uint8Array(sb.nblocks);
    await lsm.forEachRecord((lba, vals, off) => {
      if (lba >= sb.nblocks) throw new BlockError("Corrupted", `index record for LBA ${lba} beyond the device`);
      if (seen[lba]) return;
      seen[lba] = 1;
      const hba = valueHba(vals, off);
      if (hba === 0) return;
      space.useRecovered(hba, SegKind.Data, `data block of LBA ${lba}`);
      const rel = hba - space.segBase;
      if (space.rev[rel] !== -1) throw new BlockError("Corrupted", `host block ${hba} mapped by two LBAs`);
      space.rev[rel] = lba;
      fwd[lba] = hba;
    });
    return new SwornDisk(io, sb, journal, space, lsm, fwd, ids, opts);
  }

  // ---- locking and error policy ----

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new BlockError("Closed", "SwornDisk is closed");
    const prev = this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((r) => (release = r));
    await prev;
    try {
      if (this.broken) throw this.broken;
      return await fn();
    } catch (e) {
      const err = e instanceof BlockError ? e : new BlockError("IoError", String(e));
      // After a failed host write the in-memory state may be ahead of the disk: refuse further
      // use (reopen to recover the last sync). Space exhaustion and bad arguments are benign.
      if (err.kind === "IoError") this.broken = err;
      throw err;
    } finally {
      release();
    }
  }

  // ---- writes ----

  async write(lba: Lba, buf: Uint8Array): Promise<void> {
    const n = checkRange(this, lba, buf);
    return this.locked(async () => {
      await this.writeBlocks(lba, n, buf);
      await this.maybeFlushMem();
    });
  }

  async writev(reqs: ReadonlyArray<{ lba: Lba; buf: Uint8Array }>): Promise<void> {
    const ns = reqs.map((r) => checkRange(this, r.lba, r.buf));
    return this.locked(async () => {
      for (let i = 0; i < reqs.length; i++) await this.writeBlocks(reqs[i]!.lba, ns[i]!, reqs[i]!.buf);
      await this.maybeFlushMem();
    });
  }

  private async writeBlocks(lba: number, n: number, buf: Uint8Array): Promise<void> {
    const mem = this.lsm.mem;
    for (let i = 0; i < n; i++) {
      if (this.headSeg < 0 || this.headOff >= this.S) await this.nextDataSeg();
      const off = this.headOff++;
      const hba = this.space.segStart(this.headSeg) + off;
      const r = randomPool.take(KEY_LEN + IV_LEN);
      const key = r.subarray(0, KEY_LEN);
      const iv = r.subarray(KEY_LEN);
      const tag = encryptData(key, iv, buf.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE), this.staging.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE));
      this.remap(lba + i, hba);
      mem.putFields(lba + i, hba, key, iv, tag);
    }
    this.stats.userBlocksWritten += n;
  }

  /** Point `lba` at `hba` (0 = unmapped), releasing the block it pointed at. */
  private remap(lba: number, hba: number): void {
    const old = this.fwd[lba]!;
    if (old !== 0) this.space.release(old);
    this.fwd[lba] = hba;
    if (hba !== 0) {
      this.space.use(hba);
      this.space.rev[hba - this.space.segBase] = lba;
    }
  }

  async trim(lba: Lba, count: number): Promise<void> {
    if (!Number.isSafeInteger(count) || count <= 0) throw new BlockError("InvalidArgument", `bad trim count ${count}`);
    checkRange(this, lba, new Uint8Array(count * BLOCK_SIZE));
    const zeros = new Uint8Array(TAG_LEN + KEY_LEN);
    return this.locked(async () => {
      for (let i = 0; i < count; i++) {
        if (this.fwd[lba + i] === 0) continue;
        this.remap(lba + i, 0);
        this.lsm.mem.putFields(lba + i, 0, zeros.subarray(0, KEY_LEN), zeros.subarray(0, IV_LEN), zeros.subarray(0, TAG_LEN));
      }
      await this.maybeFlushMem();
    });
  }

  /** Write the staged part of the open data segment to the host. */
  private async flushStaging(): Promise<void> {
    if (this.headSeg < 0 || this.headOff === this.flushedOff) return;
    const from = this.flushedOff;
    const to = this.headOff;
    await this.io.writeBlocks(this.space.segStart(this.headSeg) + from, this.staging.subarray(from * BLOCK_SIZE, to * BLOCK_SIZE));
    this.stats.dataBlocksWritten += to - from;
    this.flushedOff = to;
  }

  private async nextDataSeg(): Promise<void> {
    if (this.headSeg >= 0) {
      await this.flushStaging();
      const done = this.headSeg;
      this.headSeg = -1;
      this.space.closeSeg(done);
    }
    const nData = this.space.perKind[SegKind.Data]!;
    if (!this.inGc && nData - this.space.freeAfterCommit(SegKind.Data) > this.sb.dataSegs - this.gcHeadroom) await this.gc();
    // User writes stay within the data budget; GC moves may borrow from the spare segments.
    if ((!this.inGc && this.space.perKind[SegKind.Data]! >= this.sb.dataSegs) || this.space.freeSegs === 0) {
      throw new BlockError("OutOfDisk", `no free data segment (${this.space.freeAfterCommit()} more become free at the next sync)`);
    }
    this.headSeg = this.space.allocSeg(SegKind.Data);
    this.headOff = 0;
    this.flushedOff = 0;
  }

  /**
   * Segment cleaning: move the live blocks of the emptiest data segments (ciphertext verbatim,
   * same key and MAC) to the data head and remap them as new MemTable records. The victims
   * become free once no durable state references them: at once if they hold only unsynced
   * blocks, else after the next sync.
   */
  private async gc(): Promise<void> {
    this.inGc = true;
    try {
      const S = this.S;
      const budget = this.sb.dataSegs - this.gcHeadroom;
      const victims: number[] = [];
      for (let s = 0; s < this.space.nsegs; s++) {
        if (this.space.kind[s] === SegKind.Data && !this.space.open.has(s) && this.space.live[s]! > 0 && this.space.live[s]! < S * 0.9) victims.push(s);
      }
      victims.sort((a, b) => this.space.live[a]! - this.space.live[b]!);
      let moved = 0;
      for (const v of victims) {
        if (this.space.perKind[SegKind.Data]! - this.space.freeAfterCommit(SegKind.Data) <= budget) break;
        if (this.space.freeSegs < 2) break; // keep room to move into
        const start = this.space.segStart(v);
        const ct = await this.io.readBlocks(start, S);
        for (let i = 0; i < S; i++) {
          const lba = this.space.rev[start - this.space.segBase + i]!;
          if (lba < 0 || this.fwd[lba] !== start + i) continue;
          const val = await this.lsm.lookup(lba);
          if (!val || valueHba(val) !== start + i) throw new BlockError("Corrupted", `GC: index disagrees for LBA ${lba}`);
          const key = val.slice(V_KEY, V_KEY + KEY_LEN);
          const iv = val.slice(V_IV, V_IV + IV_LEN);
          const tag = val.slice(V_TAG, V_TAG + TAG_LEN);
          if (this.headSeg < 0 || this.headOff >= S) await this.nextDataSeg();
          const off = this.headOff++;
          const hba = this.space.segStart(this.headSeg) + off;
          this.staging.set(ct.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE), off * BLOCK_SIZE);
          this.remap(lba, hba);
          this.lsm.mem.putFields(lba, hba, key, iv, tag);
          moved++;
        }
      }
      this.stats.gcBlocksMoved += moved;
      this.stats.gcRuns++;
    } finally {
      this.inGc = false;
    }
  }

  private async maybeFlushMem(): Promise<void> {
    if (this.lsm.mem.size < this.lsm.opts.memtableRecords) return;
    await this.lsm.flushMem();
    // The MemTable (including what the WAL logged) now lives in an SST: start a new WAL. The old
    // WAL stays intact on disk until the next sync commits the SST.
    const old = this.wal;
    for (let i = 0; i < old.nblocks; i++) this.space.release(walHba(this.space, old, i));
    for (const s of old.segs) this.space.closeSeg(s);
    this.wal = emptyWal(this.ids.next++, randomPool.fresh(KEY_LEN));
  }

  async flush(): Promise<void> {
    return this.locked(() => this.flushStaging());
  }

  async sync(): Promise<void> {
    return this.locked(async () => {
      const edits = this.lsm.pendingEdits();
      const mem = this.lsm.mem;
      const committedWal = this.journal.state.wal;
      const unchanged = mem.dirtyCount === 0 && edits.added.length === 0 && edits.removed.length === 0 && this.wal.id === committedWal.id;
      if (unchanged) return;
      await this.flushStaging();
      const dirty = mem.dirtySlots();
      const lbas = new Float64Array(dirty.length);
      for (let i = 0; i < dirty.length; i++) lbas[i] = mem.lbas[dirty[i]!]!;
      this.stats.walBlocksWritten += await appendWal(this.io, this.space, this.wal, lbas, (i) => mem.valueAt(dirty[i]!));
      mem.markAllInWal();
      await this.io.sync(); // barrier: data, SSTs and WAL are durable before the commit record
      const syncId = this.journal.state.syncId + 1;
      await this.journal.commit({ syncId, nextId: this.ids.next, wal: cloneWal(this.wal), removed: edits.removed, added: edits.added });
      await this.io.sync(); // the commit itself is durable
      await this.counter?.advance(BigInt(syncId));
      this.lsm.committed();
      this.space.commit();
      this.stats.syncs++;
    });
  }

  // ---- reads ----

  async read(lba: Lba, buf: Uint8Array): Promise<void> {
    const n = checkRange(this, lba, buf);
    return this.locked(() => this.readBlocks([{ lba, n, buf }]));
  }

  async readv(reqs: ReadonlyArray<{ lba: Lba; buf: Uint8Array }>): Promise<void> {
    const runs = reqs.map((r) => ({ lba: r.lba, n: checkRange(this, r.lba, r.buf), buf: r.buf }));
    return this.locked(() => this.readBlocks(runs));
  }

  private async readBlocks(runs: ReadonlyArray<{ lba: number; n: number; buf: Uint8Array }>): Promise<void> {
    interface Want {
      hba: number;
      val: Uint8Array;
      out: Uint8Array;
      lba: number;
    }
    const wants: Want[] = [];
    for (const r of runs) {
      for (let i = 0; i < r.n; i++) {
        const out = r.buf.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
        const hba = this.fwd[r.lba + i]!;
        if (hba === 0) {
          out.fill(0);
          continue;
        }
        const val = await this.lsm.lookup(r.lba + i);
        if (!val || valueHba(val) !== hba) throw new BlockError("Corrupted", `index lookup for LBA ${r.lba + i} disagrees with the block map`);
        wants.push({ hba, val, out, lba: r.lba + i });
      }
    }
    // Staged blocks decrypt from memory; the rest are read in runs of consecutive HBAs.
    wants.sort((a, b) => a.hba - b.hba);
    const headStart = this.headSeg >= 0 ? this.space.segStart(this.headSeg) : -1;
    const jobs: Promise<void>[] = [];
    let i = 0;
    while (i < wants.length) {
      const w = wants[i]!;
      if (headStart >= 0 && w.hba >= headStart && w.hba < headStart + this.headOff) {
        const off = w.hba - headStart;
        this.decrypt(w, this.staging.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE));
        i++;
        continue;
      }
      let e = i + 1;
      while (e < wants.length && wants[e]!.hba === wants[e - 1]!.hba + 1 && e - i < 256 && !(headStart >= 0 && wants[e]!.hba === headStart)) e++;
      const group = wants.slice(i, e);
      jobs.push(
        this.io.readBlocks(w.hba, e - i).then((ct) => {
          group.forEach((g, k) => this.decrypt(g, ct.subarray(k * BLOCK_SIZE, (k + 1) * BLOCK_SIZE)));
        }),
      );
      i = e;
    }
    await Promise.all(jobs);
  }

  private decrypt(w: { val: Uint8Array; out: Uint8Array; lba: number; hba: number }, ct: Uint8Array): void {
    const v = w.val;
    decryptData(v.subarray(V_KEY, V_KEY + KEY_LEN), v.subarray(V_IV, V_IV + IV_LEN), v.subarray(V_TAG, V_TAG + TAG_LEN), ct, w.out, `data block of LBA ${w.lba} (host block ${w.hba})`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Wait for in-flight operations; unsynced writes are discarded by design (no implicit sync).
    await this.lock.catch(() => undefined);
    this.closed = true;
    await this.io.file.close();
  }

  // ---- tools ----

  /** Layout, space use and write amplification (for the disk tool). */
  inspect(): SwornDiskInspect {
    const r = regions(this.sb);
    const c = this.space.counts();
    let live = 0;
    let pinned = 0;
    for (let s = 0; s < this.space.nsegs; s++) {
      live += this.space.live[s]!;
      pinned += this.space.pinned[s]!;
    }
    let mapped = 0;
    for (let i = 0; i < this.nblocks; i++) if (this.fwd[i] !== 0) mapped++;
    const hostBlocks = this.stats.dataBlocksWritten + this.stats.walBlocksWritten + this.lsm.stats.sstBlocksWritten + this.journal.blocksWritten;
    return {
      layout: {
        nblocks: this.nblocks,
        segmentBlocks: this.S,
        segments: this.space.nsegs,
        regions: { superblocks: [0, 2], checkpointA: [r.ckptA, r.ckptB], checkpointB: [r.ckptB, r.journal], journal: [r.journal, r.segBase], segments: [r.segBase, r.total] },
        hostBytes: r.total * BLOCK_SIZE,
      },
      syncId: this.journal.state.syncId,
      space: { segments: c, liveBlocks: live, pinnedBlocks: pinned, mappedLbas: mapped, utilization: mapped / this.nblocks },
      index: {
        memtableRecords: this.lsm.mem.size,
        levels: this.lsm.levels.map((lv) => ({ ssts: lv.length, records: lv.reduce((n, s) => n + s.desc.nrecords, 0) })),
        wal: { id: this.wal.id, blocks: this.wal.nblocks },
        ...this.lsm.stats,
      },
      journal: this.journal.info(),
      writes: {
        ...this.stats,
        sstBlocksWritten: this.lsm.stats.sstBlocksWritten,
        journalBlocksWritten: this.journal.blocksWritten,
        writeAmplification: this.stats.userBlocksWritten ? hostBlocks / this.stats.userBlocksWritten : 0,
      },
    };
  }

  /**
   * Full verification of every reachable block: both superblocks, the durable journal, the WAL,
   * every SST block, and every mapped data block (decrypted and MAC-checked). Never throws for a
   * bad block: returns the list of problems.
   */
  async check(): Promise<{ ok: boolean; errors: string[]; checked: Record<string, number> }> {
    return this.locked(async () => {
      const errors: string[] = [];
      const checked = { superblocks: 0, journalSyncId: 0, walBlocks: 0, sstBlocks: 0, dataBlocks: 0 };
      const note = (e: unknown): void => void errors.push(e instanceof Error ? e.message : String(e));
      await this.flushStaging();
      try {
        const sbs = await this.io.readBlocks(0, 2);
        const a = decodeSuperblock(sbs.subarray(0, BLOCK_SIZE), this.rootKey, "superblock A");
        const b = decodeSuperblock(sbs.subarray(BLOCK_SIZE), this.rootKey, "superblock B");
        if (!sameSuperblock(a, b) || !sameSuperblock(a, this.sb)) errors.push("superblock copies disagree");
        checked.superblocks = 2;
      } catch (e) {
        note(e);
      }
      try {
        checked.journalSyncId = await Journal.verify(this.io, this.sb);
        if (checked.journalSyncId !== this.journal.state.syncId) errors.push(`journal recovers sync ${checked.journalSyncId}, expected ${this.journal.state.syncId}`);
      } catch (e) {
        note(e);
      }
      try {
        await readWal(this.io, this.space, this.journal.state.wal, () => undefined);
        checked.walBlocks = this.journal.state.wal.nblocks;
      } catch (e) {
        note(e);
      }
      for (const lv of this.lsm.levels) {
        for (const sst of lv) {
          try {
            await sst.readAll(this.io);
            checked.sstBlocks += sst.nblocks + sst.metaHbas.length;
          } catch (e) {
            note(e);
          }
        }
      }
      const buf = new Uint8Array(BLOCK_SIZE);
      for (let lba = 0; lba < this.nblocks; lba++) {
        if (this.fwd[lba] === 0) continue;
        try {
          await this.readBlocks([{ lba, n: 1, buf }]);
          checked.dataBlocks++;
        } catch (e) {
          note(e);
        }
      }
      return { ok: errors.length === 0, errors, checked };
    });
  }
}

export interface SwornDiskInspect {
  layout: {
    nblocks: number;
    segmentBlocks: number;
    segments: number;
    regions: Record<string, [number, number]>;
    hostBytes: number;
  };
  syncId: number;
  space: { segments: Record<string, number>; liveBlocks: number; pinnedBlocks: number; mappedLbas: number; utilization: number };
  index: Record<string, unknown>;
  journal: Record<string, number>;
  writes: Record<string, number>;
}

function cloneWal(w: WalDesc): WalDesc {
  return { id: w.id, key: w.key, segs: [...w.segs], nblocks: w.nblocks, tailTag: w.tailTag };
}

function checkKey(k: Uint8Array): void {
  if (!(k instanceof Uint8Array) || k.length !== 32) throw new BlockError("InvalidArgument", "rootKey must be 32 bytes");
}

function sameSuperblock(a: Superblock, b: Superblock): boolean {
  return (
    bytesEqual(a.instanceId, b.instanceId) &&
    bytesEqual(a.journalKey, b.journalKey) &&
    bytesEqual(a.checkpointKey, b.checkpointKey) &&
    a.nblocks === b.nblocks &&
    a.segBlocks === b.segBlocks &&
    a.nsegs === b.nsegs &&
    a.journalBlocks === b.journalBlocks &&
    a.checkpointBlocks === b.checkpointBlocks &&
    a.dataSegs === b.dataSegs
  );
}

export { VALUE_SIZE };
