/**
 * Layer 5a of SwornDisk: the data log head.
 *
 * The open data segment has a staging buffer of S blocks. Writes copy plaintext into it with a
 * fresh key and IV per block (one random draw per run of blocks); the staged blocks are handed
 * to the background encryption pool (crypto-pool.ts) batch by batch as they are staged, so that
 * encryption overlaps the caller's next writes and the host write of the previous segment. The
 * encrypted blocks go to the host as few large writes (one per contiguous run) when the segment
 * is left, on flush and at sync; `seal` (before any host write or index flush) waits for the
 * batches, helping with what is left, and hands each block's tag to the index (`onSealed`).
 * (Writing each batch as soon as it is encrypted was tried: 4x the host write submissions, each
 * a cross-thread wake-up that is expensive on a VM, for ~0.5 ms less per sync: not worth it.)
 * Plaintext never leaves the process. Two modes:
 *   - log mode: a free segment filled front to back (one sequential host write per segment);
 *   - hole mode (threaded logging, SwornDisk §6): when no free segment is left, a partly used
 *     data segment is reused by filling only its holes, blocks nothing references (neither the
 *     current state nor the last commit). Holes are still written in runs.
 */

import { BLOCK_SIZE } from "../block-device.ts";
import { randomPool, TAG_LEN } from "./crypto.ts";
import { cryptoPool, JOB_CAP, KIV_LEN, sharedBytes, type SealJob } from "./crypto-pool.ts";
import type { BlockIo } from "./io.ts";
import type { Space } from "./space.ts";

const EMPTY = 0;
const DIRTY = 1; // ciphertext not yet written to the host
const FLUSHED = 2;
const PLAIN = 3; // plaintext awaiting encryption
const QUEUED = 4; // handed to the encryption pool: being encrypted in place, unreadable

/**
 * Staged plaintext blocks handed to the pool at once (1 MiB, ~1.5 ms of encryption). Smaller
 * leftovers wait for `seal`: every job wakes a worker, which is costly on a VM (small random
 * writes handing over 16-block jobs were measurably slower).
 */
