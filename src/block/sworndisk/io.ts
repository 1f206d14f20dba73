/**
 * Layer 0 of SwornDisk: block-granular access to the untrusted HostFile, with per-region write
 * counters (write amplification). Host errors surface as BlockError("IoError").
 */

import { BLOCK_SIZE, BlockError } from "../block-device.ts";
import type { HostFile } from "../host-file.ts";

function wrap(e: unknown): BlockError {
  if (e instanceof BlockError) return e;
  return new BlockError("IoError", e instanceof Error ? e.message : String(e));
}

export class BlockIo {
  readonly file: HostFile;
  blocksRead = 0;
  blocksWritten = 0;
  syncs = 0;

  constructor(file: HostFile) {
    this.file = file;
  }

  async readInto(hba: number, buf: Uint8Array): Promise<void> {
    this.blocksRead += buf.length / BLOCK_SIZE;
    try {
      await this.file.read(hba * BLOCK_SIZE, buf);
    } catch (e) {
      throw wrap(e);
    }
  }

  async readBlocks(hba: number, n: number): Promise<Uint8Array> {
    const buf = new Uint8Array(n * BLOCK_SIZE);
    await this.readInto(hba, buf);
    return buf;
  }

  async writeBlocks(hba: number, buf: Uint8Array): Promise<void> {
    this.blocksWritten += buf.length / BLOCK_SIZE;
    try {
      await this.file.write(hba * BLOCK_SIZE, buf);
    } catch (e) {
      throw wrap(e);
    }
  }

  async writevBlocks(hba: number, bufs: ReadonlyArray<Uint8Array>): Promise<void> {
    for (const b of bufs) this.blocksWritten += b.length / BLOCK_SIZE;
    try {
      await this.file.writev(hba * BLOCK_SIZE, bufs);
    } catch (e) {
      throw wrap(e);
    }
  }

  async sync(): Promise<void> {
    this.syncs++;
    try {
      await this.file.sync();
    } catch (e) {
      throw wrap(e);
    }
  }
}
