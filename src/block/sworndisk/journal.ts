/**
 * Layer 2 of SwornDisk: the metadata state and its MAC-chained journal with A/B checkpoints.
 *
 * The metadata state (MetaState) is everything needed to find the rest of the disk: the sync id,
 * the WAL descriptor (segments, length, tail MAC, key) and the SST catalog (per SST: level, key,
 * root block address + MAC, LBA range). Everything else (allocation, segment validity, the
 * reverse index) is derived from it at open, so it cannot disagree with it.
 *
 * One sync = one edit group appended to the journal ring: the ONLY commit point of the disk.
 * Journal block at sequence number s lives at ring slot s mod J, sealed with the journal key and
 * AAD = instanceId | s | MAC of block s-1 (chain). A group may span blocks; the last block is
 * flagged, and recovery applies complete groups only (a torn or reordered group is ignored).
 * Before the ring would overwrite blocks still needed, the committed state is written as a
 * checkpoint (AEAD, random IV, version in the AAD) into the older of two slots and synced; the
 * checkpoint records the chain position and MAC to continue from.
 */

import { BLOCK_SIZE, BlockError } from "../block-device.ts";
import { Reader, Writer } from "./codec.ts";
import { aad, KEY_LEN, openBlob, openBlock, SEALED_PAYLOAD, sealBlob, sealBlock, TAG_LEN } from "./crypto.ts";
import type { BlockIo } from "./io.ts";
import { regions, type Superblock } from "./layout.ts";

export interface SstDesc {
  id: number;
  level: number;
  key: Uint8Array;
  rootHba: number;
  rootTag: Uint8Array;
  minLba: number;
  maxLba: number;
  nrecords: number;
}

export interface WalDesc {
  id: number;
  key: Uint8Array;
  /** Segments holding the WAL blocks, in order (each filled before the next). */
  segs: number[];
  nblocks: number;
  /** MAC of the last WAL block (zeros when empty). */
  tailTag: Uint8Array;
}

export interface MetaState {
  syncId: number;
  /** Next id for SSTs and WALs (ids are never reused within an instance). */
  nextId: number;
  wal: WalDesc;
  ssts: SstDesc[];
}

export interface EditGroup {
  syncId: number;
  nextId: number;
  wal: WalDesc;
  removed: number[];
  added: SstDesc[];
}

const ZERO_TAG = new Uint8Array(TAG_LEN);
const GROUP_LAST = 1;
const BLOCK_HDR = 5; // flags u8 | len u32

function putSst(w: Writer, s: SstDesc): void {
  w.u64(s.id).u8(s.level).bytes(s.key).u64(s.rootHba).bytes(s.rootTag).u64(s.minLba).u64(s.maxLba).u64(s.nrecords);
}
function getSst(r: Reader): SstDesc {
  return { id: r.u64(), level: r.u8(), key: r.bytes(KEY_LEN), rootHba: r.u64(), rootTag: r.bytes(TAG_LEN), minLba: r.u64(), maxLba: r.u64(), nrecords: r.u64() };
}
function putWal(w: Writer, d: WalDesc): void {
  w.u64(d.id).bytes(d.key).u32(d.segs.length);
  for (const s of d.segs) w.u32(s);
  w.u64(d.nblocks).bytes(d.tailTag);
}
function getWal(r: Reader): WalDesc {
  const id = r.u64();
  const key = r.bytes(KEY_LEN);
  const n = r.u32();
  r.check(n < 1 << 20, "bad WAL segment count");
  const segs: number[] = [];
  for (let i = 0; i < n; i++) segs.push(r.u32());
  return { id, key, segs, nblocks: r.u64(), tailTag: r.bytes(TAG_LEN) };
}

export function encodeState(s: MetaState): Uint8Array {
  const w = new Writer(1024).u64(s.syncId).u64(s.nextId);
  putWal(w, s.wal);
  w.u32(s.ssts.length);
  for (const x of s.ssts) putSst(w, x);
  return w.finish();
}

export function decodeState(b: Uint8Array): MetaState {
  const r = new Reader(b, "checkpoint state");
  const syncId = r.u64();
  const nextId = r.u64();
  const wal = getWal(r);
  const n = r.u32();
  r.check(n < 1 << 20, "bad SST count");
  const ssts: SstDesc[] = [];
  for (let i = 0; i < n; i++) ssts.push(getSst(r));
  return { syncId, nextId, wal, ssts };
}

function encodeGroup(g: EditGroup): Uint8Array {
  const w = new Writer(512).u64(g.syncId).u64(g.nextId);
  putWal(w, g.wal);
  w.u32(g.removed.length);
  for (const id of g.removed) w.u64(id);
  w.u32(g.added.length);
  for (const s of g.added) putSst(w, s);
  return w.finish();
}

