/**
 * SGX-PFS on-disk layout (secure-disk.md §2.12), reproduced node for node.
 *
 * One host file of 4 KiB nodes, updated in place:
 *   physical node 0          metadata node (plain header + AES-GCM encrypted part)
 *   physical node 1          root MHT node (logical MHT 0)
 *   then repeating           [96 data nodes][1 MHT node]: data 0..95 at 2..97, MHT 1 at 98, ...
 *
 * An MHT node is 96 data-child slots + 32 MHT-child slots of {key[16], gmac[16]} = 4096 bytes.
 * Logical MHT m ≥ 1 has parent (m−1)/32, at MHT-child slot (m−1)%32. Data node d sits in MHT
 * d/96 at data slot d%96. An all-zero slot means "never written" (a sparse extension of the
 * file: reads return zeros) — PFS proper zero-fills gaps on extension instead; the slot is
 * inside an authenticated parent either way, so the adversary cannot forge it.
 *
 * The recovery file is a sequence of records {physical node number u64 LE, node bytes[4096]}.
 */

import { BLOCK_SIZE, BlockError } from "../block-device.ts";

export const NODE_SIZE = BLOCK_SIZE;
export const DATA_PER_MHT = 96;
export const CHILD_MHT_PER_MHT = 32;
export const SLOT_SIZE = 32;
export const KEY_SIZE = 16;
export const MAC_SIZE = 16;
/** User data kept inside the metadata node (MD_USER_DATA_SIZE). */
export const MD_USER_DATA_SIZE = 3072;
/** PfsDisk shifts blocks by this much so that block i lines up with data node i. */
export const PFS_INNER_OFFSET = MD_USER_DATA_SIZE;
/** Intel's default cache: 48 nodes (192 KiB). */
export const DEFAULT_CACHE_NODES = 48;
export const RECOVERY_RECORD_SIZE = 8 + NODE_SIZE;

export function dataPhysical(d: number): number {
  return 2 + d + Math.floor(d / DATA_PER_MHT);
}

export function mhtPhysical(m: number): number {
  return 1 + m * (DATA_PER_MHT + 1);
}

export function dataParent(d: number): { mht: number; slot: number } {
  return { mht: Math.floor(d / DATA_PER_MHT), slot: d % DATA_PER_MHT };
}

/** Parent of MHT m ≥ 1 and the byte slot index (96..127) inside it. */
export function mhtParent(m: number): { mht: number; slot: number } {
  return { mht: Math.floor((m - 1) / CHILD_MHT_PER_MHT), slot: DATA_PER_MHT + ((m - 1) % CHILD_MHT_PER_MHT) };
}

export function mhtCount(nblocks: number): number {
  return Math.max(1, Math.ceil(nblocks / DATA_PER_MHT));
}

/** Depth of the MHT (root = 1) for a device of nblocks. */
export function mhtHeight(nblocks: number): number {
  let m = mhtCount(nblocks) - 1;
  let h = 1;
  while (m > 0) {
    m = mhtParent(m).mht;
    h++;
  }
  return h;
}

export interface Slot {
  key: Uint8Array;
  mac: Uint8Array;
}

export function readSlot(node: Uint8Array, slot: number): Slot | undefined {
  const at = slot * SLOT_SIZE;
  const s = node.subarray(at, at + SLOT_SIZE);
  if (s.every((b) => b === 0)) return undefined;
  return { key: s.slice(0, KEY_SIZE), mac: s.slice(KEY_SIZE, SLOT_SIZE) };
}

export function writeSlot(node: Uint8Array, slot: number, s: Slot): void {
  const at = slot * SLOT_SIZE;
  node.set(s.key, at);
  node.set(s.mac, at + KEY_SIZE);
}

// ---- Metadata node -------------------------------------------------------------------------

/** "SGX_FILE" */
export const FILE_ID = new Uint8Array([0x53, 0x47, 0x58, 0x5f, 0x46, 0x49, 0x4c, 0x45]);
export const MAJOR_VERSION = 0x01;
export const MINOR_VERSION = 0x00;

