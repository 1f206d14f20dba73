/**
 * Layer 5 of SwornDisk: the trusted log-structured block device.
 *
 * Write: each 4 KiB block gets a fresh random key and IV and is staged in the open data segment
 * (data-log.ts: out of place, encrypted in batches with AES-256-GCM, written to the host as large
 * runs); its record LBA -> (HBA, key, IV, tag) goes to the MemTable. The superseded block is
 * released through Space: freed now if it was never synced, else only after the next sync.
 *
 * Sync (the only commit point): seal + write staged data -> install a MemTable flush in progress
 * -> WAL append of the unlogged records -> host sync (barrier) -> journal edit group {sync id,
 * WAL tail, SST catalog edits} -> host sync -> trusted counter advance -> delayed frees become
 * free.
 *
 * MemTable flush (off the write path): a full MemTable is frozen and a new MemTable and WAL start
 * at once; the frozen one stays searchable while its SST is built and written in the background
 * (lsm.ts), once the tags of its blocks arrive. The next write (or sync) installs it.
 *
 * A crash anywhere recovers exactly the last journaled sync: MemTable flushes, compactions,
 * cleaning and hole filling between syncs only write where nothing durable points, and nothing
 * durable points at them until the next commit.
 *
 * Open: recovery.ts. Cleaning: segments with at most half their blocks live are cleaned at sync
 * (so that commit frees them at once); when no free segment is left, threaded logging fills the
 * holes of the emptiest segments instead (SwornDisk §6).
 */

