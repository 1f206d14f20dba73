/**
 * Layer 5a of SwornDisk: the data log head.
 *
 * The open data segment has a staging buffer of S blocks. Writes copy plaintext into it with a
 * fresh key and IV per block; the staged blocks are encrypted in one batch (split with a worker
 * thread, crypto-pool.ts) right before they go to the host as few large writes (one per
 * contiguous run) when the segment is left, on flush and at sync. Plaintext never leaves the
 * process. `onSealed` hands each block's tag to the index. Two modes:
 *   - log mode: a free segment filled front to back (one sequential host write per segment);
 *   - hole mode (threaded logging, SwornDisk §6): when no free segment is left, a partly used
 *     data segment is reused by filling only its holes, blocks nothing references (neither the
 *     current state nor the last commit). Holes are still written in runs.
 */

import { BLOCK_SIZE } from "../block-device.ts";
import { TAG_LEN } from "./crypto.ts";
import { encryptSlots, KIV_LEN, sharedBytes } from "./crypto-pool.ts";
import type { BlockIo } from "./io.ts";
import type { Space } from "./space.ts";

const EMPTY = 0;
const DIRTY = 1; // ciphertext not yet written to the host
const FLUSHED = 2;
const PLAIN = 3; // plaintext awaiting encryption

export class DataLog {
  private readonly io: BlockIo;
  private readonly space: Space;
  private readonly S: number;
  /** Open segment, or -1. */
  seg = -1;
  holeMode = false;
  private cursor = 0;
  /** Two staging buffers: the previous segment's host write overlaps filling the next one. */
  private readonly bufs: [Uint8Array, Uint8Array];
  private cur = 0;
  private inflight: Promise<void> | null = null;
  private failed: unknown = null;
  private readonly mark: Uint8Array;
  /** Key and IV per slot, and the tags the batch encryption produces (shared with the worker). */
  private readonly kiv: Uint8Array;
  private readonly tags: Uint8Array;
  private plain: number[] = [];
  private readonly onSealed: (hba: number, tag: Uint8Array) => void;
  private dirtyLo = Infinity;
  private dirtyHi = -1;
  blocksWritten = 0;
  hostWrites = 0;
  /** Segments reopened for threaded logging (hole filling). */
  holeSegments = 0;

  constructor(io: BlockIo, space: Space, onSealed: (hba: number, tag: Uint8Array) => void) {
    this.io = io;
    this.space = space;
    this.S = space.S;
    this.onSealed = onSealed;
    this.bufs = [sharedBytes(this.S * BLOCK_SIZE), sharedBytes(this.S * BLOCK_SIZE)];
    this.kiv = sharedBytes(this.S * KIV_LEN);
    this.tags = sharedBytes(this.S * TAG_LEN);
    this.mark = new Uint8Array(this.S);
  }

  get staging(): Uint8Array {
    return this.bufs[this.cur]!;
  }

  /** Start filling `seg` (a fresh free segment, or a data segment with holes). */
  open(seg: number, holeMode: boolean): void {
    this.seg = seg;
    this.holeMode = holeMode;
    this.cursor = 0;
    this.mark.fill(EMPTY);
    if (holeMode) {
      this.space.open.add(seg);
      this.holeSegments++;
    }
  }

  /** Offset of the next writable slot of the open segment, or -1 when it is used up. */
  nextSlot(): number {
    if (this.seg < 0) return -1;
    if (this.holeMode) {
      const base = this.space.segStart(this.seg);
      while (this.cursor < this.S && !this.space.isHole(base + this.cursor)) this.cursor++;
    }
    return this.cursor < this.S ? this.cursor : -1;
  }

