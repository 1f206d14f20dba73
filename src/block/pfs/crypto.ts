/**
 * PFS cryptography: AES-128-GCM with a zero IV under a key used for exactly one encryption (a
 * fresh random key per node per flush, as Gramine does; Intel derives it from a session key).
 * The metadata key is derived from the caller's root key and a fresh random salt (key_id) at
 * every metadata write. Intel uses an AES-CMAC KDF; we use HKDF-SHA256 (same role).
 */

import { createCipheriv, createDecipheriv, hkdfSync, randomFillSync } from "node:crypto";
import { BlockError } from "../block-device.ts";
import { KEY_SIZE, MAC_SIZE, SALT_SIZE } from "./layout.ts";

const ZERO_IV = new Uint8Array(12);

export function gcmEncrypt(key: Uint8Array, plain: Uint8Array, out: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-128-gcm", key, ZERO_IV, { authTagLength: MAC_SIZE });
  const a = c.update(plain);
  const b = c.final();
  out.set(a, 0);
  if (b.length) out.set(b, a.length);
  return new Uint8Array(c.getAuthTag());
}

/** Decrypts into `out`; a tag mismatch is MacMismatched (never wrong plaintext). */
export function gcmDecrypt(key: Uint8Array, cipher: Uint8Array, mac: Uint8Array, out: Uint8Array, what: string): void {
  const d = createDecipheriv("aes-128-gcm", key, ZERO_IV, { authTagLength: MAC_SIZE });
  d.setAuthTag(mac);
  const a = d.update(cipher);
  try {
    d.final();
  } catch {
    throw new BlockError("MacMismatched", `${what} failed authentication`);
  }
  out.set(a, 0);
}

/** Random key pool: one randomFillSync per 256 keys. */
const pool = new Uint8Array(KEY_SIZE * 256);
let poolPos = pool.length;

export function freshKey(): Uint8Array {
  if (poolPos + KEY_SIZE > pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  const k = pool.slice(poolPos, poolPos + KEY_SIZE);
  poolPos += KEY_SIZE;
  return k;
}

export function freshSalt(): Uint8Array {
  return randomFillSync(new Uint8Array(SALT_SIZE));
}

export function metaKey(rootKey: Uint8Array, salt: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", rootKey, salt, "occlum-ts pfs metadata", KEY_SIZE));
}
