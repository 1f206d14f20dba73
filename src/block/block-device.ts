/**
 * The block device interface: the one contract every layer of src/block/ implements or builds on.
 *
 * A block device is an array of fixed-size 4 KiB blocks addressed by a logical block address
 * (Lba). All I/O is asynchronous and vectored: one call moves many blocks. Durability is explicit:
 * data written is guaranteed to survive a crash only after `sync()` resolves.
 *
 * src/block/ imports nothing from the rest of the project: a Node program can use it as a library.
 */

export const BLOCK_SIZE = 4096;

/** Logical block address (index of a 4 KiB block on the device). */
export type Lba = number;

/** Errors a block device reports. Translated to errno once, at the LibOS boundary. */
export type BlockErrorKind =
  | "OutOfRange" // an LBA at or past the device size
  | "InvalidArgument" // a buffer that is not a multiple of BLOCK_SIZE, or a bad option
  | "MacMismatched" // integrity check failed: tampered, swapped, replayed or corrupted data
  | "RolledBack" // the on-disk state is older than the trusted sync counter says
  | "OutOfDisk" // no free space left in the host image
  | "Closed" // used after close()
  | "Corrupted" // structurally invalid on-disk metadata (refusal to open)
  | "IoError"; // the host file failed

export class BlockError extends Error {
  readonly kind: BlockErrorKind;
  constructor(kind: BlockErrorKind, message: string) {
    super(`${kind}: ${message}`);
    this.kind = kind;
    this.name = "BlockError";
  }
}

export interface BlockDevice {
  /** Number of 4 KiB blocks the device exposes. */
  readonly nblocks: number;
  /**
   * Read `buf.length / BLOCK_SIZE` consecutive blocks starting at `lba` into `buf`.
   * Never-written (or trimmed) blocks read as zeros.
   */
  read(lba: Lba, buf: Uint8Array): Promise<void>;
  /** Write `buf.length / BLOCK_SIZE` consecutive blocks starting at `lba`. */
  write(lba: Lba, buf: Uint8Array): Promise<void>;
  /** Vectored forms: each entry is one contiguous run. Implementations may batch them. */
  readv(reqs: ReadonlyArray<{ lba: Lba; buf: Uint8Array }>): Promise<void>;
  writev(reqs: ReadonlyArray<{ lba: Lba; buf: Uint8Array }>): Promise<void>;
  /** Discard `count` blocks from `lba`: later reads return zeros, space may be reclaimed. */
  trim(lba: Lba, count: number): Promise<void>;
  /** Push buffered writes to the host (no durability promise). */
  flush(): Promise<void>;
  /** Make everything written so far durable and atomic: after a crash, the device is exactly
   * the state of the last completed sync. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Checks the common argument rules; every implementation calls it first. */
export function checkRange(dev: { nblocks: number }, lba: Lba, buf: Uint8Array): number {
  if (buf.length === 0 || buf.length % BLOCK_SIZE !== 0) {
    throw new BlockError("InvalidArgument", `buffer length ${buf.length} is not a positive multiple of ${BLOCK_SIZE}`);
  }
  const count = buf.length / BLOCK_SIZE;
  if (!Number.isSafeInteger(lba) || lba < 0 || lba + count > dev.nblocks) {
    throw new BlockError("OutOfRange", `blocks [${lba}, ${lba + count}) outside device of ${dev.nblocks} blocks`);
  }
  return count;
}

/** Like checkRange, for calls that take a block count instead of a buffer (trim). */
export function checkCount(dev: { nblocks: number }, lba: Lba, count: number): void {
  if (!Number.isSafeInteger(count) || count <= 0) {
    throw new BlockError("InvalidArgument", `block count ${count} is not a positive integer`);
  }
  if (!Number.isSafeInteger(lba) || lba < 0 || lba + count > dev.nblocks) {
    throw new BlockError("OutOfRange", `blocks [${lba}, ${lba + count}) outside device of ${dev.nblocks} blocks`);
  }
}
