/**
 * MemDisk: a BlockDevice held in memory (sparse: only written blocks take memory). No host
 * file, no durability model: sync is a no-op and close drops nothing (reopen with `reopen()`).
 */

import { BLOCK_SIZE, BlockError, checkCount, checkRange, type BlockDevice, type Lba } from "./block-device.ts";

export class MemDisk implements BlockDevice {
  readonly nblocks: number;
  private readonly blocks: Map<number, Uint8Array>;
  private closed = false;

  constructor(nblocks: number, blocks?: Map<number, Uint8Array>) {
    if (!Number.isSafeInteger(nblocks) || nblocks <= 0) throw new BlockError("InvalidArgument", `bad nblocks ${nblocks}`);
    this.nblocks = nblocks;
    this.blocks = blocks ?? new Map();
  }

  /** A new handle over the same contents (the "reopen" of an in-memory disk). */
  reopen(): MemDisk {
    return new MemDisk(this.nblocks, this.blocks);
  }

  private check(): void {
    if (this.closed) throw new BlockError("Closed", "MemDisk closed");
  }

  async read(lba: Lba, buf: Uint8Array): Promise<void> {
    this.check();
    const n = checkRange(this, lba, buf);
    for (let i = 0; i < n; i++) {
      const b = this.blocks.get(lba + i);
      const dst = buf.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
      if (b) dst.set(b);
      else dst.fill(0);
    }
  }

  async write(lba: Lba, buf: Uint8Array): Promise<void> {
    this.check();
    const n = checkRange(this, lba, buf);
    for (let i = 0; i < n; i++) this.blocks.set(lba + i, buf.slice(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
  }

  async readv(reqs: ReadonlyArray<{ lba: Lba; buf: Uint8Array }>): Promise<void> {
    for (const r of reqs) await this.read(r.lba, r.buf);
  }

  async writev(reqs: ReadonlyArray<{ lba: Lba; buf: Uint8Array }>): Promise<void> {
    for (const r of reqs) checkRange(this, r.lba, r.buf);
    for (const r of reqs) await this.write(r.lba, r.buf);
  }

  async trim(lba: Lba, count: number): Promise<void> {
    this.check();
    checkCount(this, lba, count);
    for (let i = 0; i < count; i++) this.blocks.delete(lba + i);
  }

  async flush(): Promise<void> {
    this.check();
  }

  async sync(): Promise<void> {
    this.check();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
