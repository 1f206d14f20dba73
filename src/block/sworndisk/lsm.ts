/**
 * Layer 4 of SwornDisk: the secure LSM index LBA -> (HBA, key, IV, tag).
 *
 * MemTable (+ WAL, managed by the disk) on top of levels of immutable SSTs: L0 holds MemTable
 * flushes (overlapping, newest first), L1.. hold sorted non-overlapping runs. Compaction merges
 * L0 + L1 into L1 when L0 has `l0Max` tables, and a level into the next when it outgrows its
 * budget (10x per level). When no two tables of the two levels overlap (sequential writes), the
 * tables move down by a catalog edit instead (trivial move: nothing read, merged or rewritten).
 * New SSTs go to free index segments only; the SSTs they replace are released through Space
 * (delayed reclamation), and the catalog change is journaled at the next sync together with
 * everything else, so flushes and compactions between syncs never create a recoverable state of
 * their own.
 *
 * A MemTable flush runs off the write path: `freeze` makes the full MemTable immutable (`imm`,
 * searched between the MemTable and the SSTs) and starts an empty one at once; `buildFrozen`
 * builds its SST in slices (yielding to the event loop, so writes go on) and writes it once the
 * disk reports every frozen record's tag; `installFrozen` (under the disk's lock) puts it in L0
 * and compacts. The disk's sync installs a flush in progress before it commits.
 */

import { BLOCK_SIZE, BlockError } from "../block-device.ts";
import type { BlockIo } from "./io.ts";
import type { SstDesc } from "./journal.ts";
import { MemTable, VALUE_SIZE, valueHba } from "./memtable.ts";
import { buildSstSliced, findInBlock, MAX_SST_RECORDS, type RecordArray, Sst, sstBlockCount } from "./sst.ts";
import { SegKind, type Space } from "./space.ts";

export interface LsmOptions {
  /** MemTable records before a flush to L0 (default 65536). */
  memtableRecords: number;
  /** L0 tables that trigger an L0 -> L1 compaction (default 4). */
  l0Max: number;
  /** Records allowed in L1 before it is merged down (default 10 x memtableRecords); x10 per level. */
  l1Records: number;
  /** Largest SST written by compaction (records). */
  sstRecords: number;
  /** Decrypted record blocks kept in the LRU cache. */
  cacheBlocks: number;
  maxLevels: number;
}

export interface LsmStats {
  flushes: number;
  compactions: number;
  /** Compactions done by re-leveling disjoint tables (no I/O). */
  trivialMoves: number;
  sstBlocksWritten: number;
  cacheHits: number;
  cacheMisses: number;
}

/** Record blocks sealed per slice of a background flush (~0.5 ms of work between yields). */
const FLUSH_SLICE = 64;

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A background flush: its SST once written, or the error that stopped it. */
interface Frozen {
  done: boolean;
  sst: Sst | null;
  lbas: Float64Array | null;
  error: unknown;
}

export class Lsm {
  mem: MemTable;
  /** The frozen MemTable being flushed, or null. Read-only once its tags are complete. */
  imm: MemTable | null = null;
  /** A cleared MemTable for the next freeze (two arenas alternate instead of a fresh one). */
  private spare: MemTable | null = null;
  private frozen: Frozen | null = null;
  /** levels[0]: newest first; levels[i>0]: sorted by minLba, non-overlapping. */
  levels: Sst[][];
  private readonly io: BlockIo;
  private readonly space: Space;
  readonly opts: LsmOptions;
  private readonly cache = new Map<number, Uint8Array>();
  private headSeg = -1;
  private headOff = 0;
  /** Catalog changes since the last commit. */
  private added = new Map<number, SstDesc>();
  private removed: number[] = [];
  /** Shared id allocator (SST and WAL ids come from one journaled counter). */
  private readonly ids: { next: number };
  /**
   * Per LBA: id of the SST holding its newest record (0 = unknown). An exact in-memory location
   * cache, so a lookup probes one SST instead of every L0 table and a level each.
   */
  private readonly loc: Uint32Array;
  private readonly byId = new Map<number, Sst>();
  /** What the LSM is doing right now (crash tests classify cut points by it). */
  phase: "idle" | "flush" | "compaction" = "idle";
  /** A background flush's SST writes are in flight (its own phase, beside the disk's). */
  flushWriting = false;
  readonly stats: LsmStats = { flushes: 0, compactions: 0, trivialMoves: 0, sstBlocksWritten: 0, cacheHits: 0, cacheMisses: 0 };

