/**
 * Worker half of SwornDisk's parallel data-block encryption (see crypto-pool.ts). It encrypts
 * staged slots of a shared staging buffer in place (AES-256-GCM, per-slot key and IV from a
 * shared key table) and writes each tag into a shared tag table. Everything stays inside the
 * process (trusted memory); nothing is copied.
 */

import { createCipheriv } from "node:crypto";
import { parentPort } from "node:worker_threads";

const BLOCK = 4096;
const KIV = 44;
const TAG = 16;

interface Job {
  id: number;
  staging: SharedArrayBuffer;
  kiv: SharedArrayBuffer;
  tags: SharedArrayBuffer;
  offs: number[];
}

parentPort!.on("message", (job: Job) => {
  try {
    const staging = new Uint8Array(job.staging);
    const kiv = new Uint8Array(job.kiv);
    const tags = new Uint8Array(job.tags);
    for (const off of job.offs) {
      const k = kiv.subarray(off * KIV, off * KIV + 32);
      const iv = kiv.subarray(off * KIV + 32, off * KIV + KIV);
      const slot = staging.subarray(off * BLOCK, (off + 1) * BLOCK);
      const c = createCipheriv("aes-256-gcm", k, iv, { authTagLength: TAG });
      slot.set(c.update(slot));
      c.final();
      tags.set(c.getAuthTag(), off * TAG);
    }
    parentPort!.postMessage({ id: job.id, ok: true });
  } catch (e) {
    parentPort!.postMessage({ id: job.id, ok: false, error: String(e) });
  }
});
