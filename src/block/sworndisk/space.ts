/**
 * Layer 3 of SwornDisk: segment allocation and block validity (in memory, derived at open).
 *
 * Segments are S contiguous host blocks written sequentially by one log head: the data log, the
 * SST (index) log or the WAL. Per segment: `live` = blocks the current state references,
 * `pinned` = blocks the last *committed* state references but the current one no longer does.
 * Delayed reclamation: a pinned block stays untouched until the next sync commits, so a crash
 * always finds the last synced state intact. Blocks allocated since the last commit ("fresh")
 * are referenced by no durable state and are released at once.
 */

import { BlockError } from "../block-device.ts";

export const SegKind = { Free: 0, Data: 1, Index: 2, Wal: 3 } as const;
export type SegKind = (typeof SegKind)[keyof typeof SegKind];

export class Space {
  readonly S: number;
  readonly nsegs: number;
  readonly segBase: number;
  readonly kind: Uint8Array;
  readonly live: Int32Array;
  readonly pinned: Int32Array;
  /** Per block (relative to segBase): allocated since the last commit. */
  readonly fresh: Uint8Array;
  /** Per block: pinned (the last commit references it, the current state does not). */
  readonly pinnedBit: Uint8Array;
  /** Per block: the LBA a live data block holds, else -1 (reverse index for GC). */
  readonly rev: Int32Array;
  /** Segments currently open for appending (never freed while open). */
  readonly open = new Set<number>();
  private cursor = 0;
  freeSegs: number;
  /** Segments per kind (index = SegKind). */
  readonly perKind = [0, 0, 0, 0];

  constructor(S: number, nsegs: number, segBase: number) {
    this.S = S;
    this.nsegs = nsegs;
    this.segBase = segBase;
    this.kind = new Uint8Array(nsegs);
    this.live = new Int32Array(nsegs);
    this.pinned = new Int32Array(nsegs);
    this.fresh = new Uint8Array(nsegs * S);
    this.pinnedBit = new Uint8Array(nsegs * S);
    this.rev = new Int32Array(nsegs * S).fill(-1);
    this.freeSegs = nsegs;
    this.perKind[SegKind.Free] = nsegs;
  }

  private setKind(seg: number, k: SegKind): void {
    this.perKind[this.kind[seg]!]!--;
    this.perKind[k]!++;
    this.kind[seg] = k;
    this.freeSegs = this.perKind[SegKind.Free]!;
  }

  segOf(hba: number): number {
    return Math.floor((hba - this.segBase) / this.S);
  }

  segStart(seg: number): number {
    return this.segBase + seg * this.S;
  }

  inRange(hba: number): boolean {
    return Number.isSafeInteger(hba) && hba >= this.segBase && hba < this.segBase + this.nsegs * this.S;
  }

  /** Take a free segment for `kind` and open it. */
  allocSeg(kind: SegKind): number {
    for (let i = 0; i < this.nsegs; i++) {
      const s = (this.cursor + i) % this.nsegs;
      if (this.kind[s] === SegKind.Free) {
        this.cursor = (s + 1) % this.nsegs;
        this.setKind(s, kind);
        this.open.add(s);
        return s;
      }
    }
    throw new BlockError("OutOfDisk", "no free segment left (sync to reclaim superseded blocks, or use a larger image)");
  }

  closeSeg(seg: number): void {
    this.open.delete(seg);
    this.maybeFree(seg);
  }

  /** A block was just allocated (written after the last commit). */
  use(hba: number): void {
    const rel = hba - this.segBase;
    this.fresh[rel] = 1;
    this.live[Math.floor(rel / this.S)]!++;
  }

  /** At open: a block the committed state references. */
  useRecovered(hba: number, kind: SegKind, what: string): void {
    if (!this.inRange(hba)) throw new BlockError("Corrupted", `${what}: block address ${hba} outside the segment area`);
    const seg = this.segOf(hba);
    if (this.kind[seg] === SegKind.Free) {
      this.setKind(seg, kind);
    } else if (this.kind[seg] !== kind) {
      throw new BlockError("Corrupted", `${what}: block ${hba} claimed by two kinds of log`);
    }
    this.live[seg]!++;
  }

  /** The current state stops referencing `hba`. */
  release(hba: number): void {
    const rel = hba - this.segBase;
    const seg = Math.floor(rel / this.S);
    this.rev[rel] = -1;
    this.live[seg]!--;
    if (this.fresh[rel]) {
      this.fresh[rel] = 0;
      this.maybeFree(seg);
    } else {
      this.pinned[seg]!++;
      this.pinnedBit[rel] = 1;
    }
  }

  private maybeFree(seg: number): void {
    if (this.kind[seg] !== SegKind.Free && this.live[seg] === 0 && this.pinned[seg] === 0 && !this.open.has(seg)) {
      this.setKind(seg, SegKind.Free);
    }
  }

  /** A sync committed: nothing the old state referenced needs protecting any more. */
  commit(): void {
    this.fresh.fill(0);
    this.pinned.fill(0);
    this.pinnedBit.fill(0);
    for (let s = 0; s < this.nsegs; s++) this.maybeFree(s);
  }

  /** Segments (of `kind`, or any) that become free at the next commit. */
  freeAfterCommit(kind?: SegKind): number {
    let n = 0;
    for (let s = 0; s < this.nsegs; s++) {
      if (this.kind[s] !== SegKind.Free && this.live[s] === 0 && !this.open.has(s) && (kind === undefined || this.kind[s] === kind)) n++;
    }
    return n;
  }

  /** A data-segment block nothing references (threaded logging may overwrite it). */
  isHole(hba: number): boolean {
    const rel = hba - this.segBase;
    return this.rev[rel] === -1 && this.pinnedBit[rel] === 0 && this.fresh[rel] === 0;
  }

  /** Holes of a data segment. */
  holes(seg: number): number {
    return this.S - this.live[seg]! - this.pinned[seg]!;
  }

  counts(): Record<"free" | "data" | "index" | "wal", number> {
    const c = { free: 0, data: 0, index: 0, wal: 0 };
    for (let s = 0; s < this.nsegs; s++) {
      const k = this.kind[s];
      if (k === SegKind.Free) c.free++;
      else if (k === SegKind.Data) c.data++;
      else if (k === SegKind.Index) c.index++;
      else c.wal++;
    }
    return c;
  }
}
