/**
 * Trusted sync-counter stores (irreversibility). The disk advances the counter after every
 * durable sync commit and, on open, refuses an image whose last sync is older than the counter
 * (RolledBack). Without a store, a whole-image rollback to an earlier synced copy is
 * undetectable by design (as in the SwornDisk threat model); partial rollback is always detected.
 *
 * The store must be trusted (e.g. a TPM/SGX monotonic counter, a remote service, or a file the
 * adversary cannot touch); HostFileCounterStore is the mock for tests and the CLI.
 */

import { BlockError } from "../block-device.ts";
import type { HostFile } from "../host-file.ts";

export interface TrustedCounterStore {
  read(): Promise<bigint>;
  /** Set the counter to `to` (never lower than the current value). */
  advance(to: bigint): Promise<void>;
}

export class MemCounterStore implements TrustedCounterStore {
  value: bigint;
  constructor(initial = 0n) {
    this.value = initial;
  }
  async read(): Promise<bigint> {
    return this.value;
  }
  async advance(to: bigint): Promise<void> {
    if (to < this.value) throw new BlockError("InvalidArgument", `counter cannot go back from ${this.value} to ${to}`);
    this.value = to;
  }
}

/** Counter kept as a u64 in the first 8 bytes of a (trusted) host file, synced on every advance. */
export class HostFileCounterStore implements TrustedCounterStore {
  private readonly file: HostFile;
  constructor(file: HostFile) {
    this.file = file;
  }
  async read(): Promise<bigint> {
    const b = new Uint8Array(8);
    await this.file.read(0, b);
    return new DataView(b.buffer).getBigUint64(0, true);
  }
  async advance(to: bigint): Promise<void> {
    const cur = await this.read();
    if (to < cur) throw new BlockError("InvalidArgument", `counter cannot go back from ${cur} to ${to}`);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, to, true);
    await this.file.write(0, b);
    await this.file.sync();
  }
}
