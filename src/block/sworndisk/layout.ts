/**
 * SwornDisk on-disk layout and the AEAD superblock.
 *
 *   host block 0, 1           superblock copies A, B (written once at format, then immutable)
 *   [2, 2+C)                  checkpoint slot A   (C = checkpointBlocks)
 *   [2+C, 2+2C)               checkpoint slot B
 *   [2+2C, 2+2C+J)            journal ring (MAC-chained edit groups, J = journalBlocks)
 *   [segBase, segBase+N*S)    N segments of S blocks: data log, SST (index) log and WAL segments
 *
 * Superblock block: "SWORNDK1" | format u32 | blob(iv | tag | AES-256-GCM(kSb, AAD = header){
 *   instanceId[16], journalKey[32], checkpointKey[32], nblocks, S, N, J, C, dataSegs }).
 * kSb = HKDF(rootKey, "superblock"). Both copies must authenticate and agree (it is never
 * rewritten, so a mismatch can only be tampering).
 */

import { BLOCK_SIZE, BlockError } from "../block-device.ts";
import { Reader, Writer } from "./codec.ts";
import { deriveKey, KEY_LEN, openBlob, randomPool, sealBlob, bytesEqual } from "./crypto.ts";

export const MAGIC = new TextEncoder().encode("SWORNDK1");
export const FORMAT_VERSION = 1;
/** Bytes of one LBA -> (HBA, key, IV, tag) index record: lba u64 | hba u64 | key | iv | tag. */
export const RECORD_SIZE = 8 + 8 + 32 + 12 + 16;

export interface Layout {
  nblocks: number;
  segBlocks: number;
  nsegs: number;
  journalBlocks: number;
  checkpointBlocks: number;
  /** Segments the data log may occupy (the rest is kept for the index, WAL and GC moves). */
  dataSegs: number;
}

export interface Superblock extends Layout {
  instanceId: Uint8Array;
  journalKey: Uint8Array;
  checkpointKey: Uint8Array;
}

export interface LayoutOptions {
  nblocks: number;
  /** Blocks per segment (default 1024 = 4 MiB, less for disks under 256 MiB): the unit of
   * sequential host writes and of cleaning. */
  segmentBlocks?: number;
  /** Spare data space as a fraction of nblocks (default 0.25, more below 256 MiB): room for
   * cleaning and for the synced blocks overwritten between two syncs (pinned until the next). */
  overprovision?: number;
  journalBlocks?: number;
  checkpointBlocks?: number;
}

export function computeLayout(o: LayoutOptions): Layout {
  const n = o.nblocks;
  if (!Number.isSafeInteger(n) || n <= 0 || n >= 2 ** 31) throw new BlockError("InvalidArgument", `bad nblocks ${n}`);
  // Default segment: 4 MiB (one large host write), smaller for small disks (≥ 64 segments).
  const S = o.segmentBlocks ?? Math.min(1024, Math.max(64, 2 ** Math.floor(Math.log2(Math.max(1, n / 64)))));
  if (!Number.isInteger(S) || S < 4) throw new BlockError("InvalidArgument", `bad segmentBlocks ${S}`);
  // Spare space must absorb every synced block overwritten before the next sync (they stay
  // pinned until it commits): 25%, but at least 64 MiB (up to 100%) on small disks.
  const op = o.overprovision ?? Math.max(0.25, Math.min(1, 16384 / n));
  const dataSegs = Math.ceil((n * (1 + op)) / S);
  // Index space: ~2.5 copies of the whole index (compaction keeps old and new SSTs until sync).
  const indexBlocks = Math.ceil(((n * RECORD_SIZE) / 4000) * 2.5) + 8;
  const indexSegs = Math.ceil(indexBlocks / S) + 4;
  const reserve = 4;
  return {
    nblocks: n,
    segBlocks: S,
    nsegs: dataSegs + indexSegs + reserve,
    dataSegs,
    journalBlocks: o.journalBlocks ?? 128,
    // A checkpoint holds the SST catalog (~100 B per SST; ~3 SSTs per 64 Ki records).
    checkpointBlocks: o.checkpointBlocks ?? 16 + Math.ceil(((3 * n) / 65536) * 100 / 4096),
  };
}

/** First host block of each region. */
export function regions(l: Layout): { ckptA: number; ckptB: number; journal: number; segBase: number; total: number } {
  const ckptA = 2;
  const ckptB = ckptA + l.checkpointBlocks;
  const journal = ckptB + l.checkpointBlocks;
  const segBase = journal + l.journalBlocks;
  return { ckptA, ckptB, journal, segBase, total: segBase + l.nsegs * l.segBlocks };
}

function header(): Uint8Array {
  return new Writer(12).bytes(MAGIC).u32(FORMAT_VERSION).finish();
}

export function newSuperblock(l: Layout): Superblock {
  return {
    ...l,
    instanceId: randomPool.fresh(16),
    journalKey: randomPool.fresh(KEY_LEN),
    checkpointKey: randomPool.fresh(KEY_LEN),
  };
}

export function encodeSuperblock(sb: Superblock, rootKey: Uint8Array): Uint8Array {
  const body = new Writer()
    .bytes(sb.instanceId)
    .bytes(sb.journalKey)
    .bytes(sb.checkpointKey)
    .u64(sb.nblocks)
    .u32(sb.segBlocks)
    .u32(sb.nsegs)
    .u32(sb.journalBlocks)
    .u32(sb.checkpointBlocks)
    .u32(sb.dataSegs)
    .finish();
  const h = header();
  const blob = sealBlob(deriveKey(rootKey, "superblock"), h, body);
  const out = new Uint8Array(BLOCK_SIZE);
  out.set(h, 0);
  new DataView(out.buffer).setUint32(h.length, blob.length, true);
  out.set(blob, h.length + 4);
  return out;
}

export function decodeSuperblock(block: Uint8Array, rootKey: Uint8Array, what: string): Superblock {
  const h = header();
  if (!bytesEqual(block.subarray(0, h.length), h)) {
    throw new BlockError("Corrupted", `${what}: not a SwornDisk image (bad magic or format version)`);
  }
  const len = new DataView(block.buffer, block.byteOffset).getUint32(h.length, true);
  if (len > BLOCK_SIZE - h.length - 4) throw new BlockError("Corrupted", `${what}: bad length`);
  // No unauthenticated bytes: the padding after the blob must be zero.
  if (block.subarray(h.length + 4 + len).some((b) => b !== 0)) throw new BlockError("Corrupted", `${what}: garbage after the sealed body`);
  const body = openBlob(deriveKey(rootKey, "superblock"), h, block.subarray(h.length + 4, h.length + 4 + len), `${what} (wrong root key or tampered)`);
  const r = new Reader(body, what);
  const sb: Superblock = {
    instanceId: r.bytes(16),
    journalKey: r.bytes(KEY_LEN),
    checkpointKey: r.bytes(KEY_LEN),
    nblocks: r.u64(),
    segBlocks: r.u32(),
    nsegs: r.u32(),
    journalBlocks: r.u32(),
    checkpointBlocks: r.u32(),
    dataSegs: r.u32(),
  };
  r.check(sb.nblocks > 0 && sb.segBlocks >= 4 && sb.nsegs > 0 && sb.dataSegs < sb.nsegs && sb.journalBlocks >= 2 && sb.checkpointBlocks >= 1, "bad layout");
  return sb;
}