  constructor(io: BlockIo, space: Space, opts: LsmOptions, ids: { next: number }, nblocks: number, levels: Sst[][] = []) {
    this.io = io;
    this.space = space;
    this.opts = opts;
    this.ids = ids;
    this.mem = new MemTable(Math.min(opts.memtableRecords, 1 << 16), nblocks);
    this.levels = levels;
    while (this.levels.length < opts.maxLevels) this.levels.push([]);
    this.loc = new Uint32Array(nblocks);
    for (const lv of levels) for (const sst of lv) this.byId.set(sst.desc.id, sst);
  }

  /** Open the catalog's SSTs (verifying roots and fences) into levels. */
  static async openLevels(io: BlockIo, descs: readonly SstDesc[], maxLevels: number): Promise<Sst[][]> {
    const levels: Sst[][] = [];
    for (let i = 0; i < maxLevels; i++) levels.push([]);
    for (const d of descs) {
      if (d.level >= maxLevels) throw new BlockError("Corrupted", `SST ${d.id} at level ${d.level}`);
      levels[d.level]!.push(await Sst.open(io, d));
    }
    levels[0]!.sort((a, b) => b.desc.id - a.desc.id);
    for (let l = 1; l < maxLevels; l++) {
      const lv = levels[l]!;
      lv.sort((a, b) => a.desc.minLba - b.desc.minLba);
      for (let i = 1; i < lv.length; i++) {
        if (lv[i]!.desc.minLba <= lv[i - 1]!.desc.maxLba) throw new BlockError("Corrupted", `level ${l}: overlapping SSTs`);
      }
    }
    return levels;
  }

