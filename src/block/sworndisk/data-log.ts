/**
 * Layer 5a of SwornDisk: the data log head.
 *
 * The open data segment has a staging buffer of S blocks. Writes copy plaintext into it with a
 * fresh key and IV per block (one random draw per run of blocks) and publish the staged slots
 * to the background encryption pool (crypto-pool.ts, one Lane per staging buffer), so that
 * encryption overlaps the caller's next writes. The staging buffers form a ring (HEADS): when a
 * segment is left (`close`) it stays "closing" in its buffer, still being encrypted by the
 * workers, while the next buffer takes the next segment. Closing segments are finished, oldest
 * first (their tags handed to the index through `onSealed`, their host writes issued as one
 * write per contiguous run, and only then released to Space, so that they cannot be reused
 * before their write is queued) as soon as their encryption is seen complete (`poll`, at each
 * write), and at the latest when their buffer is needed again or at `seal`/`flush`. Once a
 * segment's host writes complete, the host is asked to start writing them back
 * (HostFile.writeback: fdatasync beside the queue, no ordering), so the sync's barrier finds
 * little left to flush; durability still comes from the barrier alone.
 * (Writing each batch as soon as it is encrypted was tried: 4x the host write submissions, each
 * a cross-thread wake-up that is expensive on a VM, for ~0.5 ms less per sync: not worth it.)
 * Plaintext never leaves the process. Two modes:
 *   - log mode: a free segment filled front to back (one sequential host write per segment);
 *   - hole mode (threaded logging, SwornDisk §6): when no free segment is left, a partly used
 *     data segment is reused by filling only its holes, blocks nothing references (neither the
 *     current state nor the last commit). Holes are still written in runs.
 *
 * Blocks of a closing segment are read from its buffer (ciphertext, or "busy" while encrypted):
 * its host write may not be queued yet, so the host copy is stale until then.
 */

import { BLOCK_SIZE } from "../block-device.ts";
import { randomPool, TAG_LEN } from "./crypto.ts";
import { KIV_LEN, Lane } from "./crypto-pool.ts";
import type { BlockIo } from "./io.ts";
import type { Space } from "./space.ts";

const EMPTY = 0;
const DIRTY = 1; // ciphertext not yet written to the host
const FLUSHED = 2;
const PLAIN = 3; // plaintext, not yet published for encryption
const QUEUED = 4; // published: being encrypted in place, unreadable until its tag is reported

/**
 * Staged plaintext blocks published at once. Smaller leftovers wait for `seal`/`close`: a
 * publication may wake a worker, which is costly on a VM (small random writes publishing every
 * block were measurably slower).
 */
const PUBLISH_MIN = 32;
/** Most blocks staged by one stagePlain call. */
const MAX_RUN = 1024;
/**
 * Staging buffers. With two, leaving a segment waited for the previous one's encryption and
 * then for its whole host write (4 MiB, 1-10 ms here depending on the host page cache); with a
 * third, that segment had a whole segment's time to be written.
 */
const HEADS = 3;

/** One staging buffer and the segment it holds. */
interface Head {
  readonly lane: Lane;
  /** Per slot: EMPTY, PLAIN, QUEUED, DIRTY or FLUSHED. */
  readonly mark: Uint8Array;
  seg: number;
  holeMode: boolean;
  dirtyLo: number;
  dirtyHi: number;
  /** Lane list entries already marked QUEUED / reported to the index. */
  queued: number;
  reported: number;
  /** Left, but not yet finished: still open in Space, host writes not issued. */
  closing: boolean;
  /** Host writes in flight from this buffer (it is reused only once they are done). */
  writes: Promise<void>[];
}

export class DataLog {
  private readonly io: BlockIo;
  private readonly space: Space;
  private readonly S: number;
  private cursor = 0;
  /** A ring: heads[cur] takes writes, the ones after it (in ring order) are closing, oldest first. */
  private readonly heads: Head[];
  private cur = 0;
  private failed: unknown = null;
  private readonly onSealed: (hba: number, tags: Uint8Array, tagOff: number) => void;
  blocksWritten = 0;
  hostWrites = 0;
  /** Segments reopened for threaded logging (hole filling). */
  holeSegments = 0;
  /**
   * Blocks staged for encryption so far, and blocks whose tags were reported so far. Reports
   * follow staging order (the closing segment before the open one, each in list order), so
   * `reportedBlocks >= n` means every block staged before `stagedBlocks` was n is reported.
   */
  stagedBlocks = 0;
  reportedBlocks = 0;
  private reportWaiters: Array<{ target: number; resolve: (ok: boolean) => void }> = [];

  constructor(io: BlockIo, space: Space, onSealed: (hba: number, tags: Uint8Array, tagOff: number) => void) {
    this.io = io;
    this.space = space;
    this.S = space.S;
    this.onSealed = onSealed;
    const head = (): Head => ({ lane: new Lane(this.S), mark: new Uint8Array(this.S), seg: -1, holeMode: false, dirtyLo: Infinity, dirtyHi: -1, queued: 0, reported: 0, closing: false, writes: [] });
    this.heads = Array.from({ length: HEADS }, head);
  }

