/**
 * Attack helpers: the adversary's toolbox against host images (MemHostFile).
 *
 *   flipByte(file, offset)                 // tamper with one byte
 *   swapRanges(file, a, b, len)            // swap two blocks
 *   restoreRange(file, oldImage, off, len) // replace a block by an older version of itself
 *   const cap = captureTransients(memFile) // cap.file: a HostFile that snapshots after each write
 *   ... run the disk on cap.file ...; cap.images[i], cap.syncedImages
 *   await expectDetected(promise)          // must reject with MacMismatched/Corrupted/RolledBack
 */

import { BlockError, type BlockErrorKind } from "../block-device.ts";
import { CrashableFile, type MemHostFile } from "../host-file.ts";

export function flipByte(file: MemHostFile, offset: number, mask = 0x01): void {
  const raw = file.raw();
  if (offset < 0 || offset >= raw.length) throw new RangeError(`offset ${offset} outside image of ${raw.length} bytes`);
  raw[offset] = raw[offset]! ^ mask;
}

export function swapRanges(file: MemHostFile, a: number, b: number, len: number): void {
  const raw = file.raw();
  const tmp = raw.slice(a, a + len);
  raw.copyWithin(a, b, b + len);
  raw.set(tmp, b);
}

export function copyRange(file: MemHostFile, from: number, to: number, len: number): void {
  file.raw().copyWithin(to, from, from + len);
}

/** Replace bytes [offset, offset+len) by those of an older image of the same file. */
export function restoreRange(file: MemHostFile, older: Uint8Array, offset: number, len: number): void {
  file.raw().set(older.subarray(offset, offset + len), offset);
}

export interface TransientCapture {
  /** Use this as the disk's host file. */
  readonly file: CrashableFile;
  /** Image after each host write (every `every`-th write). */
  readonly images: Uint8Array[];
  /** Image right after each completed host sync. */
  readonly syncedImages: Uint8Array[];
}

/** Wrap `inner` so that the image is captured after host writes (every `every`-th one, or those
 * `when` selects, e.g. metadata writes) and after syncs. */
export function captureTransients(
  inner: MemHostFile,
  opts: { every?: number; when?: (offset: number, length: number) => boolean } = {},
): TransientCapture {
  const every = opts.every ?? 1;
  const images: Uint8Array[] = [];
  const syncedImages: Uint8Array[] = [];
  const file = new CrashableFile(inner, {
    onWrite: (n, offset, length) => {
      if (n % every === 0 && (!opts.when || opts.when(offset, length))) images.push(inner.image());
    },
    onSync: () => syncedImages.push(inner.image()),
  });
  return { file, images, syncedImages };
}

export const DETECTION_KINDS: readonly BlockErrorKind[] = ["MacMismatched", "Corrupted", "RolledBack"];

/** Asserts `p` rejects with an integrity error (not wrong data, not a random exception). */
export async function expectDetected(p: Promise<unknown>, kinds: readonly BlockErrorKind[] = DETECTION_KINDS): Promise<BlockError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof BlockError && kinds.includes(e.kind)) return e;
    throw new Error(`expected a BlockError of kind ${kinds.join("/")}, got ${String(e)}`);
  }
  throw new Error(`expected a BlockError of kind ${kinds.join("/")}, but the operation succeeded`);
}
