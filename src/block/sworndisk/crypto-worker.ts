/**
 * Worker half of SwornDisk's background data-block encryption (see crypto-pool.ts): learns the
 * lanes from its port, claims chunks of published slots (oldest epoch first) and encrypts them
 * in place, and sleeps on the pool's futex word only when no lane has work. It never returns to
 * its event loop: messages are read with receiveMessageOnPort after every wake-up (the pool
 * wakes the workers after each message). Everything stays inside the process (trusted memory).
 *
 * (Running workers at a lower priority than the staging thread was tried and measured worse:
 * on a shared machine they then lose the CPU to other processes, not just to our own thread.)
 */

import { type MessagePort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { BLOCK_SIZE } from "../block-device.ts";
import { TAG_LEN } from "./crypto.ts";
import { hasWork, KIV_LEN, L_C, L_HDR, L_ORDER, L_P, type LaneBufs, P_MSGS, P_READY, P_SEQ, P_SLEEPERS, type PoolMessage, RELAY_GAP_MS, RELAY_MIN, workChunk } from "./crypto-pool.ts";

const ctl = new Int32Array(workerData.ctl as SharedArrayBuffer);
const port = workerData.port as MessagePort;
const byId = new Map<number, LaneBufs>();
let lanes: LaneBufs[] = [];
let seen = 0;

/** Read the port, but only when the pool posted something since the last time (cheap check). */
function drain(): void {
  const posted = Atomics.load(ctl, P_MSGS);
  if (posted === seen) return;
  seen = posted;
  for (let r = receiveMessageOnPort(port); r; r = receiveMessageOnPort(port)) {
    const m = r.message as PoolMessage;
    if ("reg" in m) {
      const b = m.bufs;
      byId.set(m.reg, { staging: new Uint8Array(b.staging), kiv: new Uint8Array(b.kiv), tags: new Uint8Array(b.tags), words: new Int32Array(b.words) });
    } else byId.delete(m.unreg);
  }
  lanes = [...byId.values()];
}

/** The lane with claimable work whose epoch is oldest, or null. */
function pick(): LaneBufs | null {
  let best: LaneBufs | null = null;
  let bestOrder = 0;
  for (const l of lanes) {
    if (!hasWork(l.words)) continue;
    const o = Atomics.load(l.words, L_ORDER);
    if (!best || o - bestOrder < 0) {
      best = l;
      bestOrder = o;
    }
  }
  return best;
}

/**
 * Warm-up before reporting ready: encrypt WARM_BLOCKS throw-away blocks through the same claim
 * and encrypt path, in private memory, so that the first real segment does not pay for the JIT
 * tiers and the young heap's growth (measured: a cold first GiB cost ~0.5 s more worker CPU).
 * The pool's `ready()` waits for this at open, outside any write.
 */
const WARM_BLOCKS = 4096;
function warmUp(): void {
  const S = 64;
  const l: LaneBufs = { staging: new Uint8Array(S * BLOCK_SIZE), kiv: new Uint8Array(S * KIV_LEN), tags: new Uint8Array(S * TAG_LEN), words: new Int32Array(L_HDR + WARM_BLOCKS) };
  for (let i = 0; i < WARM_BLOCKS; i++) l.words[L_HDR + i] = i % S;
  Atomics.store(l.words, L_P, WARM_BLOCKS);
  while (workChunk(l));
}

/**
 * The owner wakes one worker only when all sleep (crypto-pool.ts `wake`): a worker that finds
 * more than it takes at once wakes a sleeping peer, off the owner's thread.
 */
let lastRelay = -Infinity;
function relay(l: LaneBufs): void {
  if (((Atomics.load(l.words, L_P) - Atomics.load(l.words, L_C)) | 0) < RELAY_MIN || Atomics.load(ctl, P_SLEEPERS) === 0) return;
  const now = performance.now();
  if (now - lastRelay < RELAY_GAP_MS) return;
  lastRelay = now;
  Atomics.add(ctl, P_SEQ, 1);
  Atomics.notify(ctl, P_SEQ, 1);
}

warmUp();
Atomics.add(ctl, P_READY, 1);
for (;;) {
  drain();
  const l = pick();
  if (l) {
    relay(l);
    workChunk(l);
    continue;
  }
  // Sleep unless work or a message arrived after the sequence was read (the publisher bumps it
  // after publishing, and only notifies when it sees a sleeper: both orders are covered).
  const seq = Atomics.load(ctl, P_SEQ);
  Atomics.add(ctl, P_SLEEPERS, 1);
  drain();
  if (!pick()) Atomics.wait(ctl, P_SEQ, seq);
  Atomics.sub(ctl, P_SLEEPERS, 1);
}
