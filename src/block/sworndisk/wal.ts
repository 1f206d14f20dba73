/**
 * Layer 4c of SwornDisk: the write-ahead log of MemTable records.
 *
 * At each sync, the MemTable records not yet logged are appended as new sealed blocks (never
 * rewriting an old block, so a crash cannot tear a committed one). Block i is sealed under the
 * WAL's random key with AAD = wal id | i | MAC of block i-1, and the journal commit pins the WAL
 * length and the MAC of its last block: truncation, reordering, splicing or replaying a block
 * written by an uncommitted (crashed) sync are all detected.
 */

import { BLOCK_SIZE, BlockError } from "../block-device.ts";
import { aad, bytesEqual, openBlock, SEALED_PAYLOAD, sealBlock, sealedTag } from "./crypto.ts";
import type { BlockIo } from "./io.ts";
import type { WalDesc } from "./journal.ts";
import { RECORD_SIZE } from "./layout.ts";
import { VALUE_SIZE } from "./memtable.ts";
import { SegKind, type Space } from "./space.ts";

export const WAL_RECS_PER_BLOCK = Math.floor((SEALED_PAYLOAD - 4) / RECORD_SIZE);

/** Host address of WAL block i. */
export function walHba(space: Space, d: WalDesc, i: number): number {
  return space.segStart(d.segs[Math.floor(i / space.S)]!) + (i % space.S);
}

/**
 * Append records (lba + value bytes each) to the WAL `d` (mutated: segs, nblocks, tailTag).
 * Allocates WAL segments from `space` as needed; returns the number of blocks written.
 */
export async function appendWal(io: BlockIo, space: Space, d: WalDesc, lbas: ArrayLike<number>, vals: (i: number) => Uint8Array): Promise<number> {
  const n = lbas.length;
  if (n === 0) return 0;
  const nb = Math.ceil(n / WAL_RECS_PER_BLOCK);
  const out = new Uint8Array(nb * BLOCK_SIZE);
  const payload = new Uint8Array(SEALED_PAYLOAD);
  const dv = new DataView(payload.buffer);
  let prev = d.tailTag;
  const first = d.nblocks;
  for (let b = 0; b < nb; b++) {
    payload.fill(0);
    const from = b * WAL_RECS_PER_BLOCK;
    const to = Math.min(n, from + WAL_RECS_PER_BLOCK);
    dv.setUint32(0, to - from, true);
    for (let i = from; i < to; i++) {
      const o = 4 + (i - from) * RECORD_SIZE;
      const lba = lbas[i]!;
      dv.setUint32(o, lba >>> 0, true);
      dv.setUint32(o + 4, Math.floor(lba / 4294967296), true);
      payload.set(vals(i), o + 8);
    }
    const { tag } = sealBlock(d.key, aad(d.id, first + b, prev), payload, out.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE));
    prev = tag;
  }
  // Place blocks (all allocation first, so a failure leaves no write in flight); one host
  // write per segment run.
  const runs: Array<{ hba: number; from: number; n: number }> = [];
  let b = 0;
  while (b < nb) {
    const i = first + b;
    const segIdx = Math.floor(i / space.S);
    if (segIdx >= d.segs.length) {
      if (d.segs.length) space.closeSeg(d.segs[d.segs.length - 1]!);
      d.segs.push(space.allocSeg(SegKind.Wal));
    }
    const run = Math.min(nb - b, space.S - (i % space.S));
    const hba = walHba(space, d, i);
    for (let k = 0; k < run; k++) space.use(hba + k);
    runs.push({ hba, from: b, n: run });
    b += run;
  }
  await Promise.all(runs.map((r) => io.writeBlocks(r.hba, out.subarray(r.from * BLOCK_SIZE, (r.from + r.n) * BLOCK_SIZE))));
  d.nblocks = first + nb;
  d.tailTag = new Uint8Array(prev);
  return nb;
}

/** Read and verify the committed WAL; calls `onRecord` in log order. */
export async function readWal(io: BlockIo, space: Space, d: WalDesc, onRecord: (lba: number, value: Uint8Array) => void): Promise<void> {
  if (d.segs.length !== Math.ceil(d.nblocks / space.S) && !(d.nblocks === 0 && d.segs.length <= 1)) {
    throw new BlockError("Corrupted", `WAL ${d.id}: ${d.segs.length} segments for ${d.nblocks} blocks`);
  }
  let prev: Uint8Array = new Uint8Array(16);
  let i = 0;
  while (i < d.nblocks) {
    const run = Math.min(d.nblocks - i, space.S - (i % space.S));
    const hba = walHba(space, d, i);
    if (!space.inRange(hba)) throw new BlockError("Corrupted", `WAL ${d.id}: bad segment`);
    const buf = await io.readBlocks(hba, run);
    for (let k = 0; k < run; k++, i++) {
      const blk = buf.subarray(k * BLOCK_SIZE, (k + 1) * BLOCK_SIZE);
      const p = openBlock(d.key, aad(d.id, i, prev), blk, `WAL ${d.id} block ${i}`);
      prev = new Uint8Array(sealedTag(blk));
      const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
      const cnt = dv.getUint32(0, true);
      if (cnt === 0 || cnt > WAL_RECS_PER_BLOCK) throw new BlockError("Corrupted", `WAL ${d.id}: bad record count`);
      for (let r = 0; r < cnt; r++) {
        const o = 4 + r * RECORD_SIZE;
        const lba = dv.getUint32(o, true) + dv.getUint32(o + 4, true) * 4294967296;
        onRecord(lba, p.subarray(o + 8, o + 8 + VALUE_SIZE));
      }
    }
  }
  if (d.nblocks > 0 && !bytesEqual(prev, d.tailTag)) throw new BlockError("MacMismatched", `WAL ${d.id}: tail MAC does not match the journal`);
}