  private get head(): Head {
    return this.heads[this.cur]!;
  }

  /** The closing heads, oldest first. */
  private closingHeads(): Head[] {
    const out: Head[] = [];
    for (let i = 1; i < this.heads.length; i++) {
      const h = this.heads[(this.cur + i) % this.heads.length]!;
      if (h.closing) out.push(h);
    }
    return out;
  }

  /** The open segment, or -1. */
  get seg(): number {
    return this.head.seg;
  }

  get staging(): Uint8Array {
    return this.head.lane.staging;
  }

  /** Start filling `seg` (a fresh free segment, or a data segment with holes). */
  open(seg: number, holeMode: boolean): void {
    const h = this.head;
    h.seg = seg;
    h.holeMode = holeMode;
    this.cursor = 0;
    h.mark.fill(EMPTY);
    if (holeMode) {
      this.space.open.add(seg);
      this.holeSegments++;
    }
  }

  /** Offset of the next writable slot of the open segment, or -1 when it is used up. */
  nextSlot(): number {
    const h = this.head;
    if (h.seg < 0) return -1;
    if (h.holeMode) {
      const base = this.space.segStart(h.seg);
      while (this.cursor < this.S && !this.space.isHole(base + this.cursor)) this.cursor++;
    }
    return this.cursor < this.S ? this.cursor : -1;
  }