  /** The staging bytes of slot `off` (fill them, then call `take` or `takePlain`). */
  slot(off: number): Uint8Array {
    return this.staging.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE);
  }

  /** Key (32 B) and IV (12 B) of slot `off`, to be filled before `takePlain`. */
  keyIv(off: number): Uint8Array {
    return this.kiv.subarray(off * KIV_LEN, (off + 1) * KIV_LEN);
  }

  /** Claim slot `off` holding plaintext (encrypted later by `seal`); returns its host address. */
  takePlain(off: number): number {
    const hba = this.take(off);
    this.mark[off] = PLAIN;
    this.plain.push(off);
    return hba;
  }

  /** Claim slot `off` (returned by nextSlot) holding ciphertext; returns its host address. */
  take(off: number): number {
    this.mark[off] = DIRTY;
    if (off < this.dirtyLo) this.dirtyLo = off;
    if (off > this.dirtyHi) this.dirtyHi = off;
    this.cursor = off + 1;
    return this.space.segStart(this.seg) + off;
  }

  /** The staged block of `hba` if it lives in the staging buffer (plaintext or ciphertext). */
  staged(hba: number): { data: Uint8Array; plain: boolean } | null {
    if (this.seg < 0) return null;
    const off = hba - this.space.segStart(this.seg);
    if (off < 0 || off >= this.S || this.mark[off] === EMPTY) return null;
    return { data: this.slot(off), plain: this.mark[off] === PLAIN };
  }

  /** Encrypt every plaintext slot in place and report the tags. */
  async seal(): Promise<void> {
    if (this.plain.length === 0) return;
    const offs = this.plain;
    this.plain = [];
    await encryptSlots(this.staging, this.kiv, this.tags, offs);
    const base = this.space.segStart(this.seg);
    for (const off of offs) {
      this.mark[off] = DIRTY;
      this.onSealed(base + off, this.tags.subarray(off * TAG_LEN, (off + 1) * TAG_LEN));
    }
  }

  /** Issue host writes for the dirty staged runs (not awaited). */
  private startWrites(): Promise<void>[] {
    if (this.seg < 0 || this.dirtyHi < 0) return [];
    const base = this.space.segStart(this.seg);
    const staging = this.staging;
    const writes: Promise<void>[] = [];
    let i = this.dirtyLo;
    while (i <= this.dirtyHi) {
      if (this.mark[i] !== DIRTY) {
        i++;
        continue;
      }
      let e = i;
      while (e <= this.dirtyHi && this.mark[e] === DIRTY) this.mark[e++] = FLUSHED;
      writes.push(this.io.writeBlocks(base + i, staging.subarray(i * BLOCK_SIZE, e * BLOCK_SIZE)));
      this.blocksWritten += e - i;
      this.hostWrites++;
      i = e;
    }
    this.dirtyLo = Infinity;
    this.dirtyHi = -1;
    return writes;
  }

  private async settle(): Promise<void> {
    const p = this.inflight;
    this.inflight = null;
    if (p) await p;
    if (this.failed) {
      const e = this.failed;
      this.failed = null;
      throw e;
    }
  }

  /** Wait for background data writes (errors ignored: used when closing without a sync). */
  async drain(): Promise<void> {
    await this.settle().catch(() => undefined);
  }

  /** Write every staged block to the host and wait for all data writes to complete. */
  async flush(): Promise<void> {
    await this.seal();
    const writes = Promise.all(this.startWrites());
    await this.settle().finally(() => writes.catch(() => undefined));
    await writes;
  }

  /**
   * Leave the open segment: its writes proceed in the background (awaited by the next close or
   * flush) while the other staging buffer takes the next segment.
   */
  async close(): Promise<void> {
    if (this.seg < 0) return;
    await this.seal();
    const mine = Promise.all(this.startWrites()).then(
      () => undefined,
      (e: unknown) => {
        this.failed ??= e;
      },
    );
    await this.settle(); // the other buffer must be free before we switch to it
    this.inflight = mine;
    this.cur ^= 1;
    const done = this.seg;
    this.seg = -1;
    this.space.closeSeg(done);
  }
}