  /** Newest value of `lba` (a view valid until the next index operation), or null. */
  async lookup(lba: number): Promise<Uint8Array | null> {
    const slot = this.mem.get(lba);
    if (slot >= 0) return this.mem.valueAt(slot);
    const imm = this.imm;
    if (imm) {
      const s = imm.get(lba);
      if (s >= 0) return imm.valueAt(s);
    }
    const hint = this.byId.get(this.loc[lba]!);
    if (hint) {
      const v = await this.lookupSst(hint, lba);
      if (v) return v;
    }
    for (const sst of this.levels[0]!) {
      const v = await this.lookupSst(sst, lba);
      if (v) return v;
    }
    for (let l = 1; l < this.levels.length; l++) {
      const lv = this.levels[l]!;
      let lo = 0;
      let hi = lv.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const d = lv[mid]!.desc;
        if (lba < d.minLba) hi = mid - 1;
        else if (lba > d.maxLba) lo = mid + 1;
        else {
          const v = await this.lookupSst(lv[mid]!, lba);
          if (v) return v;
          break;
        }
      }
    }
    return null;
  }

  private async lookupSst(sst: Sst, lba: number): Promise<Uint8Array | null> {
    const b = sst.blockFor(lba);
    if (b < 0) return null;
    const ck = sst.desc.id * 65536 + b;
    let p = this.cache.get(ck);
    if (p) {
      this.stats.cacheHits++;
      this.cache.delete(ck);
      this.cache.set(ck, p);
    } else {
      this.stats.cacheMisses++;
      const blk = await this.io.readBlocks(sst.hba[b]!, 1);
      p = sst.openRecordBlock(b, blk);
      this.cache.set(ck, p);
      if (this.cache.size > this.opts.cacheBlocks) this.cache.delete(this.cache.keys().next().value!);
    }
    const o = findInBlock(p, lba);
    return o < 0 ? null : p.subarray(o, o + VALUE_SIZE);
  }

  /** Allocate `n` index-log blocks (filling the open index segment first). */
  private allocIndex(n: number): number[] {
    const out: number[] = [];
    const S = this.space.S;
    while (out.length < n) {
      if (this.headSeg < 0 || this.headOff >= S) {
        if (this.headSeg >= 0) this.space.closeSeg(this.headSeg);
        this.headSeg = this.space.allocSeg(SegKind.Index);
        this.headOff = 0;
      }
      const hba = this.space.segStart(this.headSeg) + this.headOff++;
      this.space.use(hba);
      out.push(hba);
    }
    return out;
  }

  /**
   * Build and write an SST. `background` (a flush off the write path): built in slices, and
   * registered in the catalog only when installed.
   */
  private async writeSst(recs: RecordArray, level: number, background = false): Promise<Sst> {
    const id = this.ids.next++;
    const hbas = this.allocIndex(sstBlockCount(recs.n));
    const steps = buildSstSliced(recs, id, level, hbas, background ? FLUSH_SLICE : Infinity);
    let step = steps.next();
    while (!step.done) {
      await nextTurn();
      step = steps.next();
    }
    const { desc, blocks } = step.value;
    const writes: Promise<void>[] = [];
    let i = 0;
    while (i < hbas.length) {
      let e = i + 1;
      while (e < hbas.length && hbas[e] === hbas[e - 1]! + 1) e++;
      writes.push(this.io.writeBlocks(hbas[i]!, blocks.subarray(i * BLOCK_SIZE, e * BLOCK_SIZE)));
      i = e;
    }
    if (background) this.flushWriting = true;
    try {
      await Promise.all(writes);
    } finally {
      if (background) this.flushWriting = false;
    }
    this.stats.sstBlocksWritten += hbas.length;
    if (!background) this.added.set(id, desc);
    // Decode the fences from the blocks just sealed instead of reading them back.
    const at = new Map(hbas.map((h, i) => [h, i]));
    const fromMemory = async (hba: number, n: number): Promise<Uint8Array> => {
      const i = at.get(hba)!;
      return blocks.slice(i * BLOCK_SIZE, (i + n) * BLOCK_SIZE);
    };
    return Sst.open({ readBlocks: fromMemory }, desc);
  }

  private dropSst(sst: Sst): void {
    const id = sst.desc.id;
    this.byId.delete(id);
    if (this.added.has(id)) this.added.delete(id);
    else this.removed.push(id);
    for (let b = 0; b < sst.nblocks; b++) {
      this.space.release(sst.hba[b]!);
      this.cache.delete(id * 65536 + b);
    }
    for (const h of sst.metaHbas) this.space.release(h);
  }

  /** A flush is in progress (frozen MemTable not yet installed). */
  get flushing(): boolean {
    return this.imm !== null;
  }

  /** The background flush finished (installFrozen will not wait). */
  get flushDone(): boolean {
    return this.frozen?.done === true;
  }

  /** A frozen MemTable waits for a (new) build: none started yet, or the last one failed. */
  get flushNeedsBuild(): boolean {
    return this.imm !== null && this.frozen === null;
  }

  /** Make the MemTable immutable (`imm`) and start an empty one. */
  freeze(): void {
    if (this.imm) throw new BlockError("InvalidArgument", "a MemTable flush is already in progress");
    this.imm = this.mem;
    this.mem = this.spare ?? new MemTable(Math.min(this.opts.memtableRecords, 1 << 16), this.loc.length);
    this.spare = null;
  }

  /**
   * Background half of a flush: once `tagsReady` resolves true (every frozen record carries its
   * tag), build the frozen MemTable's SST in slices and write it. Never rejects: an error is
   * kept for installFrozen. `tagsReady` false (the disk closed) abandons the flush.
   */
  async buildFrozen(tagsReady: Promise<boolean>): Promise<void> {
    if (!this.flushNeedsBuild) throw new BlockError("InvalidArgument", "no frozen MemTable to build");
    const f: Frozen = { done: false, sst: null, lbas: null, error: null };
    this.frozen = f;
    try {
      if (!(await tagsReady)) return;
      const recs = sortedRecords(this.imm!);
      f.sst = await this.writeSst(recs, 0, true);
      f.lbas = recs.lbas;
    } catch (e) {
      f.error = e;
    } finally {
      f.done = true;
    }
  }

  /**
   * Put the finished flush's SST into L0 (under the disk's lock) and compact if due. A failed
   * build throws its error and leaves the frozen MemTable in place for another build.
   */
  async installFrozen(): Promise<void> {
    const f = this.frozen;
    if (!f || !f.done) throw new BlockError("InvalidArgument", "no finished MemTable flush to install");
    this.frozen = null;
    if (f.error) throw f.error;
    if (!f.sst || !f.lbas) throw new BlockError("Closed", "MemTable flush abandoned");
    const sst = f.sst;
    this.added.set(sst.desc.id, sst.desc);
    this.levels[0]!.unshift(sst);
    this.locate(sst, { n: f.lbas.length, lbas: f.lbas, vals: new Uint8Array(0) });
    const imm = this.imm!;
    this.imm = null;
    imm.clear();
    this.spare = imm;
    this.stats.flushes++;
    await this.maybeCompact();
  }

  private levelRecords(l: number): number {
    return this.levels[l]!.reduce((n, s) => n + s.desc.nrecords, 0);
  }

  private deepestNonEmpty(): number {
    for (let l = this.levels.length - 1; l >= 0; l--) if (this.levels[l]!.length) return l;
    return -1;
  }

  async maybeCompact(): Promise<void> {
    if (this.levels[0]!.length >= this.opts.l0Max) await this.compact(0);
    for (let l = 1; l < this.levels.length - 1; l++) {
      if (this.levelRecords(l) > this.opts.l1Records * 10 ** (l - 1)) await this.compact(l);
    }
  }

  /**
   * Record that `sst` holds the newest records of `recs`' LBAs. With `from` (a compaction's
   * inputs), only for LBAs whose newest record was in those inputs: a newer L0 table may shadow
   * a lower-level merge.
   */
  private locate(sst: Sst, recs: RecordArray, from?: Set<number>): void {
    this.byId.set(sst.desc.id, sst);
    const id = sst.desc.id < 2 ** 32 ? sst.desc.id : 0;
    for (let i = 0; i < recs.n; i++) {
      const lba = recs.lbas[i]!;
      if (!from || this.loc[lba] === 0 || from.has(this.loc[lba]!)) this.loc[lba] = id;
    }
  }

  /** No two tables of levels l and l+1 overlap (each LBA is in at most one of them). */
  private disjoint(l: number): boolean {
    const all = [...this.levels[l]!, ...this.levels[l + 1]!].map((x) => x.desc).sort((a, b) => a.minLba - b.minLba);
    for (let i = 1; i < all.length; i++) if (all[i]!.minLba <= all[i - 1]!.maxLba) return false;
    return true;
  }

  /**
   * Trivial move (as in LevelDB): re-level the tables of level l as they are, by a catalog edit
   * alone (remove + add under the same id, journaled with the next sync). Same blocks, same key
   * and MACs, nothing written, nothing freed: a crash before that sync simply finds them at
   * level l. Tombstones are kept (they still shadow any older record below).
   */
  private moveDown(l: number): void {
    const to = l + 1;
    const moved: Sst[] = [];
    for (const sst of this.levels[l]!) {
      const m = sst.atLevel(to);
      const id = m.desc.id;
      if (!this.added.has(id)) this.removed.push(id);
      this.added.set(id, m.desc);
      this.byId.set(id, m);
      moved.push(m);
    }
    this.levels[l] = [];
    this.levels[to] = [...this.levels[to]!, ...moved].sort((a, b) => a.desc.minLba - b.desc.minLba);
    this.stats.trivialMoves++;
  }

  /** Merge all of level `l` into level l+1 (whole-level merge: simple and sync-safe). */
  async compact(l: number): Promise<void> {
    const to = l + 1;
    if (this.disjoint(l)) {
      // Sequential writes fill disjoint LBA ranges: nothing to merge.
      this.moveDown(l);
      return;
    }
    this.phase = "compaction";
    const inputs = [...this.levels[l]!, ...this.levels[to]!]; // newest first: L0 by id, then the lower level
    const dropTombstones = to >= this.deepestNonEmpty();
    const inputIds = new Set(inputs.map((x) => x.desc.id));
    let merged: RecordArray | null = null;
    for (const sst of inputs) {
      const recs = await sst.readAll(this.io);
      merged = merged ? mergeRuns(merged, recs) : recs;
    }
    if (!merged) return;
    if (dropTombstones) merged = dropDead(merged);
    const outs: Sst[] = [];
    const per = Math.min(this.opts.sstRecords, MAX_SST_RECORDS);
    for (let from = 0; from < merged.n; from += per) {
      const n = Math.min(per, merged.n - from);
      const part: RecordArray = { n, lbas: merged.lbas.subarray(from, from + n), vals: merged.vals.subarray(from * VALUE_SIZE, (from + n) * VALUE_SIZE) };
      const out = await this.writeSst(part, to);
      this.locate(out, part, inputIds);
      outs.push(out);
    }
    for (const sst of inputs) this.dropSst(sst);
    this.levels[l] = [];
    this.levels[to] = outs;
    this.stats.compactions++;
    this.phase = "idle";
  }

  /** Catalog edits since the last commit (for the journal). */
  pendingEdits(): { added: SstDesc[]; removed: number[] } {
    return { added: [...this.added.values()], removed: [...this.removed] };
  }

  committed(): void {
    this.added.clear();
    this.removed = [];
  }

  /** Iterate all records newest-first (MemTable, L0 newest first, then L1...): for recovery,
   * which also fills the location cache. */
  async forEachRecord(fn: (lba: number, v: Uint8Array, off: number) => boolean): Promise<void> {
    const slots = this.mem.size;
    for (let s = 0; s < slots; s++) fn(this.mem.lbas[s]!, this.mem.vals, s * VALUE_SIZE);
    for (const lv of this.levels) {
      for (const sst of lv) {
        const recs = await sst.readAll(this.io);
        const id = sst.desc.id < 2 ** 32 ? sst.desc.id : 0;
        // `fn` returns true for the newest record of an LBA: that SST is its location.
        for (let i = 0; i < recs.n; i++) if (fn(recs.lbas[i]!, recs.vals, i * VALUE_SIZE) && recs.lbas[i]! < this.loc.length) this.loc[recs.lbas[i]!] = id;
      }
    }
  }

  /** Host blocks of all SSTs (space accounting at open, and check()). */
  *sstBlocks(): Generator<number> {
    for (const lv of this.levels) for (const sst of lv) {
      for (let b = 0; b < sst.nblocks; b++) yield sst.hba[b]!;
      yield* sst.metaHbas;
    }
  }
}

