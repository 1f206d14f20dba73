/**
 * The background encryption pool: every slot of a job is encrypted exactly once with its own key
 * and IV (whichever thread claims it), tags land in the tag table, and jobs finish whether the
 * workers, the helping thread or both did the work.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { BLOCK_SIZE } from "../block-device.ts";
import { Rng } from "../testing/rng.ts";
import { decryptData, IV_LEN, KEY_LEN, TAG_LEN } from "./crypto.ts";
import { cryptoPool, KIV_LEN, sharedBytes } from "./crypto-pool.ts";

function setup(S: number, seed: number): { staging: Uint8Array; plain: Uint8Array; kiv: Uint8Array; tags: Uint8Array } {
  const rng = new Rng(seed);
  const plain = rng.bytes(S * BLOCK_SIZE);
  const staging = sharedBytes(S * BLOCK_SIZE);
  staging.set(plain);
  const kiv = sharedBytes(S * KIV_LEN);
  kiv.set(rng.bytes(S * KIV_LEN));
  return { staging, plain, kiv, tags: sharedBytes(S * TAG_LEN) };
}

function verify(t: ReturnType<typeof setup>, offs: Iterable<number>): void {
  const out = new Uint8Array(BLOCK_SIZE);
  for (const off of offs) {
    const k = off * KIV_LEN;
    decryptData(
      t.kiv.subarray(k, k + KEY_LEN),
      t.kiv.subarray(k + KEY_LEN, k + KEY_LEN + IV_LEN),
      t.tags.subarray(off * TAG_LEN, (off + 1) * TAG_LEN),
      t.staging.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE),
      out,
      `slot ${off}`,
    );
    assert.deepEqual(out, t.plain.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE), `slot ${off}`);
  }
}

test("jobs of all sizes encrypt each listed slot once, in place; other slots stay untouched", async () => {
  const S = 512;
  const t = setup(S, 1);
  // Scattered offsets (hole mode) and a large contiguous run, several jobs in flight at once.
  const small = [3, 9, 10, 200];
  const large = Array.from({ length: 300 }, (_, i) => 201 + i);
  const jobs = [cryptoPool.submit(t.staging, t.kiv, t.tags, small, 0, small.length), cryptoPool.submit(t.staging, t.kiv, t.tags, large, 0, 150), cryptoPool.submit(t.staging, t.kiv, t.tags, large, 150, 300)];
  for (const j of jobs) await cryptoPool.finish(j);
  for (const j of jobs) assert.ok(j.settled && !j.failed);
  verify(t, [...small, ...large]);
  for (const off of [0, 1, 2, 4, 199, 501, 511]) assert.deepEqual(t.staging.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE), t.plain.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE));
});

test("poll reports completion without waiting; finish after completion is immediate", async () => {
  const S = 256;
  const t = setup(S, 2);
  const offs = Array.from({ length: S }, (_, i) => i);
  const job = cryptoPool.submit(t.staging, t.kiv, t.tags, offs, 0, S);
  while (!cryptoPool.poll(job)) await new Promise((r) => setTimeout(r, 1));
  assert.ok(job.settled && !job.failed);
  await cryptoPool.finish(job);
  verify(t, offs);
});

test("a job the calling thread completes alone (help) is correct too", async () => {
  const t = setup(64, 3);
  const offs = Array.from({ length: 64 }, (_, i) => 63 - i);
  const job = cryptoPool.submit(t.staging, t.kiv, t.tags, offs, 0, 64);
  cryptoPool.help(job); // claims whatever the workers have not
  await cryptoPool.finish(job);
  verify(t, offs);
});

test("an encryption error fails the job (reported at finish), not silently", async () => {
  const t = setup(32, 4);
  const offs = Array.from({ length: 32 }, (_, i) => i);
  offs[20] = 1000; // past the tables: an empty key, which the cipher refuses
  const job = cryptoPool.submit(t.staging, t.kiv, t.tags, offs, 0, 32);
  await assert.rejects(cryptoPool.finish(job), /encryption failed/);
  assert.ok(job.failed);
});

test("control blocks are recycled: jobs the caller finished alone, whose messages the workers see late, never disturb later jobs", async () => {
  const S = 256;
  // Two sets of buffers in turn: a stale job message that claimed from a recycled control block
  // would encrypt the other set's slots in the wrong buffers, and verify would catch it.
  const ts = [setup(S, 5), setup(S, 6)];
  const all = Array.from({ length: S }, (_, i) => i);
  for (let round = 0; round < 48; round++) {
    const t = ts[round % 2]!;
    // Every 16 rounds cover each slot of both sets once (strided: the offsets are not one run).
    const offs = Array.from({ length: 32 }, (_, i) => ((round >> 1) % 8) + 8 * i);
    const job = cryptoPool.submit(t.staging, t.kiv, t.tags, offs, 0, offs.length);
    // Even rounds: done at once here, the worker's message arrives late. Odd rounds: the workers
    // get time to act on those late messages while this job is still unclaimed.
    if (round % 2 === 0) cryptoPool.help(job);
    else await new Promise((r) => setTimeout(r, 2));
    await cryptoPool.finish(job);
    assert.ok(job.settled && !job.failed);
    if (round % 16 === 15) {
      for (const x of ts) {
        verify(x, all);
        x.staging.set(x.plain); // back to plaintext (encrypted in place) for the next rounds
      }
    }
  }
});