// Plain part: file_id(8) major(1) minor(1) key_id/salt(32) gmac(16) update_flag(1).
const P_FILE_ID = 0;
const P_MAJOR = 8;
const P_MINOR = 9;
const P_SALT = 10;
const P_GMAC = 42;
const P_FLAG = 58;
export const META_PLAIN_SIZE = 64;
export const SALT_SIZE = 32;

// Encrypted part: clean_filename(260) size(8) mc_uuid(16) mc_value(4) mht_key(16) mht_gmac(16) data(3072).
export const FILENAME_MAX_LEN = 260;
const E_NAME = 0;
const E_SIZE = 260;
const E_MHT_KEY = 260 + 8 + 16 + 4;
const E_MHT_GMAC = E_MHT_KEY + 16;
const E_DATA = E_MHT_GMAC + 16;
export const META_ENC_SIZE = E_DATA + MD_USER_DATA_SIZE;

export interface MetaPlain {
  salt: Uint8Array;
  gmac: Uint8Array;
  updateFlag: boolean;
}

export interface MetaEncrypted {
  name: string;
  /** PFS file size in bytes (PFS_INNER_OFFSET + nblocks × 4096 for a PfsDisk). */
  size: number;
  rootMht: Slot | undefined;
}

export function encodeMetaPlain(node: Uint8Array, p: MetaPlain): void {
  node.set(FILE_ID, P_FILE_ID);
  node[P_MAJOR] = MAJOR_VERSION;
  node[P_MINOR] = MINOR_VERSION;
  node.set(p.salt, P_SALT);
  node.set(p.gmac, P_GMAC);
  node[P_FLAG] = p.updateFlag ? 1 : 0;
}

export function decodeMetaPlain(node: Uint8Array): MetaPlain {
  for (let i = 0; i < FILE_ID.length; i++) {
    if (node[P_FILE_ID + i] !== FILE_ID[i]) throw new BlockError("Corrupted", "not a PFS image (bad file id)");
  }
  if (node[P_MAJOR] !== MAJOR_VERSION) throw new BlockError("Corrupted", `unsupported PFS major version ${node[P_MAJOR]}`);
  return {
    salt: node.slice(P_SALT, P_SALT + SALT_SIZE),
    gmac: node.slice(P_GMAC, P_GMAC + MAC_SIZE),
    updateFlag: node[P_FLAG] !== 0,
  };
}

export function setUpdateFlag(node: Uint8Array, on: boolean): void {
  node[P_FLAG] = on ? 1 : 0;
}

export function encodeMetaEncrypted(m: MetaEncrypted): Uint8Array {
  const out = new Uint8Array(META_ENC_SIZE);
  const name = new TextEncoder().encode(m.name);
  if (name.length >= FILENAME_MAX_LEN) throw new BlockError("InvalidArgument", "PFS file name too long");
  out.set(name, E_NAME);
  new DataView(out.buffer).setBigUint64(E_SIZE, BigInt(m.size), true);
  if (m.rootMht) {
    out.set(m.rootMht.key, E_MHT_KEY);
    out.set(m.rootMht.mac, E_MHT_GMAC);
  }
  return out;
}

export function decodeMetaEncrypted(b: Uint8Array): MetaEncrypted {
  let end = E_NAME;
  while (end < E_NAME + FILENAME_MAX_LEN && b[end] !== 0) end++;
  const key = b.slice(E_MHT_KEY, E_MHT_KEY + KEY_SIZE);
  const mac = b.slice(E_MHT_GMAC, E_MHT_GMAC + MAC_SIZE);
  const empty = key.every((x) => x === 0) && mac.every((x) => x === 0);
  return {
    name: new TextDecoder().decode(b.subarray(E_NAME, end)),
    size: Number(new DataView(b.buffer, b.byteOffset, b.length).getBigUint64(E_SIZE, true)),
    rootMht: empty ? undefined : { key, mac },
  };
}

export const META_ENC_OFFSET = META_PLAIN_SIZE;