function decodeGroup(b: Uint8Array): EditGroup {
  const r = new Reader(b, "journal edit group");
  const syncId = r.u64();
  const nextId = r.u64();
  const wal = getWal(r);
  const nr = r.u32();
  r.check(nr < 1 << 20, "bad count");
  const removed: number[] = [];
  for (let i = 0; i < nr; i++) removed.push(r.u64());
  const na = r.u32();
  r.check(na < 1 << 20, "bad count");
  const added: SstDesc[] = [];
  for (let i = 0; i < na; i++) added.push(getSst(r));
  return { syncId, nextId, wal, removed, added };
}

export function applyGroup(s: MetaState, g: EditGroup): MetaState {
  if (g.syncId !== s.syncId + 1) throw new BlockError("Corrupted", `journal: sync id ${g.syncId} does not follow ${s.syncId}`);
  const gone = new Set(g.removed);
  const ssts = s.ssts.filter((x) => !gone.has(x.id));
  if (ssts.length + gone.size !== s.ssts.length) throw new BlockError("Corrupted", "journal: removes an unknown SST");
  return { syncId: g.syncId, nextId: g.nextId, wal: g.wal, ssts: [...ssts, ...g.added] };
}

export function emptyWal(id: number, key: Uint8Array): WalDesc {
  return { id, key, segs: [], nblocks: 0, tailTag: ZERO_TAG };
}

interface Checkpoint {
  version: number;
  startSeq: number;
  prevTag: Uint8Array;
  state: MetaState;
}

export class Journal {
  private readonly io: BlockIo;
  private readonly sb: Superblock;
  private readonly ringBase: number;
  private readonly slots: [number, number];
  /** The last committed state. */
  state: MetaState;
  /** Next sequence number to write and the MAC it chains to. */
  private seq: number;
  private prevTag: Uint8Array;
  private ckptVersion: number;
  private ckptStart: number;
  /** Host blocks written (journal + checkpoint), for write-amplification stats. */
  blocksWritten = 0;

  private constructor(io: BlockIo, sb: Superblock, c: Checkpoint) {
    this.io = io;
    this.sb = sb;
    const r = regions(sb);
    this.ringBase = r.journal;
    this.slots = [r.ckptA, r.ckptB];
    this.state = c.state;
    this.seq = c.startSeq;
    this.prevTag = c.prevTag;
    this.ckptVersion = c.version;
    this.ckptStart = c.startSeq;
  }

  /** Format: the initial state becomes checkpoint version 1 (caller syncs). */
  static async format(io: BlockIo, sb: Superblock, state: MetaState): Promise<Journal> {
    const j = new Journal(io, sb, { version: 0, startSeq: 0, prevTag: ZERO_TAG, state });
    await j.writeCheckpoint();
    return j;
  }

  private ckptAad(version: number): Uint8Array {
    return aad(new TextEncoder().encode("CKPT"), this.sb.instanceId, version);
  }

  private async writeCheckpoint(): Promise<void> {
    const version = this.ckptVersion + 1;
    const body = new Writer(1024).u64(this.seq).bytes(this.prevTag).bytes(encodeState(this.state)).finish();
    const blob = sealBlob(this.sb.checkpointKey, this.ckptAad(version), body);
    const nblk = Math.ceil((blob.length + 12) / BLOCK_SIZE);
    if (nblk > this.sb.checkpointBlocks) throw new BlockError("OutOfDisk", `checkpoint needs ${nblk} blocks, slot has ${this.sb.checkpointBlocks}`);
    const buf = new Uint8Array(nblk * BLOCK_SIZE);
    new Writer(12).u64(version).u32(blob.length).finish().forEach((v, i) => (buf[i] = v));
    buf.set(blob, 12);
    await this.io.writeBlocks(this.slots[version % 2]!, buf);
    this.blocksWritten += nblk;
    this.ckptVersion = version;
    this.ckptStart = this.seq;
  }

  private async readCheckpoint(slot: number): Promise<Checkpoint> {
    const what = `checkpoint slot ${slot === this.slots[0] ? "A" : "B"}`;
    const first = await this.io.readBlocks(slot, 1);
    const hr = new Reader(first.subarray(0, 12), what);
    const version = hr.u64();
    const len = hr.u32();
    hr.check(len + 12 <= this.sb.checkpointBlocks * BLOCK_SIZE, "bad length");
    const all = await this.io.readBlocks(slot, Math.ceil((len + 12) / BLOCK_SIZE));
    hr.check(all.subarray(12 + len).every((b) => b === 0), "garbage after the sealed body");
    const body = openBlob(this.sb.checkpointKey, this.ckptAad(version), all.subarray(12, 12 + len), what);
    const r = new Reader(body, what);
    const startSeq = r.u64();
    const prevTag = r.bytes(TAG_LEN);
    return { version, startSeq, prevTag, state: decodeState(body.subarray(r.pos)) };
  }