const BATCH = 256;
/** Most blocks staged by one stagePlain call. */
const MAX_RUN = 1024;

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
  /** Host writes in flight from each staging buffer (a buffer is reused only once they are done). */
  private readonly writes: [Promise<void>[], Promise<void>[]] = [[], []];
  private failed: unknown = null;
  private readonly mark: Uint8Array;
  /** Key and IV per slot, and the tags the batch encryption produces (shared with the worker). */
  private readonly kiv: Uint8Array;
  private readonly tags: Uint8Array;
  private plain: number[] = [];
  /** Batches handed to the encryption pool whose tags are not yet reported, with their slots
   * offs[from, to) (our copy: the pool recycles a job's control block once it has ended). */
  private jobs: Array<{ job: SealJob; offs: number[]; from: number; to: number }> = [];
  private readonly onSealed: (hba: number, tags: Uint8Array, tagOff: number) => void;
  private dirtyLo = Infinity;
  private dirtyHi = -1;
  blocksWritten = 0;
  hostWrites = 0;
  /** Segments reopened for threaded logging (hole filling). */
  holeSegments = 0;

  constructor(io: BlockIo, space: Space, onSealed: (hba: number, tags: Uint8Array, tagOff: number) => void) {
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

  /** The staging bytes of slot `off` (fill them with ciphertext, then call `take`). */
  slot(off: number): Uint8Array {
    return this.staging.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE);
  }

  /** Key (32 B) then IV (12 B) per slot, KIV_LEN bytes apart. */
  get keyIvTable(): Uint8Array {
    return this.kiv;
  }

  /**
   * Stage up to `max` plaintext blocks of `src` into slot `off` (from nextSlot) and the free slots
   * right after it, each with a fresh random key and IV; returns how many it took. The blocks'
   * host addresses are `hbaOf(off)` onwards, their keys and IVs in `keyIvTable`.
   */
  stagePlain(off: number, src: Uint8Array, max: number): number {
    // MAX_RUN bounds one random draw to what the random pool serves at once.
    const lim = Math.min(max, MAX_RUN);
    let run = 1;
    if (!this.holeMode) run = Math.min(lim, this.S - off);
    else {
      const base = this.space.segStart(this.seg);
      while (run < lim && off + run < this.S && this.space.isHole(base + off + run)) run++;
    }
    this.kiv.set(randomPool.take(run * KIV_LEN), off * KIV_LEN);
    this.staging.set(src.subarray(0, run * BLOCK_SIZE), off * BLOCK_SIZE);
    this.mark.fill(PLAIN, off, off + run);
    for (let i = off; i < off + run; i++) this.plain.push(i);
    if (off < this.dirtyLo) this.dirtyLo = off;
    if (off + run - 1 > this.dirtyHi) this.dirtyHi = off + run - 1;
    this.cursor = off + run;
    if (this.plain.length >= BATCH) this.submit();
    return run;
  }

  hbaOf(off: number): number {
    return this.space.segStart(this.seg) + off;
  }

  private submit(): void {
    const offs = this.plain;
    if (offs.length === 0) return;
    this.plain = [];
    for (const off of offs) this.mark[off] = QUEUED;
    for (let from = 0; from < offs.length; from += JOB_CAP) {
      const to = Math.min(offs.length, from + JOB_CAP);
      this.jobs.push({ job: cryptoPool.submit(this.staging, this.kiv, this.tags, offs, from, to), offs, from, to });
    }
  }

  /** Claim slot `off` (returned by nextSlot) holding ciphertext; returns its host address. */
  take(off: number): number {
    this.mark[off] = DIRTY;
    if (off < this.dirtyLo) this.dirtyLo = off;
    if (off > this.dirtyHi) this.dirtyHi = off;
    this.cursor = off + 1;
    return this.space.segStart(this.seg) + off;
  }

  /**
   * The staged block of `hba` if it lives in the staging buffer (plaintext or ciphertext), or
   * "busy" while it is being encrypted (call `seal` first).
   */
  staged(hba: number): { data: Uint8Array; plain: boolean } | "busy" | null {
    if (this.seg < 0) return null;
    const off = hba - this.space.segStart(this.seg);
    if (off < 0 || off >= this.S || this.mark[off] === EMPTY) return null;
    if (this.mark[off] === QUEUED) return "busy";
    return { data: this.slot(off), plain: this.mark[off] === PLAIN };
  }

  /** Encrypt every plaintext slot in place (helping the pool) and report the tags. */
  async seal(): Promise<void> {
    this.submit();
    const jobs = this.jobs;
    if (jobs.length === 0) return;
    this.jobs = [];
    for (const j of jobs) cryptoPool.help(j.job); // work instead of waiting
    let err: unknown = null;
    for (const j of jobs) {
      try {
        await cryptoPool.finish(j.job);
      } catch (e) {
        err ??= e;
      }
    }
    // Every job has ended (none still writes the staging buffer); a failed one breaks the disk.
    if (err) throw err;
    this.report(jobs);
  }

  private report(jobs: ReadonlyArray<{ offs: number[]; from: number; to: number }>): void {
    const base = this.space.segStart(this.seg);
    for (const j of jobs) {
      for (let i = j.from; i < j.to; i++) {
        const off = j.offs[i]!;
        this.mark[off] = DIRTY;
        this.onSealed(base + off, this.tags, off * TAG_LEN);
      }
    }
  }

  /** Start host writes for the dirty staged runs (awaited by close/flush). */
  private issueWrites(): void {
    if (this.seg < 0 || this.dirtyHi < 0) return;
    const base = this.space.segStart(this.seg);
    const staging = this.staging;
    const pending = this.writes[this.cur]!;
    let lo = Infinity;
    let hi = -1;
    let i = this.dirtyLo;
    while (i <= this.dirtyHi) {
      const m = this.mark[i];
      if (m !== DIRTY) {
        if (m === PLAIN || m === QUEUED) {
          // Not yet encrypted: stays in the range for a later round.
          if (i < lo) lo = i;
          hi = i;
        }
        i++;
        continue;
      }
      let e = i;
      while (e <= this.dirtyHi && this.mark[e] === DIRTY) this.mark[e++] = FLUSHED;
      pending.push(
        this.io.writeBlocks(base + i, staging.subarray(i * BLOCK_SIZE, e * BLOCK_SIZE)).catch((err: unknown) => {
          this.failed ??= err;
        }),
      );
      this.blocksWritten += e - i;
      this.hostWrites++;
      i = e;
    }
    this.dirtyLo = lo;
    this.dirtyHi = hi;
  }

  /** Wait for the host writes from staging buffer `b`; throws the first write failure. */
  private async settle(b: number): Promise<void> {
    const pending = this.writes[b]!;
    this.writes[b] = [];
    await Promise.all(pending);
    if (this.failed) {
      const e = this.failed;
      this.failed = null;
      throw e;
    }
  }

  /** Wait for background encryption and data writes (errors ignored: closing without a sync). */
  async drain(): Promise<void> {
    const jobs = this.jobs;
    this.jobs = [];
    await Promise.allSettled(jobs.map((j) => cryptoPool.finish(j.job)));
    await Promise.allSettled([this.settle(0), this.settle(1)]);
    for (const b of [...this.bufs, this.kiv, this.tags]) cryptoPool.forget(b.buffer);
  }

  /** Write every staged block to the host and wait for all data writes to complete. */
  async flush(): Promise<void> {
    await this.seal();
    this.issueWrites();
    const other = this.settle(this.cur ^ 1);
    await this.settle(this.cur).finally(() => other.catch(() => undefined));
    await other;
  }

  /**
   * Leave the open segment: its writes proceed in the background (awaited by the next close or
   * flush) while the other staging buffer takes the next segment.
   */
  async close(): Promise<void> {
    if (this.seg < 0) return;
    await this.seal();
    this.issueWrites();
    await this.settle(this.cur ^ 1); // the other buffer must be free before we switch to it
    this.cur ^= 1;
    const done = this.seg;
    this.seg = -1;
    this.space.closeSeg(done);
  }
}
