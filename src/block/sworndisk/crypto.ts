/**
 * Layer 1 of SwornDisk: the cryptographic primitives (AES-256-GCM from node:crypto).
 *
 * Two formats:
 *   - data blocks: 4096 B plaintext -> 4096 B ciphertext under a fresh random key and random IV;
 *     key, IV and tag live only in the authenticated index record (no on-disk expansion);
 *   - sealed metadata blocks (WAL, SST, journal): `ciphertext(4068) | iv(12) | tag(16)` with a
 *     caller-chosen AAD that binds the block to its place (log id, position, previous MAC).
 * IVs are always random (never a counter or version: see secure-disk.md §1.5-2/3).
 */

import { createCipheriv, createDecipheriv, hkdfSync, randomFillSync } from "node:crypto";
import { BLOCK_SIZE, BlockError } from "../block-device.ts";

export const KEY_LEN = 32;
export const IV_LEN = 12;
export const TAG_LEN = 16;
/** Plaintext bytes a sealed metadata block carries. */
export const SEALED_PAYLOAD = BLOCK_SIZE - IV_LEN - TAG_LEN;

const ALG = "aes-256-gcm";

/** Bulk randomness: one randomFillSync per 64 KiB instead of one per key (hot path). */
export class RandomPool {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private pos = this.buf.length;

  /** `n` fresh random bytes. The view is only valid until the next call (copy to keep). */
  take(n: number): Buffer {
    if (n > this.buf.length) return randomFillSync(Buffer.allocUnsafe(n));
    if (this.pos + n > this.buf.length) {
      randomFillSync(this.buf);
      this.pos = 0;
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A fresh random value in its own buffer. */
  fresh(n: number): Uint8Array {
    return Uint8Array.from(this.take(n));
  }
}

export const randomPool = new RandomPool();

/** Derive a purpose key from the caller's root key. */
export function deriveKey(rootKey: Uint8Array, purpose: string): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", rootKey, "occlum-ts sworndisk v1", purpose, KEY_LEN));
}

function macError(what: string): BlockError {
  return new BlockError("MacMismatched", `${what}: authentication failed`);
}

/**
 * Encrypt one 4 KiB data block into `out` (same length); returns the tag.
 */
export function encryptData(key: Uint8Array, iv: Uint8Array, plain: Uint8Array, out: Uint8Array): Buffer {
  // No options object: GCM's default tag is TAG_LEN bytes, and parsing the options costs ~15%
  // of a 4 KiB block's encryption.
  const c = createCipheriv(ALG, key, iv);
  const ct = c.update(plain);
  out.set(ct);
  const fin = c.final();
  if (fin.length) out.set(fin, ct.length);
  return c.getAuthTag();
}

/** Decrypt and verify one data block into `out`; throws MacMismatched. */
export function decryptData(key: Uint8Array, iv: Uint8Array, tag: Uint8Array, ct: Uint8Array, out: Uint8Array, what: string): void {
  const d = createDecipheriv(ALG, key, iv, { authTagLength: TAG_LEN });
  d.setAuthTag(tag);
  const pt = d.update(ct);
  try {
    d.final();
  } catch {
    throw macError(what);
  }
  out.set(pt);
}

/** Seal a metadata payload (≤ SEALED_PAYLOAD bytes, zero padded) into a full block. */
export function sealBlock(key: Uint8Array, aad: Uint8Array, payload: Uint8Array, out?: Uint8Array): { block: Uint8Array; tag: Uint8Array } {
  if (payload.length > SEALED_PAYLOAD) throw new BlockError("InvalidArgument", "sealed payload too large");
  const block = out ?? new Uint8Array(BLOCK_SIZE);
  let padded = payload;
  if (payload.length < SEALED_PAYLOAD) {
    padded = new Uint8Array(SEALED_PAYLOAD);
    padded.set(payload);
  }
  const iv = randomPool.take(IV_LEN);
  block.set(iv, SEALED_PAYLOAD);
  const c = createCipheriv(ALG, key, iv, { authTagLength: TAG_LEN });
  c.setAAD(aad);
  const ct = c.update(padded);
  block.set(ct, 0);
  c.final();
  const tag = new Uint8Array(c.getAuthTag());
  block.set(tag, SEALED_PAYLOAD + IV_LEN);
  return { block, tag };
}

/** The tag stored in a sealed block (not yet verified). */
export function sealedTag(block: Uint8Array): Uint8Array {
  return block.subarray(SEALED_PAYLOAD + IV_LEN, BLOCK_SIZE);
}

/**
 * Open a sealed block. If `expectTag` is given, the stored tag must equal it (this pins the
 * block's exact version, e.g. to a parent's pointer); throws MacMismatched otherwise.
 */
export function openBlock(key: Uint8Array, aad: Uint8Array, block: Uint8Array, what: string, expectTag?: Uint8Array): Uint8Array {
  const tag = sealedTag(block);
  if (expectTag && !bytesEqual(tag, expectTag)) throw macError(what);
  const d = createDecipheriv(ALG, key, block.subarray(SEALED_PAYLOAD, SEALED_PAYLOAD + IV_LEN), { authTagLength: TAG_LEN });
  d.setAuthTag(tag);
  d.setAAD(aad);
  const pt = d.update(block.subarray(0, SEALED_PAYLOAD));
  try {
    d.final();
  } catch {
    throw macError(what);
  }
  return new Uint8Array(pt.buffer, pt.byteOffset, pt.length);
}

/** AEAD of a variable-length blob: returns iv | tag | ciphertext. */
export function sealBlob(key: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array {
  const iv = randomPool.take(IV_LEN);
  const c = createCipheriv(ALG, key, iv, { authTagLength: TAG_LEN });
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  const out = new Uint8Array(IV_LEN + TAG_LEN + ct.length);
  out.set(iv, 0);
  out.set(c.getAuthTag(), IV_LEN);
  out.set(ct, IV_LEN + TAG_LEN);
  return out;
}

export function openBlob(key: Uint8Array, aad: Uint8Array, sealed: Uint8Array, what: string): Uint8Array {
  if (sealed.length < IV_LEN + TAG_LEN) throw macError(what);
  const d = createDecipheriv(ALG, key, sealed.subarray(0, IV_LEN), { authTagLength: TAG_LEN });
  d.setAuthTag(sealed.subarray(IV_LEN, IV_LEN + TAG_LEN));
  d.setAAD(aad);
  const pt = d.update(sealed.subarray(IV_LEN + TAG_LEN));
  try {
    d.final();
  } catch {
    throw macError(what);
  }
  return new Uint8Array(pt.buffer, pt.byteOffset, pt.length);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Build an AAD from numbers (u64 LE each, as doubles < 2^53) and byte strings. */
export function aad(...parts: Array<number | Uint8Array>): Uint8Array {
  let len = 0;
  for (const p of parts) len += typeof p === "number" ? 8 : p.length;
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    if (typeof p === "number") {
      dv.setUint32(at, p >>> 0, true);
      dv.setUint32(at + 4, Math.floor(p / 4294967296), true);
      at += 8;
    } else {
      out.set(p, at);
      at += p.length;
    }
  }
  return out;
}