/** A (frozen) MemTable's records in LBA order. */
function sortedRecords(m: MemTable): RecordArray {
  const slots = m.sortedSlots();
  const n = slots.length;
  const lbas = new Float64Array(n);
  let identity = true;
  for (let i = 0; i < n; i++) {
    const s = slots[i]!;
    lbas[i] = m.lbas[s]!;
    if (s !== i) identity = false;
  }
  // Slots in LBA order (sequential writes): the arena itself, no copy (the table is frozen).
  if (identity) return { n, lbas, vals: m.vals.subarray(0, n * VALUE_SIZE) };
  const vals = new Uint8Array(n * VALUE_SIZE);
  for (let i = 0; i < n; i++) vals.set(m.valueAt(slots[i]!), i * VALUE_SIZE);
  return { n, lbas, vals };
}

/** Merge two sorted runs; `newer` wins on equal LBAs. */
export function mergeRuns(newer: RecordArray, older: RecordArray): RecordArray {
  const cap = newer.n + older.n;
  const out: RecordArray = { n: 0, lbas: new Float64Array(cap), vals: new Uint8Array(cap * VALUE_SIZE) };
  let i = 0;
  let j = 0;
  let k = 0;
  // Values are copied a run at a time (one input supplies long runs when the LBA ranges of the
  // inputs barely overlap, as after sequential writes).
  while (i < newer.n || j < older.n) {
    const a = i < newer.n ? newer.lbas[i]! : Infinity;
    const b = j < older.n ? older.lbas[j]! : Infinity;
    if (a <= b) {
      const i0 = i;
      const k0 = k;
      // Take newer records up to the next older LBA (inclusive: newer wins on a tie).
      while (i < newer.n && newer.lbas[i]! < b) out.lbas[k++] = newer.lbas[i++]!;
      if (i < newer.n && newer.lbas[i]! === b) {
        out.lbas[k++] = newer.lbas[i++]!;
        j++;
      }
      out.vals.set(newer.vals.subarray(i0 * VALUE_SIZE, i * VALUE_SIZE), k0 * VALUE_SIZE);
    } else {
      const j0 = j;
      const k0 = k;
      while (j < older.n && older.lbas[j]! < a) out.lbas[k++] = older.lbas[j++]!;
      out.vals.set(older.vals.subarray(j0 * VALUE_SIZE, j * VALUE_SIZE), k0 * VALUE_SIZE);
    }
  }
  out.n = k;
  return out;
}

/** Remove tombstones (HBA 0) once nothing older can be shadowed. */
function dropDead(r: RecordArray): RecordArray {
  let k = 0;
  for (let i = 0; i < r.n; i++) {
    if (valueHba(r.vals, i * VALUE_SIZE) === 0) continue;
    if (k !== i) {
      r.lbas[k] = r.lbas[i]!;
      r.vals.copyWithin(k * VALUE_SIZE, i * VALUE_SIZE, (i + 1) * VALUE_SIZE);
    }
    k++;
  }
  return { n: k, lbas: r.lbas.subarray(0, k), vals: r.vals.subarray(0, k * VALUE_SIZE) };
}