  /** The staging bytes of slot `off` (fill them with ciphertext, then call `take`). */
  slot(off: number): Uint8Array {
    return this.staging.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE);
  }

  /** Key (32 B) then IV (12 B) per slot of the open segment, KIV_LEN bytes apart. */
  get keyIvTable(): Uint8Array {
    return this.head.lane.kiv;
  }

  /**
   * Stage up to `max` plaintext blocks of `src` into slot `off` (from nextSlot) and the free slots
   * right after it, each with a fresh random key and IV; returns how many it took. The blocks'
   * host addresses are `hbaOf(off)` onwards, their keys and IVs in `keyIvTable`.
   */
  stagePlain(off: number, src: Uint8Array, max: number): number {
    const h = this.head;
    // MAX_RUN bounds one random draw to what the random pool serves at once.
    const lim = Math.min(max, MAX_RUN);
    let run = 1;
    if (!h.holeMode) run = Math.min(lim, this.S - off);
    else {
      const base = this.space.segStart(h.seg);
      while (run < lim && off + run < this.S && this.space.isHole(base + off + run)) run++;
    }
    h.lane.kiv.set(randomPool.take(run * KIV_LEN), off * KIV_LEN);
    h.lane.staging.set(src.subarray(0, run * BLOCK_SIZE), off * BLOCK_SIZE);
    h.mark.fill(PLAIN, off, off + run);
    h.lane.addRun(off, run);
    this.stagedBlocks += run;
    if (off < h.dirtyLo) h.dirtyLo = off;
    if (off + run - 1 > h.dirtyHi) h.dirtyHi = off + run - 1;
    this.cursor = off + run;
    if (h.lane.unpublished >= PUBLISH_MIN) this.publish(h, true);
    return run;
  }

  hbaOf(off: number): number {
    return this.space.segStart(this.head.seg) + off;
  }

  /** Make every staged slot of `h` claimable by the encryption workers. */
  private publish(h: Head, wake: boolean): void {
    h.lane.publish(wake);
    const n = h.lane.length;
    for (let i = h.queued; i < n; i++) h.mark[h.lane.entry(i)] = QUEUED;
    h.queued = n;
  }

  /** Claim slot `off` (returned by nextSlot) holding ciphertext; returns its host address. */
  take(off: number): number {
    const h = this.head;
    h.mark[off] = DIRTY;
    if (off < h.dirtyLo) h.dirtyLo = off;
    if (off > h.dirtyHi) h.dirtyHi = off;
    this.cursor = off + 1;
    return this.space.segStart(h.seg) + off;
  }

  /**
   * The staged block of `hba` if it lives in a staging buffer whose host write is not yet
   * queued (plaintext or ciphertext), or "busy" while it is being encrypted (call `seal` first).
   */
  staged(hba: number): { data: Uint8Array; plain: boolean } | "busy" | null {
    const r = this.stagedIn(this.head, hba);
    if (r !== null) return r;
    for (let i = 1; i < this.heads.length; i++) {
      const h = this.heads[(this.cur + i) % this.heads.length]!;
      if (!h.closing) continue;
      const x = this.stagedIn(h, hba);
      if (x !== null) return x;
    }
    return null;
  }

  private stagedIn(h: Head, hba: number): { data: Uint8Array; plain: boolean } | "busy" | null {
    if (h.seg < 0) return null;
    const off = hba - this.space.segStart(h.seg);
    if (off < 0 || off >= this.S) return null;
    const m = h.mark[off];
    if (m === EMPTY) return null;
    if (m === QUEUED) return "busy";
    return { data: h.lane.staging.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE), plain: m === PLAIN };
  }

  /** Finish the closing segments whose encryption is complete, oldest first (no waiting). */
  poll(): void {
    for (const o of this.closingHeads()) {
      if (!o.lane.done) return; // (tags are reported in staging order)
      this.finishClosing(o);
    }
  }

  /** Finish every closing segment, oldest first, waiting for its encryption. */
  async finishClosed(): Promise<void> {
    for (const o of this.closingHeads()) await this.finishOne(o);
  }

  private async finishOne(o: Head): Promise<void> {
    if (!o.closing) return;
    await o.lane.wait();
    if (o.closing) this.finishClosing(o);
  }

  /** Encrypt every staged slot and report the tags. */
  async seal(): Promise<void> {
    const h = this.head;
    this.publish(h, true);
    await this.finishClosed();
    await h.lane.wait();
    this.report(h);
  }

  /** Tags of every encrypted entry of `h` not yet reported go to the index; the slots are DIRTY. */
  private report(h: Head): void {
    const base = this.space.segStart(h.seg);
    const n = h.lane.length;
    const tags = h.lane.tags;
    for (let i = h.reported; i < n; i++) {
      const off = h.lane.entry(i);
      h.mark[off] = DIRTY;
      this.onSealed(base + off, tags, off * TAG_LEN);
    }
    this.reportedBlocks += n - h.reported;
    h.reported = n;
    if (this.reportWaiters.length) {
      this.reportWaiters = this.reportWaiters.filter((w) => {
        if (this.reportedBlocks < w.target) return true;
        w.resolve(true);
        return false;
      });
    }
  }

  /**
   * Resolves true once the tags of the first `target` staged blocks are reported (as later
   * writes, `seal` or `flush` finish their encryption), false if the log is drained first.
   */
  whenReported(target: number): Promise<boolean> {
    if (this.reportedBlocks >= target) return Promise.resolve(true);
    return new Promise((resolve) => this.reportWaiters.push({ target, resolve }));
  }

  /** A closing segment's encryption is complete: report, queue its host writes, release it. */
  private finishClosing(h: Head): void {
    this.report(h);
    this.issueWrites(h);
    // Let the host start writing the segment back now, while the next one is filled
    // (interleaved A/B, 1 GiB sequential: 5 of 5 rounds faster, +5% to +80%).
    const file = this.io.file;
    if (h.writes.length && file.writeback) void Promise.all(h.writes).then(() => file.writeback!());
    h.closing = false;
    this.space.closeSeg(h.seg);
  }

  /** Start host writes for the dirty staged runs of `h` (awaited by close/flush). */
  private issueWrites(h: Head): void {
    if (h.seg < 0 || h.dirtyHi < 0) return;
    const base = this.space.segStart(h.seg);
    const staging = h.lane.staging;
    let lo = Infinity;
    let hi = -1;
    let i = h.dirtyLo;
    while (i <= h.dirtyHi) {
      const m = h.mark[i];
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
      while (e <= h.dirtyHi && h.mark[e] === DIRTY) h.mark[e++] = FLUSHED;
      h.writes.push(
        this.io.writeBlocks(base + i, staging.subarray(i * BLOCK_SIZE, e * BLOCK_SIZE)).catch((err: unknown) => {
          this.failed ??= err;
        }),
      );
      this.blocksWritten += e - i;
      this.hostWrites++;
      i = e;
    }
    h.dirtyLo = lo;
    h.dirtyHi = hi;
  }

  /** Wait for the host writes from `h`; throws the first write failure. */
  private async settle(h: Head): Promise<void> {
    const pending = h.writes;
    h.writes = [];
    await Promise.all(pending);
    if (this.failed) {
      const e = this.failed;
      this.failed = null;
      throw e;
    }
  }

  /** Wait for background encryption and data writes (errors ignored: closing without a sync). */
  async drain(): Promise<void> {
    for (const w of this.reportWaiters) w.resolve(false);
    this.reportWaiters = [];
    for (const h of this.heads) {
      this.publish(h, false);
      await h.lane.wait().catch(() => undefined);
    }
    await Promise.allSettled(this.heads.map((h) => this.settle(h)));
    for (const h of this.heads) h.lane.dispose();
  }

  /** Write every staged block to the host and wait for all data writes to complete. */
  async flush(): Promise<void> {
    await this.seal();
    this.issueWrites(this.head);
    const all = this.heads.map((h) => this.settle(h));
    await Promise.allSettled(all);
    await Promise.all(all);
  }

  /**
   * Leave the open segment: it goes on being encrypted (and then written) in the background
   * while the next staging buffer of the ring takes the next segment; that buffer's own segment
   * (the oldest closing one) is finished first and its host writes must be complete.
   */
  async close(): Promise<void> {
    const h = this.head;
    if (h.seg < 0) return;
    this.publish(h, true);
    const next = (this.cur + 1) % this.heads.length;
    const o = this.heads[next]!;
    await this.finishOne(o);
    await this.settle(o);
    h.closing = true;
    this.cur = next;
    // The buffer switched to: empty, its lane done (it was finished above), start a new epoch.
    o.lane.reset();
    o.seg = -1;
    o.queued = o.reported = 0;
    o.dirtyLo = Infinity;
    o.dirtyHi = -1;
    this.cursor = 0;
  }
}
