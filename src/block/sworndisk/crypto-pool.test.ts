/**
 * The background encryption pool: every published slot of a lane is encrypted exactly once with
 * its own key and IV (whichever thread claims it), tags land in the tag table, unlisted slots are
 * untouched, and a lane reused for a new epoch is never touched by a stale claim.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { BLOCK_SIZE } from "../block-device.ts";
import { Rng } from "../testing/rng.ts";
import { decryptData, IV_LEN, KEY_LEN, TAG_LEN } from "./crypto.ts";
import { cryptoPool, KIV_LEN, Lane, P_SLEEPERS } from "./crypto-pool.ts";

interface Fixture {
  lane: Lane;
  plain: Uint8Array;
}

function setup(S: number, seed: number): Fixture {
  const rng = new Rng(seed);
  const lane = new Lane(S);
  const plain = rng.bytes(S * BLOCK_SIZE);
  lane.staging.set(plain);
  lane.kiv.set(rng.bytes(S * KIV_LEN));
  return { lane, plain };
}

function block(b: Uint8Array, off: number): Uint8Array {
  return b.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE);
}

function verify(t: Fixture, offs: Iterable<number>): void {
  const out = new Uint8Array(BLOCK_SIZE);
  const { kiv, tags, staging } = t.lane;
  for (const off of offs) {
    const k = off * KIV_LEN;
    decryptData(kiv.subarray(k, k + KEY_LEN), kiv.subarray(k + KEY_LEN, k + KEY_LEN + IV_LEN), tags.subarray(off * TAG_LEN, (off + 1) * TAG_LEN), block(staging, off), out, `slot ${off}`);
    assert.deepEqual(out, block(t.plain, off), `slot ${off}`);
  }
}

function add(lane: Lane, offs: readonly number[]): void {
  for (const o of offs) lane.addRun(o, 1);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("published slots are encrypted once each, in place; unlisted slots stay untouched", async () => {
  const S = 512;
  const t = setup(S, 1);
  // Scattered offsets (hole mode) and a long run, published in several pieces.
  const small = [3, 9, 10, 200];
  add(t.lane, small);
  t.lane.publish();
  t.lane.addRun(201, 150);
  t.lane.publish();
  t.lane.addRun(351, 150);
  await t.lane.wait(); // publishes the rest itself
  assert.ok(t.lane.done);
  verify(t, [...small, ...Array.from({ length: 300 }, (_, i) => 201 + i)]);
  for (const off of [0, 1, 2, 4, 199, 501, 511]) assert.deepEqual(block(t.lane.staging, off), block(t.plain, off));
  t.lane.dispose();
});

test("the workers encrypt published slots without the owner's help", { skip: cryptoPool.size === 0 && "no crypto workers (SWORNDISK_CRYPTO_WORKERS=0)" }, async () => {
  const S = 256;
  const t = setup(S, 2);
  t.lane.addRun(0, S);
  t.lane.publish(true);
  for (let i = 0; i < 5000 && !t.lane.done; i++) await sleep(1);
  assert.ok(t.lane.done, "workers finished the lane");
  await t.lane.wait();
  verify(t, Array.from({ length: S }, (_, i) => i));
  t.lane.dispose();
});

test("the owner wakes one sleeping worker, which relays the wake-up: every worker takes part", { skip: cryptoPool.size < 2 && "fewer than 2 crypto workers" }, async () => {
  const S = 8192; // tens of ms of work: long enough for the relayed worker to get a core
  const t = setup(S, 7);
  await cryptoPool.ready();
  for (let i = 0; i < 5000 && Atomics.load(cryptoPool.ctl, P_SLEEPERS) < cryptoPool.size; i++) await sleep(1);
  assert.equal(Atomics.load(cryptoPool.ctl, P_SLEEPERS), cryptoPool.size, "workers idle before the test");
  t.lane.addRun(0, S);
  t.lane.publish(true); // wakes one worker: the others only through the relay
  let allAwake = false;
  for (let i = 0; i < 10000 && !t.lane.done; i++) {
    if (Atomics.load(cryptoPool.ctl, P_SLEEPERS) === 0) allAwake = true;
    await sleep(0);
  }
  assert.ok(allAwake, "a worker stayed asleep although the lane had work for all");
  await t.lane.wait();
  verify(t, [0, 1, 4095, 8191]);
  t.lane.dispose();
});

test("the owner's help (any order of slots) and the workers share a lane correctly", () => {
  const t = setup(64, 3);
  const offs = Array.from({ length: 64 }, (_, i) => 63 - i);
  add(t.lane, offs);
  t.lane.publish(false);
  t.lane.help(); // claims everything no worker took meanwhile
  assert.equal(t.lane.unpublished, 0);
  return t.lane.wait().then(() => {
    verify(t, offs);
    t.lane.dispose();
  });
});

test("an encryption error fails wait (not silently); reset refuses a lane still encrypting", async () => {
  const t = setup(64, 4);
  const offs = Array.from({ length: 32 }, (_, i) => i);
  offs[20] = 1000; // past the tables: an empty key, which the cipher refuses
  add(t.lane, offs);
  t.lane.addRun(0, 1);
  assert.throws(() => t.lane.reset(), /lane reset while encrypting/);
  await assert.rejects(t.lane.wait(), /encryption failed/);
  t.lane.reset(); // the epoch ended (every claim completed): a new one starts clean
  t.lane.addRun(5, 1);
  await t.lane.wait();
  t.lane.dispose();
});

test("epochs: a reused lane is never touched by a stale claim, over many quick reuses", async () => {
  const S = 256;
  // Two lanes in turn, each reset and refilled many times while the workers are active: a
  // claim that survived an epoch would encrypt a slot twice or one of the wrong epoch, and the
  // decryption below would fail.
  const ts = [setup(S, 5), setup(S, 6)];
  const all = Array.from({ length: S }, (_, i) => i);
  for (let round = 0; round < 64; round++) {
    const t = ts[round % 2]!;
    // Every 16 rounds cover each slot of both lanes once (strided: the offsets are not one run);
    // epochs of different lengths, so that list positions never line up across epochs.
    const offs = Array.from({ length: 32 }, (_, i) => ((round >> 1) % 8) + 8 * i);
    const n = 32 - (round % 5);
    if (n < 32) {
      add(t.lane, offs.slice(n)); // a short extra epoch first
      await t.lane.wait();
      t.lane.reset();
    }
    offs.length = n;
    add(t.lane, offs.slice(0, 16));
    t.lane.publish(true);
    add(t.lane, offs.slice(16));
    t.lane.publish(true);
    if (round % 3 === 1) await sleep(1); // let the workers take some
    await t.lane.wait();
    t.lane.reset();
    if (round % 16 === 15) {
      for (const x of ts) {
        verify(x, all);
        x.lane.staging.set(x.plain); // back to plaintext (encrypted in place) for the next rounds
      }
    }
  }
  for (const x of ts) x.lane.dispose();
});

test("opening a disk starts the workers and waits for their warm-up (not the first writes)", { skip: cryptoPool.size === 0 && "no crypto workers (SWORNDISK_CRYPTO_WORKERS=0)" }, async () => {
  // A fresh process: in this one the pool may already be running.
  const { spawnSync } = await import("node:child_process");
  const here = (m: string): string => JSON.stringify(new URL(m, import.meta.url).pathname);
  const script = `
    import { SwornDisk } from ${here("./index.ts")};
    import { MemHostFile } from ${here("../host-file.ts")};
    import { cryptoPool, P_READY } from ${here("./crypto-pool.ts")};
    const d = await SwornDisk.create(new MemHostFile(), { nblocks: 1024, rootKey: new Uint8Array(32).fill(7) });
    const ready = Atomics.load(cryptoPool.ctl, P_READY);
    await d.write(0, new Uint8Array(64 * 4096).fill(1));
    await d.sync();
    await d.close();
    console.log(JSON.stringify({ size: cryptoPool.size, ready, active: cryptoPool.active }));`;
  // A script file, not --eval: the workers inherit the process's flags (--input-type would stop them).
  const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(`${tmpdir()}/sworn-warm-`);
  writeFileSync(`${dir}/warm.mjs`, script);
  const r = spawnSync(process.execPath, [`${dir}/warm.mjs`], { encoding: "utf8", timeout: 120_000 });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { size: number; ready: number; active: boolean };
  assert.equal(out.ready, out.size, "every worker finished its warm-up before create returned");
  assert.ok(out.active);
});