import { BLOCK_SIZE, BlockError, checkRange, type BlockDevice, type Lba } from "../block-device.ts";
import type { HostFile } from "../host-file.ts";
import type { TrustedCounterStore } from "./counter.ts";
import { decryptData, IV_LEN, KEY_LEN, randomPool, TAG_LEN } from "./crypto.ts";
import { cryptoPool, KIV_LEN } from "./crypto-pool.ts";
import { BlockIo } from "./io.ts";
import { emptyWal, Journal, type WalDesc } from "./journal.ts";
import { computeLayout, encodeSuperblock, newSuperblock, regions, type LayoutOptions, type Superblock } from "./layout.ts";
import { Lsm, type LsmOptions } from "./lsm.ts";
import { V_IV, V_KEY, V_TAG, VALUE_SIZE, valueHba } from "./memtable.ts";
import { DataLog } from "./data-log.ts";
import { readSuperblock, recover, sameSuperblock } from "./recovery.ts";
import { SegKind, type Space } from "./space.ts";
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
  private readonly dlog: DataLog;
  /** User blocks written since the last sync (bounds the GC work done at a sync). */
  private sinceSync = 0;
  private inGc = false;
  /** The background build of a frozen MemTable's SST (never rejects), or null. */
  private flushTask: Promise<void> | null = null;
  /** Staged blocks whose tags the frozen MemTable needs (DataLog.stagedBlocks at the freeze). */
  private flushTarget = 0;
  /** Data segments the GC tries to keep free-or-reclaimable (half of the spare space). */
  private readonly gcHeadroom: number;
  private lock: Promise<void> = Promise.resolve();
  private ownPhase: "idle" | "write" | "gc" | "sync" = "idle";
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
    this.dlog = new DataLog(io, space, (hba, tags, off) => this.sealed(hba, tags, off));
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
    const r = await recover(file, opts, toLsmOptions(opts));
    const disk = new SwornDisk(r.io, r.sb, r.journal, r.space, r.lsm, r.fwd, r.ids, opts);
    // Worker start-up and warm-up belong to opening the device (as fio lays out its files before
    // timing), not to its first writes.
    await cryptoPool.ready();
    // A fragmented image: clean now and commit. The commit changes no block's contents (only
    // where ciphertexts live), so it is the same logical state as the recovered sync.
    if (disk.needGc()) await disk.sync();
    return disk;
  }

  /** What the disk is doing right now (crash tests classify host-write cut points by it). */
  get phase(): string {
    if (this.lsm.phase !== "idle") return this.lsm.phase;
    if (this.lsm.flushWriting) return "flush";
    return this.ownPhase;
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
      this.ownPhase = "idle";
      this.lsm.phase = "idle";
      release();
    }
  }

  // ---- writes ----

  async write(lba: Lba, buf: Uint8Array): Promise<void> {
    const n = checkRange(this, lba, buf);
    return this.locked(async () => {
      this.ownPhase = "write";
      await this.writeBlocks(lba, n, buf);
      await this.maybeFlushMem();
      this.ownPhase = "idle";
    });
  }

  async writev(reqs: ReadonlyArray<{ lba: Lba; buf: Uint8Array }>): Promise<void> {
    const ns = reqs.map((r) => checkRange(this, r.lba, r.buf));
    return this.locked(async () => {
      this.ownPhase = "write";
      for (let i = 0; i < reqs.length; i++) await this.writeBlocks(reqs[i]!.lba, ns[i]!, reqs[i]!.buf);
      await this.maybeFlushMem();
      this.ownPhase = "idle";
    });
  }

  private async writeBlocks(lba: number, n: number, buf: Uint8Array): Promise<void> {
    const mem = this.lsm.mem;
    const dlog = this.dlog;
    dlog.poll(); // queue the previous segment's host write as soon as it is encrypted
    let i = 0;
    while (i < n) {
      let off = dlog.nextSlot();
      if (off < 0) off = await this.nextDataSeg();
      // A run of consecutive slots: one copy and one random draw for all its keys and IVs.
      const run = dlog.stagePlain(off, buf.subarray(i * BLOCK_SIZE), n - i);
      const hba = dlog.hbaOf(off);
      for (let k = 0; k < run; k++) this.remap(lba + i + k, hba + k);
      // The tags arrive when the staged batch is encrypted (sealed()).
      mem.putRun(lba + i, hba, run, dlog.keyIvTable, off * KIV_LEN);
      i += run;
    }
    this.stats.userBlocksWritten += n;
    this.sinceSync += n;
  }

  /** A staged block was encrypted: store its tag in the record, if the block is still current. */
  private sealed(hba: number, tags: Uint8Array, tagOff: number): void {
    const lba = this.space.rev[hba - this.space.segBase]!;
    if (lba < 0 || this.fwd[lba] !== hba) return; // overwritten or trimmed meanwhile: dead block
    // The record is in the MemTable, or (staged before a freeze) in the frozen one.
    let mem = this.lsm.mem;
    let slot = mem.get(lba);
    if ((slot < 0 || mem.hbaAt(slot) !== hba) && this.lsm.imm) {
      mem = this.lsm.imm;
      slot = mem.get(lba);
    }
    if (slot < 0 || mem.hbaAt(slot) !== hba) throw new BlockError("Corrupted", `staged block of LBA ${lba} lost its MemTable record`);
    mem.setTag(slot, tags, tagOff);
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

  /** Write the staged data blocks to the host. */
  private async flushStaging(): Promise<void> {
    await this.dlog.flush();
    this.stats.dataBlocksWritten = this.dlog.blocksWritten;
  }

  /** Sync-time cleaning is due: too few data segments would be free after the commit. */
  private needGc(): boolean {
    return this.space.perKind[SegKind.Data]! - this.space.freeAfterCommit(SegKind.Data) > this.sb.dataSegs - this.gcHeadroom;
  }

  /** Open the next data head; returns its first slot. */
  private async nextDataSeg(): Promise<number> {
    await this.dlog.close();
    if (!this.inGc && this.space.perKind[SegKind.Data]! >= this.sb.dataSegs) {
      // Between syncs only segments holding nothing the last sync references can be reclaimed
      // at once (moving a synced block pins its old copy until the next commit).
      await this.gc("unsynced");
      const off = this.dlog.nextSlot(); // GC may have opened a head: keep filling it
      if (off >= 0) return off;
      await this.dlog.close();
    }
    // User writes stay within the data budget; GC moves may borrow from the spare segments.
    const overBudget = !this.inGc && this.space.perKind[SegKind.Data]! >= this.sb.dataSegs;
    if (!overBudget && this.space.freeSegs > 0) {
      this.dlog.open(this.space.allocSeg(SegKind.Data), false);
      return this.dlog.nextSlot();
    }
    // Threaded logging: fill the holes of the data segment that has the most.
    let best = -1;
    let bestHoles = 0;
    for (let s = 0; s < this.space.nsegs; s++) {
      if (this.space.kind[s] !== SegKind.Data || this.space.open.has(s)) continue;
      const h = this.space.holes(s);
      if (h > bestHoles) {
        best = s;
        bestHoles = h;
      }
    }
    if (best >= 0) {
      this.dlog.open(best, true);
      const off = this.dlog.nextSlot();
      if (off >= 0) return off;
      await this.dlog.close();
    }
    throw new BlockError("OutOfDisk", `no free data block (${this.space.freeAfterCommit()} segments become free at the next sync)`);
  }

  /** True if every live block of `seg` was written after the last commit (and none is pinned). */
  private unsyncedOnly(seg: number): boolean {
    if (this.space.pinned[seg] !== 0) return false;
    const rel = seg * this.S;
    for (let i = 0; i < this.S; i++) if (this.space.rev[rel + i]! >= 0 && !this.space.fresh[rel + i]) return false;
    return true;
  }

  /**
   * Segment cleaning: move the live blocks of the emptiest data segments (ciphertext verbatim,
   * same key and MAC) to the data head and remap them as new MemTable records. Mode "sync" runs
   * just before a commit, which then frees the victims; mode "unsynced" (between syncs, when the
   * data budget is exhausted) only takes victims whose blocks are all unsynced, freed at once.
   */
  private async gc(mode: "sync" | "unsynced"): Promise<void> {
    this.inGc = true;
    const before = this.ownPhase;
    this.ownPhase = "gc";
    try {
      // Victims and threaded logging consider every segment left so far as closed.
      await this.dlog.finishClosed();
      const S = this.S;
      const budget = this.sb.dataSegs - this.gcHeadroom;
      const victims: number[] = [];
      for (let s = 0; s < this.space.nsegs; s++) {
        if (this.space.kind[s] !== SegKind.Data || this.space.open.has(s)) continue;
        const live = this.space.live[s]!;
        // Only cheap victims: fuller segments are reused by threaded logging instead.
        if (live === 0 || live > S / 2) continue;
        if (mode === "unsynced" && !this.unsyncedOnly(s)) continue;
        victims.push(s);
      }
      victims.sort((a, b) => this.space.live[a]! - this.space.live[b]!);
      let moved = 0;
      for (const v of victims) {
        if (mode === "sync" && this.space.perKind[SegKind.Data]! - this.space.freeAfterCommit(SegKind.Data) <= budget) break;
        if (mode === "unsynced" && this.space.perKind[SegKind.Data]! < this.sb.dataSegs - 1) break;
        if (this.space.freeSegs < 2) break; // keep room to move into
        if (mode === "sync" && moved >= Math.max(S, this.sinceSync)) break; // bound the work per sync
        moved += await this.moveLive(v);
      }
      this.stats.gcBlocksMoved += moved;
      this.stats.gcRuns++;
    } finally {
      this.inGc = false;
      this.ownPhase = before;
    }
  }

  private async moveLive(seg: number): Promise<number> {
    const S = this.S;
    const start = this.space.segStart(seg);
    const ct = await this.io.readBlocks(start, S);
    let moved = 0;
    for (let i = 0; i < S; i++) {
      const lba = this.space.rev[start - this.space.segBase + i]!;
      if (lba < 0 || this.fwd[lba] !== start + i) continue;
      const val = await this.lsm.lookup(lba);
      if (!val || valueHba(val) !== start + i) throw new BlockError("Corrupted", `GC: index disagrees for LBA ${lba}`);
      const key = val.slice(V_KEY, V_KEY + KEY_LEN);
      const iv = val.slice(V_IV, V_IV + IV_LEN);
      const tag = val.slice(V_TAG, V_TAG + TAG_LEN);
      let off = this.dlog.nextSlot();
      if (off < 0) off = await this.nextDataSeg();
      this.dlog.slot(off).set(ct.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
      const hba = this.dlog.take(off);
      this.remap(lba, hba);
      this.lsm.mem.putFields(lba, hba, key, iv, tag);
      moved++;
    }
    return moved;
  }

  private async maybeFlushMem(): Promise<void> {
    if (this.lsm.flushDone) await this.finishFlush();
    if (this.lsm.mem.size < this.lsm.opts.memtableRecords) return;
    if (this.lsm.flushing) await this.finishFlush(); // one flush at a time
    // Freeze: the records stay searchable in the frozen MemTable until its SST is installed,
    // and the sync after this point installs it before committing. Records must carry their
    // tags before they go into an SST: the build waits for the blocks staged so far.
    this.lsm.freeze();
    this.flushTarget = this.dlog.stagedBlocks;
    this.startFlush();
    // The frozen MemTable (including what the WAL logged) goes to an SST: start a new WAL. The
    // old WAL stays intact on disk until the next sync commits the SST.
    const old = this.wal;
    for (let i = 0; i < old.nblocks; i++) this.space.release(walHba(this.space, old, i));
    for (const s of old.segs) this.space.closeSeg(s);
    this.wal = emptyWal(this.ids.next++, randomPool.fresh(KEY_LEN));
  }

  private startFlush(): void {
    this.flushTask = this.lsm.buildFrozen(this.dlog.whenReported(this.flushTarget));
  }

  /**
   * Wait for the flush in progress (making its tags complete if need be) and install it. After
   * a failed build (e.g. OutOfDisk for its index blocks) the frozen MemTable stays and this
   * builds it again.
   */
  private async finishFlush(): Promise<void> {
    if (!this.lsm.flushing) return;
    if (!this.flushTask || this.lsm.flushNeedsBuild) this.startFlush();
    if (this.dlog.reportedBlocks < this.flushTarget) await this.dlog.seal();
    const task = this.flushTask!;
    await task;
    this.flushTask = null;
    await this.lsm.installFrozen();
  }

  async flush(): Promise<void> {
    return this.locked(() => this.flushStaging());
  }

  async sync(): Promise<void> {
    return this.locked(() =>
      this.syncLocked().catch((e: unknown) => {
        // A failed sync leaves the in-memory state ahead of the disk: reopen to recover.
        this.broken = e instanceof BlockError ? e : new BlockError("IoError", String(e));
        throw this.broken;
      }),
    );
  }

  /** Nothing to commit: no unlogged record, no catalog edit, same WAL. */
  private unchanged(): boolean {
    const e = this.lsm.pendingEdits();
    return this.lsm.mem.dirtyCount === 0 && e.added.length === 0 && e.removed.length === 0 && this.wal.id === this.journal.state.wal.id;
  }

  private async syncLocked(): Promise<void> {
    if (this.unchanged() && !this.needGc()) return;
    this.ownPhase = "sync";
    await this.dlog.finishClosed(); // the segment left last is encrypted and queued for writing
    // Clean segments now: this commit then frees the victims at once instead of a sync later.
    if (this.needGc()) await this.gc("sync");
    if (this.unchanged()) return; // (no victim was worth moving)
    await this.flushStaging();
    // The commit must carry the SST of a flush in progress: its records left the WAL.
    await this.finishFlush();
    const mem = this.lsm.mem;
    const dirty = mem.dirtySlots();
    const lbas = new Float64Array(dirty.length);
    for (let i = 0; i < dirty.length; i++) lbas[i] = mem.lbas[dirty[i]!]!;
    this.stats.walBlocksWritten += await appendWal(this.io, this.space, this.wal, lbas, (i) => mem.valueAt(dirty[i]!));
    mem.markAllInWal();
    await this.io.sync(); // barrier: data, SSTs and WAL are durable before the commit record
    const syncId = this.journal.state.syncId + 1;
    const edits = this.lsm.pendingEdits();
    await this.journal.commit({ syncId, nextId: this.ids.next, wal: cloneWal(this.wal), removed: edits.removed, added: edits.added });
    await this.io.sync(); // the commit itself is durable
    await this.counter?.advance(BigInt(syncId));
    this.lsm.committed();
    this.space.commit();
    this.sinceSync = 0;
    this.stats.syncs++;
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
    // Staged blocks decrypt from memory; the rest are read in runs of consecutive HBAs. A block
    // still being encrypted in the background is readable once its batch is sealed.
    if (wants.some((w) => this.dlog.staged(w.hba) === "busy")) await this.dlog.seal();
    wants.sort((a, b) => a.hba - b.hba);
    const jobs: Promise<void>[] = [];
    let i = 0;
    while (i < wants.length) {
      const w = wants[i]!;
      const st = this.dlog.staged(w.hba);
      if (st === "busy") throw new BlockError("Corrupted", `staged block ${w.hba} still being encrypted`);
      if (st) {
        if (st.plain) w.out.set(st.data); // not yet encrypted: trusted memory
        else this.decrypt(w, st.data);
        i++;
        continue;
      }
      let e = i + 1;
      while (e < wants.length && wants[e]!.hba === wants[e - 1]!.hba + 1 && e - i < 256 && !this.dlog.staged(wants[e]!.hba)) e++;
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
    await this.dlog.drain(); // (also abandons a flush still waiting for tags)
    await this.flushTask; // its host writes, if it got that far
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
        dataHostWrites: this.dlog.hostWrites,
        holeSegments: this.dlog.holeSegments,
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
        if (!sameSuperblock(await readSuperblock(this.io, this.rootKey), this.sb)) errors.push("superblock changed since open");
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


export { VALUE_SIZE };
