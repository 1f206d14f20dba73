/**
 * SwornDisk recovery (open): rebuild the in-memory state of the last committed sync.
 *
 *   1. both superblocks: AEAD under the root key, identical (never rewritten after format);
 *   2. journal: newest valid checkpoint, then the MAC chain of complete edit groups;
 *   3. trusted counter: image older than the counter -> RolledBack (irreversibility); exactly one
 *      sync ahead -> the crash hit between the journal commit and the counter bump: bump it;
 *   4. WAL replay (chain up to the journaled tail MAC) into the MemTable;
 *   5. SST roots and fences (MACs pinned by the catalog);
 *   6. all index records, newest first: the LBA map, the reverse map (HBA -> LBA, for cleaning)
 *      and per-segment validity, so allocation can never disagree with the authenticated index.
 */

import { BLOCK_SIZE, BlockError } from "../block-device.ts";
import type { HostFile } from "../host-file.ts";
import type { TrustedCounterStore } from "./counter.ts";
import { bytesEqual } from "./crypto.ts";
import { BlockIo } from "./io.ts";
import { Journal } from "./journal.ts";
import { decodeSuperblock, regions, type Superblock } from "./layout.ts";
import { Lsm, type LsmOptions } from "./lsm.ts";
import { valueHba } from "./memtable.ts";
import { SegKind, Space } from "./space.ts";
import { readWal, walHba } from "./wal.ts";

export interface Recovered {
  io: BlockIo;
  sb: Superblock;
  journal: Journal;
  space: Space;
  lsm: Lsm;
  fwd: Uint32Array;
  ids: { next: number };
}

export function sameSuperblock(a: Superblock, b: Superblock): boolean {
  return (
    bytesEqual(a.instanceId, b.instanceId) &&
    bytesEqual(a.journalKey, b.journalKey) &&
    bytesEqual(a.checkpointKey, b.checkpointKey) &&
    a.nblocks === b.nblocks &&
    a.segBlocks === b.segBlocks &&
    a.nsegs === b.nsegs &&
    a.journalBlocks === b.journalBlocks &&
    a.checkpointBlocks === b.checkpointBlocks &&
    a.dataSegs === b.dataSegs
  );
}

/** Read and verify both superblock copies. */
export async function readSuperblock(io: BlockIo, rootKey: Uint8Array): Promise<Superblock> {
  const sbs = await io.readBlocks(0, 2);
  const a = decodeSuperblock(sbs.subarray(0, BLOCK_SIZE), rootKey, "superblock A");
  const b = decodeSuperblock(sbs.subarray(BLOCK_SIZE), rootKey, "superblock B");
  if (!sameSuperblock(a, b)) throw new BlockError("Corrupted", "superblock copies disagree");
  return a;
}

export async function checkCounter(store: TrustedCounterStore, syncId: number): Promise<void> {
  const c = await store.read();
  const s = BigInt(syncId);
  if (s < c) throw new BlockError("RolledBack", `image is at sync ${s} but the trusted counter is at ${c}: rolled back or truncated`);
  if (s > c + 1n) throw new BlockError("Corrupted", `image is at sync ${s}, ahead of the trusted counter ${c} by more than one sync (wrong counter store?)`);
  if (s === c + 1n) await store.advance(s);
}

export async function recover(
  file: HostFile,
  opts: { rootKey: Uint8Array; nblocks?: number; counterStore?: TrustedCounterStore },
  lsmOpts: LsmOptions,
): Promise<Recovered> {
  const io = new BlockIo(file);
  const sb = await readSuperblock(io, opts.rootKey);
  if (opts.nblocks !== undefined && opts.nblocks !== sb.nblocks) {
    throw new BlockError("InvalidArgument", `image has ${sb.nblocks} blocks, caller expects ${opts.nblocks}`);
  }
  if ((await file.size()) < regions(sb).total * BLOCK_SIZE) throw new BlockError("Corrupted", "image is shorter than its layout");
  const journal = await Journal.recover(io, sb);
  const state = journal.state;
  if (opts.counterStore) await checkCounter(opts.counterStore, state.syncId);
  const space = new Space(sb.segBlocks, sb.nsegs, regions(sb).segBase);
  const levels = await Lsm.openLevels(io, state.ssts, lsmOpts.maxLevels);
  const ids = { next: state.nextId };
  const lsm = new Lsm(io, space, lsmOpts, ids, sb.nblocks, levels);
  // WAL replay into the MemTable; all of it is already logged.
  const wal = state.wal;
  await readWal(io, space, wal, (lba, v) => {
    if (lba >= sb.nblocks) throw new BlockError("Corrupted", `WAL record for LBA ${lba} beyond the device`);
    lsm.mem.put(lba, v, true);
  });
  for (let i = 0; i < wal.nblocks; i++) space.useRecovered(walHba(space, wal, i), SegKind.Wal, `WAL ${wal.id}`);
  if (wal.segs.length) space.open.add(wal.segs[wal.segs.length - 1]!);
  for (const hba of lsm.sstBlocks()) space.useRecovered(hba, SegKind.Index, "SST");
  // Newest record per LBA wins.
  const fwd = new Uint32Array(sb.nblocks);
  const seen = new Uint8Array(sb.nblocks);
  await lsm.forEachRecord((lba, vals, off) => {
    if (lba >= sb.nblocks) throw new BlockError("Corrupted", `index record for LBA ${lba} beyond the device`);
    if (seen[lba]) return false;
    seen[lba] = 1;
    const hba = valueHba(vals, off);
    if (hba === 0) return true;
    space.useRecovered(hba, SegKind.Data, `data block of LBA ${lba}`);
    const rel = hba - space.segBase;
    if (space.rev[rel] !== -1) throw new BlockError("Corrupted", `host block ${hba} mapped by two LBAs`);
    space.rev[rel] = lba;
    fwd[lba] = hba;
    return true;
  });
  return { io, sb, journal, space, lsm, fwd, ids };
}
