/**
 * Layer 4a of SwornDisk: the MemTable, newest LBA -> (HBA, key, IV, tag) records in memory.
 *
 * Records live in one growable arena (VALUE_SIZE bytes per slot, slot per distinct LBA) so the
 * write hot path allocates nothing. The LBA -> slot index is a flat Int32Array (4 bytes per LBA
 * up to the largest one seen, like the disk's own block map): a hash map cost ~1 µs per written
 * block. Each slot remembers whether its current value is already in the WAL; sync appends
 * exactly the slots that are not ("dirty"). HBA 0 is a tombstone (trim): host block 0 is the
 * superblock, never data.
 */

export const VALUE_SIZE = 8 + 32 + 12 + 16;
export const V_KEY = 8;
export const V_IV = 40;
export const V_TAG = 52;

export class MemTable {
  private cap: number;
  vals: Uint8Array;
  private dv: DataView;
  lbas: Int32Array;
  private inWal: Uint8Array;
  private dirty: Int32Array;
  private ndirty = 0;
  /** LBA -> slot + 1 (0: absent). */
  private index: Int32Array;
  private count = 0;

  /** `cap`: initial slots; `lbaHint`: expected LBA range (the index grows past it if needed). */
  constructor(cap = 1024, lbaHint = 1024) {
    this.cap = Math.max(1, cap);
    this.vals = new Uint8Array(this.cap * VALUE_SIZE);
    this.dv = new DataView(this.vals.buffer);
    this.lbas = new Int32Array(this.cap);
    this.inWal = new Uint8Array(this.cap);
    this.dirty = new Int32Array(this.cap);
    this.index = new Int32Array(Math.max(1, lbaHint));
  }

  get size(): number {
    return this.count;
  }

  get dirtyCount(): number {
    return this.ndirty;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const v = new Uint8Array(cap * VALUE_SIZE);
    v.set(this.vals);
    this.vals = v;
    this.dv = new DataView(v.buffer);
    const l = new Int32Array(cap);
    l.set(this.lbas);
    this.lbas = l;
    const w = new Uint8Array(cap);
    w.set(this.inWal);
    this.inWal = w;
    const d = new Int32Array(cap);
    d.set(this.dirty);
    this.dirty = d;
    this.cap = cap;
  }

  /** The slot of `lba`, created (not yet marked) if absent. */
  private slotFor(lba: number): number {
    if (lba >= this.index.length) {
      const ix = new Int32Array(Math.max(lba + 1, this.index.length * 2));
      ix.set(this.index);
      this.index = ix;
    }
    const s = this.index[lba]!;
    if (s !== 0) return s - 1;
    const slot = this.count++;
    if (slot >= this.cap) this.grow();
    this.index[lba] = slot + 1;
    this.lbas[slot] = lba;
    this.inWal[slot] = 1; // so that the dirty bookkeeping adds it once
    return slot;
  }

  private setHba(o: number, hba: number): void {
    this.dv.setUint32(o, hba >>> 0, true);
    this.dv.setUint32(o + 4, Math.floor(hba / 4294967296), true);
  }

  /** Insert or replace. `value` is VALUE_SIZE bytes (hba | key | iv | tag); `fromWal` marks it durable. */
  put(lba: number, value: Uint8Array, fromWal = false): void {
    const slot = this.slotFor(lba);
    this.vals.set(value, slot * VALUE_SIZE);
    this.mark(slot, fromWal);
  }

  /** Same as put, with the fields given separately (no temporary value buffer). */
  putFields(lba: number, hba: number, key: Uint8Array, iv: Uint8Array, tag: Uint8Array): void {
    const slot = this.slotFor(lba);
    const o = slot * VALUE_SIZE;
    this.setHba(o, hba);
    this.vals.set(key, o + V_KEY);
    this.vals.set(iv, o + V_IV);
    this.vals.set(tag, o + V_TAG);
    this.mark(slot, false);
  }

  /**
   * Hot path of user writes: `n` blocks, LBAs lba.. at HBAs hba..; `kiv[kivOff..]` holds each
   * block's key then IV (KEY | IV, as in a value), one after the other. The tags are zero until
   * the blocks are encrypted (setTag).
   */
  putRun(lba: number, hba: number, n: number, kiv: Uint8Array, kivOff: number): void {
    const kl = V_TAG - V_KEY;
    for (let k = 0; k < n; k++) {
      const slot = this.slotFor(lba + k);
      const vals = this.vals; // (slotFor may have grown the arena)
      const o = slot * VALUE_SIZE;
      this.setHba(o, hba + k);
      // A byte loop: no subarray object per block.
      const src = kivOff + k * kl;
      for (let b = 0; b < kl; b++) vals[o + V_KEY + b] = kiv[src + b]!;
      for (let b = V_TAG; b < VALUE_SIZE; b++) vals[o + b] = 0;
      this.mark(slot, false);
    }
  }

  /** Store the tag of `slot` from `tags[off..off+16)`. */
  setTag(slot: number, tags: Uint8Array, off: number): void {
    const o = slot * VALUE_SIZE + V_TAG;
    for (let b = 0; b < VALUE_SIZE - V_TAG; b++) this.vals[o + b] = tags[off + b]!;
  }

  private mark(slot: number, fromWal: boolean): void {
    if (fromWal) {
      this.inWal[slot] = 1;
    } else if (this.inWal[slot] === 1) {
      this.inWal[slot] = 0;
      this.dirty[this.ndirty++] = slot;
    }
  }

  /** Slot of `lba`, or -1. */
  get(lba: number): number {
    return lba < this.index.length ? this.index[lba]! - 1 : -1;
  }

  hbaAt(slot: number): number {
    const o = slot * VALUE_SIZE;
    return this.dv.getUint32(o, true) + this.dv.getUint32(o + 4, true) * 4294967296;
  }

  valueAt(slot: number): Uint8Array {
    return this.vals.subarray(slot * VALUE_SIZE, (slot + 1) * VALUE_SIZE);
  }

  /** Slots whose value is not yet in the WAL, in write order. */
  dirtySlots(): Int32Array {
    return this.dirty.subarray(0, this.ndirty);
  }

  /** After the dirty slots reached the WAL. */
  markAllInWal(): void {
    for (let i = 0; i < this.ndirty; i++) this.inWal[this.dirty[i]!] = 1;
    this.ndirty = 0;
  }

  /** All slots sorted by LBA (for building an SST). */
  sortedSlots(): Int32Array {
    const n = this.count;
    const slots = new Int32Array(n);
    for (let i = 0; i < n; i++) slots[i] = i;
    const lbas = this.lbas;
    // Sequential writers insert in LBA order: then the slots are sorted already.
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = lbas[i]! > lbas[i - 1]!;
    return sorted ? slots : slots.sort((a, b) => lbas[a]! - lbas[b]!);
  }

  clear(): void {
    for (let s = 0; s < this.count; s++) this.index[this.lbas[s]!] = 0;
    this.count = 0;
    this.ndirty = 0;
  }
}

/** Decode the HBA of a value (first 8 bytes). */
export function valueHba(v: Uint8Array, off = 0): number {
  return v[off]! + v[off + 1]! * 2 ** 8 + v[off + 2]! * 2 ** 16 + v[off + 3]! * 2 ** 24 + (v[off + 4]! + v[off + 5]! * 2 ** 8 + v[off + 6]! * 2 ** 16) * 2 ** 32;
}