  /** Recover the last committed state: newest valid checkpoint, then replay the chain. */
  static async recover(io: BlockIo, sb: Superblock): Promise<Journal> {
    const r = regions(sb);
    const probe = new Journal(io, sb, { version: 0, startSeq: 0, prevTag: ZERO_TAG, state: { syncId: 0, nextId: 0, wal: emptyWal(0, new Uint8Array(KEY_LEN)), ssts: [] } });
    const cks: Checkpoint[] = [];
    const errs: string[] = [];
    for (const slot of [r.ckptA, r.ckptB]) {
      try {
        cks.push(await probe.readCheckpoint(slot));
      } catch (e) {
        errs.push((e as Error).message);
      }
    }
    if (cks.length === 0) throw new BlockError("MacMismatched", `no valid checkpoint (${errs.join("; ")})`);
    cks.sort((a, b) => b.version - a.version);
    const ck = cks[0]!;
    const j = new Journal(io, sb, ck);
    await j.replay();
    return j;
  }

  private blockAad(seq: number, prev: Uint8Array): Uint8Array {
    return aad(this.sb.instanceId, seq, prev);
  }

  private async replay(): Promise<void> {
    const J = this.sb.journalBlocks;
    const ring = await this.io.readBlocks(this.ringBase, J);
    let seq = this.seq;
    let prev = this.prevTag;
    let group: Uint8Array[] = [];
    let state = this.state;
    while (seq - this.ckptStart < J) {
      const slot = seq % J;
      const block = ring.subarray(slot * BLOCK_SIZE, (slot + 1) * BLOCK_SIZE);
      let payload: Uint8Array;
      try {
        payload = openBlock(this.sb.journalKey, this.blockAad(seq, prev), block, "journal block");
      } catch {
        break; // end of the chain (never written, stale lap, torn, or cut by an adversary)
      }
      const hr = new Reader(payload, "journal block");
      const flags = hr.u8();
      const len = hr.u32();
      hr.check(len <= SEALED_PAYLOAD - BLOCK_HDR, "bad length");
      group.push(payload.subarray(BLOCK_HDR, BLOCK_HDR + len));
      prev = new Uint8Array(block.subarray(SEALED_PAYLOAD + 12, BLOCK_SIZE));
      seq++;
      if (flags & GROUP_LAST) {
        const bytes = new Uint8Array(group.reduce((n, g) => n + g.length, 0));
        let at = 0;
        for (const g of group) {
          bytes.set(g, at);
          at += g.length;
        }
        state = applyGroup(state, decodeGroup(bytes));
        group = [];
        this.seq = seq;
        this.prevTag = prev;
      }
    }
    this.state = state;
  }

  /**
   * Append one edit group (a sync commit). The caller must have made everything the group
   * references durable first (barrier), and must sync after this returns (second barrier).
   */
  async commit(g: EditGroup): Promise<void> {
    const next = applyGroup(this.state, g);
    const bytes = encodeGroup(g);
    const per = SEALED_PAYLOAD - BLOCK_HDR;
    const k = Math.max(1, Math.ceil(bytes.length / per));
    const J = this.sb.journalBlocks;
    if (k > J) throw new BlockError("OutOfDisk", `edit group of ${k} blocks exceeds the journal ring`);
    if (this.seq + k - this.ckptStart > J) {
      // The ring would overwrite blocks the current checkpoint still needs: checkpoint first.
      await this.writeCheckpoint();
      await this.io.sync();
    }
    const out = new Uint8Array(k * BLOCK_SIZE);
    let prev = this.prevTag;
    let seq = this.seq;
    // Blocks of one group may wrap around the ring end: write runs separately.
    const writes: Array<{ slot: number; from: number; n: number }> = [];
    for (let i = 0; i < k; i++) {
      const chunk = bytes.subarray(i * per, (i + 1) * per);
      const payload = new Uint8Array(BLOCK_HDR + chunk.length);
      payload[0] = i === k - 1 ? GROUP_LAST : 0;
      new DataView(payload.buffer).setUint32(1, chunk.length, true);
      payload.set(chunk, BLOCK_HDR);
      const { tag } = sealBlock(this.sb.journalKey, this.blockAad(seq, prev), payload, out.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
      prev = tag;
      const slot = seq % J;
      const last = writes[writes.length - 1];
      if (last && last.slot + last.n === slot) last.n++;
      else writes.push({ slot, from: i, n: 1 });
      seq++;
    }
    await Promise.all(writes.map((w) => this.io.writeBlocks(this.ringBase + w.slot, out.subarray(w.from * BLOCK_SIZE, (w.from + w.n) * BLOCK_SIZE))));
    this.blocksWritten += k;
    this.seq = seq;
    this.prevTag = prev;
    this.state = next;
  }

  info(): { seq: number; checkpointVersion: number; checkpointStart: number; ringBlocks: number } {
    return { seq: this.seq, checkpointVersion: this.ckptVersion, checkpointStart: this.ckptStart, ringBlocks: this.sb.journalBlocks };
  }

  /** Re-verify the durable journal (for check()): returns the recovered sync id. */
  static async verify(io: BlockIo, sb: Superblock): Promise<number> {
    return (await Journal.recover(io, sb)).state.syncId;
  }
}
