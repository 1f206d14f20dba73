/**
 * RawDisk: blocks stored as-is in a host file (block `lba` at byte lba × 4096). No protection
 * at all: the unprotected baseline of the benchmarks.
 *
 *   const disk = await RawDisk.create(await openHostFile(path, { create: true }), nblocks);
 *   const again = await RawDisk.open(file);   // nblocks = file size / 4096
 */

import { BLOCK_SIZE, BlockError, checkCount, checkRange, type BlockDevice, type Lba } from "./block-device.ts";
import type { HostFile } from "./host-file.ts";

export class RawDisk implements BlockDevice {
  readonly nblocks: number;
  readonly file: HostFile;
  private closed = false;

  private constructor(file: HostFile, nblocks: number) {
    this.file = file;
    this.nblocks = nblocks;
  }

  /** Size the host file to `nblocks` blocks (existing contents are kept). */
  static async create(file: HostFile, nblocks: number): Promise<RawDisk> {
    if (!Number.isSafeInteger(nblocks) || nblocks <= 0) throw new BlockError("InvalidArgument", `bad nblocks ${nblocks}`);
    await file.truncate(nblocks * BLOCK_SIZE);
    return new RawDisk(file, nblocks);
  }

  static async open(file: HostFile): Promise<RawDisk> {
    const size = await file.size();
    if (size === 0 || size % BLOCK_SIZE !== 0) throw new BlockError("Corrupted", `raw image size ${size} is not a positive multiple of ${BLOCK_SIZE}`);
    return new RawDisk(file, size / BLOCK_SIZE);
  }

  private check(): void {
    if (this.closed) throw new BlockError("Closed", "RawDisk closed");
  }

  async read(lba: Lba, buf: Uint8Array): Promise<void> {
    this.check();
    checkRange(this, lba, buf);
    await this.file.read(lba * BLOCK_SIZE, buf);
  }

  async write(lba: Lba, buf: Uint8Array): Promise<void> {
    this.check();
    checkRange(this, lba, buf);
    await this.file.write(lba * BLOCK_SIZE, buf);
  }

  async readv(reqs: ReadonlyArray<{ lba: Lba; buf: Uint8Array }>): Promise<void> {
    this.check();
    for (const r of reqs) checkRange(this, r.lba, r.buf);
    await Promise.all(reqs.map((r) => this.file.read(r.lba * BLOCK_SIZE, r.buf)));
  }

  async writev(reqs: ReadonlyArray<{ lba: Lba; buf: Uint8Array }>): Promise<void> {
    this.check();
    for (const r of reqs) checkRange(this, r.lba, r.buf);
    // Submitted together so the host queue can coalesce adjacent runs.
    await Promise.all(reqs.map((r) => this.file.write(r.lba * BLOCK_SIZE, r.buf)));
  }

  async trim(lba: Lba, count: number): Promise<void> {
    this.check();
    checkCount(this, lba, count);
    await this.file.write(lba * BLOCK_SIZE, new Uint8Array(count * BLOCK_SIZE));
  }

  async flush(): Promise<void> {
    this.check();
  }

  async sync(): Promise<void> {
    this.check();
    await this.file.sync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }
}
