/**
 * The reference model: what a correct block device must return.
 *
 *   const m = new ReferenceModel(nblocks);
 *   m.write(lba, buf); m.trim(lba, n); m.sync();
 *   m.read(lba, count)      // expected current contents (zeros where never written / trimmed)
 *   m.syncedRead(lba, n)    // expected contents after a crash: the last completed sync
 *   m.crash()               // current := last synced
 *   await assertDeviceEquals(dev, m.current, "context")   // whole-device comparison
 */

import { BLOCK_SIZE, type BlockDevice } from "../block-device.ts";

/** A device state: lba → block contents (absent = zeros). Values are never mutated. */
export type DiskState = ReadonlyMap<number, Uint8Array>;

export class ReferenceModel {
  readonly nblocks: number;
  private cur = new Map<number, Uint8Array>();
  private synced: Map<number, Uint8Array> = new Map();
  /** Number of completed syncs. */
  syncs = 0;

  constructor(nblocks: number) {
    this.nblocks = nblocks;
  }

  get current(): DiskState {
    return this.cur;
  }

  get lastSynced(): DiskState {
    return this.synced;
  }

  write(lba: number, buf: Uint8Array): void {
    const n = buf.length / BLOCK_SIZE;
    for (let i = 0; i < n; i++) this.cur.set(lba + i, buf.slice(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
  }

  trim(lba: number, count: number): void {
    for (let i = 0; i < count; i++) this.cur.delete(lba + i);
  }

  /** Snapshot of the current state (cheap: blocks are shared, never mutated). */
  snapshot(): DiskState {
    return new Map(this.cur);
  }

  sync(): void {
    this.synced = new Map(this.cur);
    this.syncs++;
  }

  crash(): void {
    this.cur = new Map(this.synced);
  }

  read(lba: number, count: number): Uint8Array {
    return readState(this.cur, lba, count);
  }

  syncedRead(lba: number, count: number): Uint8Array {
    return readState(this.synced, lba, count);
  }
}

export function readState(state: DiskState, lba: number, count: number): Uint8Array {
  const out = new Uint8Array(count * BLOCK_SIZE);
  for (let i = 0; i < count; i++) {
    const b = state.get(lba + i);
    if (b) out.set(b, i * BLOCK_SIZE);
  }
  return out;
}

export function blocksEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** First differing block of `got` vs `want` starting at `lba`, or -1. */
export function firstMismatch(lba: number, got: Uint8Array, want: Uint8Array): number {
  for (let i = 0; i * BLOCK_SIZE < want.length; i++) {
    if (!blocksEqual(got.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE), want.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE))) {
      return lba + i;
    }
  }
  return -1;
}

/** Read the whole device in chunks and compare with `state`. Returns the first bad LBA or -1. */
export async function compareDevice(dev: BlockDevice, state: DiskState, chunk = 64): Promise<number> {
  for (let lba = 0; lba < dev.nblocks; lba += chunk) {
    const n = Math.min(chunk, dev.nblocks - lba);
    const got = new Uint8Array(n * BLOCK_SIZE);
    await dev.read(lba, got);
    const bad = firstMismatch(lba, got, readState(state, lba, n));
    if (bad >= 0) return bad;
  }
  return -1;
}

/** Throws with a useful message when the device differs from `state`. */
export async function assertDeviceEquals(dev: BlockDevice, state: DiskState, context: string): Promise<void> {
  const bad = await compareDevice(dev, state);
  if (bad >= 0) throw new Error(`${context}: device differs from the reference at LBA ${bad}`);
}

/** Index of the first state in `states` that the device equals, or -1 (reads every block). */
export async function matchState(dev: BlockDevice, states: readonly DiskState[]): Promise<number> {
  const all = new Uint8Array(dev.nblocks * BLOCK_SIZE);
  const chunk = 64;
  for (let lba = 0; lba < dev.nblocks; lba += chunk) {
    const n = Math.min(chunk, dev.nblocks - lba);
    await dev.read(lba, all.subarray(lba * BLOCK_SIZE, (lba + n) * BLOCK_SIZE));
  }
  return states.findIndex((s) => firstMismatch(0, all, readState(s, 0, dev.nblocks)) < 0);
}
