/**
 * Parallel encryption of staged data blocks: AES-GCM with a fresh key per block costs ~5 µs of
 * CPU per 4 KiB in Node (cipher setup dominates), which caps one thread at ~700 MiB/s before any
 * other work. Large batches are split between the calling thread and one worker thread sharing
 * the staging buffer (SharedArrayBuffer). Small batches, or no worker, run inline.
 *
 * The worker is created lazily, process-wide, and only keeps the process alive while a batch is
 * in flight.
 */

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { BLOCK_SIZE, BlockError } from "../block-device.ts";
import { encryptData, IV_LEN, KEY_LEN, TAG_LEN } from "./crypto.ts";

/** Bytes of key + IV per slot in the shared key table. */
export const KIV_LEN = KEY_LEN + IV_LEN;
/** Batches smaller than this are not worth a worker round trip. */
const MIN_PARALLEL = 64;

interface Pending {
  resolve: () => void;
  reject: (e: Error) => void;
}

class WorkerPool {
  private worker: Worker | null = null;
  private disabled = availableParallelism() < 2 || process.env.SWORNDISK_CRYPTO_WORKERS === "0";
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private get(): Worker | null {
    if (this.disabled) return null;
    if (this.worker) return this.worker;
    try {
      const w = new Worker(new URL("./crypto-worker.ts", import.meta.url));
      w.unref();
      w.on("message", (m: { id: number; ok: boolean; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) w.unref();
        if (m.ok) p.resolve();
        else p.reject(new BlockError("IoError", `crypto worker: ${m.error}`));
      });
      w.on("error", (e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
      w.on("exit", () => this.fail(new Error("crypto worker exited")));
      this.worker = w;
      return w;
    } catch {
      this.disabled = true;
      return null;
    }
  }

  private fail(e: Error): void {
    this.worker = null;
    this.disabled = true; // fall back to inline encryption from now on
    for (const p of this.pending.values()) p.reject(new BlockError("IoError", `crypto worker failed: ${e.message}`));
    this.pending.clear();
  }

  run(staging: Uint8Array, kiv: Uint8Array, tags: Uint8Array, offs: number[]): Promise<void> | null {
    const w = this.get();
    if (!w) return null;
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ id, staging: staging.buffer, kiv: kiv.buffer, tags: tags.buffer, offs });
    });
  }
}

const pool = new WorkerPool();

/** Shared (worker-visible) zeroed bytes. */
export function sharedBytes(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(n));
}

function encryptInline(staging: Uint8Array, kiv: Uint8Array, tags: Uint8Array, offs: ArrayLike<number>, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const off = offs[i]!;
    const slot = staging.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE);
    const tag = encryptData(kiv.subarray(off * KIV_LEN, off * KIV_LEN + KEY_LEN), kiv.subarray(off * KIV_LEN + KEY_LEN, (off + 1) * KIV_LEN), slot, slot);
    tags.set(tag, off * TAG_LEN);
  }
}

/**
 * Encrypt the given slots of `staging` in place with their keys/IVs from `kiv`, writing tags
 * into `tags` (all three shared buffers). Part of a large batch goes to the worker.
 */
export async function encryptSlots(staging: Uint8Array, kiv: Uint8Array, tags: Uint8Array, offs: number[]): Promise<void> {
  const n = offs.length;
  if (n < MIN_PARALLEL || !(staging.buffer instanceof SharedArrayBuffer)) {
    encryptInline(staging, kiv, tags, offs, 0, n);
    return;
  }
  // The worker gets the larger share: this thread also runs the event loop and the index.
  const split = Math.floor(n * 0.55);
  const remote = pool.run(staging, kiv, tags, offs.slice(0, split));
  if (!remote) {
    encryptInline(staging, kiv, tags, offs, 0, n);
    return;
  }
  let localErr: unknown = null;
  try {
    encryptInline(staging, kiv, tags, offs, split, n);
  } catch (e) {
    localErr = e;
  }
  await remote;
  if (localErr) throw localErr;
}
