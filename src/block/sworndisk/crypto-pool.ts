/**
 * Background encryption of staged data blocks. AES-256-GCM with a fresh key per block costs
 * ~6-7 µs of CPU per 4 KiB in Node 26 (cipher object setup, the output Buffers and their GC; the
 * AES itself is ~1.4 µs), so one thread caps near 600 MiB/s before any other work. It runs
 * off the write call: the data log submits each batch of staged plaintext slots as a job as soon
 * as it is staged, worker threads encrypt it while the caller goes on writing, and whoever
 * has to wait for a job (the data log before a host write) helps with it instead of idling.
 *
 * A job lives in a small SharedArrayBuffer: a claim counter, a done counter, the slot count, an
 * error flag and the slot offsets. A job goes to one worker (round robin); it and the helping
 * thread claim CHUNK slots at a time with Atomics.add, so the work splits itself between the
 * threads that are free (a shared machine decides that, not us). The thread that completes the
 * last chunk signals the job (a worker by message; `poll` checks the done counter directly).
 * Everything stays inside the process (trusted memory).
 *
 * Workers are created lazily, process-wide, and keep the process alive only while a job is in
 * flight. SWORNDISK_CRYPTO_WORKERS=n sets their number (0 = encrypt on the calling thread).
 */

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { BLOCK_SIZE, BlockError } from "../block-device.ts";
import { encryptData, IV_LEN, KEY_LEN, TAG_LEN } from "./crypto.ts";

/** Bytes of key + IV per slot in the shared key table. */
export const KIV_LEN = KEY_LEN + IV_LEN;
/** Job header (Int32 words): next unclaimed index, completed count, slot count, error flag. */
export const J_NEXT = 0;
export const J_DONE = 1;
export const J_N = 2;
export const J_ERR = 3;
export const J_HDR = 4;
/** Slots claimed at once (~60 µs of work: small enough to balance, large enough to be cheap). */
export const CHUNK = 8;
/** Jobs smaller than this are encrypted at once on the calling thread (no round trip). */
const MIN_REMOTE = 16;

function defaultWorkers(): number {
  const env = process.env.SWORNDISK_CRYPTO_WORKERS;
  if (env !== undefined && env !== "") return Math.max(0, Math.min(8, Number(env) | 0));
  // One worker per core; the calling thread stages blocks and helps whenever it would wait. On
  // 2 cores, interleaved runs of bench/disk/seqwrite.ts: 2 workers 310-379 MiB/s, 1 worker
  // 288-293 MiB/s (the encryption-only loop favours 1 worker, but the disk's staging thread is
  // busy with other work much of the time).
  return availableParallelism() < 2 ? 0 : Math.min(4, availableParallelism());
}

/** Shared (worker-visible) zeroed bytes. */
export function sharedBytes(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(n));
}

/** Encrypt the claimed slots [from, to) of a job (both threads run exactly this). */
export function encryptRange(staging: Uint8Array, kiv: Uint8Array, tags: Uint8Array, ctrl: Int32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const off = ctrl[J_HDR + i]!;
    const k = off * KIV_LEN;
    const slot = staging.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE);
    const tag = encryptData(kiv.subarray(k, k + KEY_LEN), kiv.subarray(k + KEY_LEN, k + KIV_LEN), slot, slot);
    tags.set(tag, off * TAG_LEN);
  }
}

/**
 * Claim and encrypt chunks of `ctrl` until none is left. Returns true if this call completed
 * the job (its last chunk). An exception while encrypting sets the error flag; the chunk still
 * counts as done so that the job terminates.
 */
export function workOn(staging: Uint8Array, kiv: Uint8Array, tags: Uint8Array, ctrl: Int32Array): boolean {
  const n = ctrl[J_N]!;
  let finished = false;
  for (;;) {
    const from = Atomics.add(ctrl, J_NEXT, CHUNK);
    if (from >= n) return finished;
    const to = Math.min(n, from + CHUNK);
    try {
      encryptRange(staging, kiv, tags, ctrl, from, to);
    } catch {
      Atomics.store(ctrl, J_ERR, 1);
    }
    if (Atomics.add(ctrl, J_DONE, to - from) + (to - from) === n) finished = true;
  }
}

/** One batch of slots being encrypted in place. */
export class SealJob {
  readonly id: number;
  readonly ctrl: Int32Array;
  readonly offs: Int32Array;
  private readonly staging: Uint8Array;
  private readonly kiv: Uint8Array;
  private readonly tags: Uint8Array;
  readonly done: Promise<void>;
  private settle!: (e?: Error) => void;
  settled = false;
  failed = false;

  constructor(id: number, staging: Uint8Array, kiv: Uint8Array, tags: Uint8Array, offs: ArrayLike<number>, from: number, to: number) {
    this.id = id;
    this.staging = staging;
    this.kiv = kiv;
    this.tags = tags;
    const n = to - from;
    this.ctrl = new Int32Array(new SharedArrayBuffer((J_HDR + n) * 4));
    this.ctrl[J_N] = n;
    for (let i = 0; i < n; i++) this.ctrl[J_HDR + i] = offs[from + i]!;
    this.offs = this.ctrl.subarray(J_HDR);
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (e) => {
        if (this.settled) return;
        this.settled = true;
        if (!e && Atomics.load(this.ctrl, J_ERR) !== 0) e = new BlockError("IoError", "data block encryption failed");
        this.failed = e !== undefined;
        if (e) reject(e);
        else resolve();
      };
    });
    this.done.catch(() => undefined); // observed by finish(); never an unhandled rejection
  }

  /** Encrypt unclaimed chunks on this thread; settles the job if that completed it. */
  help(): void {
    if (workOn(this.staging, this.kiv, this.tags, this.ctrl)) this.settle();
  }

  /** True once every slot is encrypted (settles the job without waiting for the message). */
  poll(): boolean {
    if (!this.settled && Atomics.load(this.ctrl, J_DONE) === this.ctrl[J_N]) this.settle();
    return this.settled;
  }

  /** @internal the pool settles jobs finished by workers (or lost with a worker). */
  complete(e?: Error): void {
    this.settle(e);
  }

  message(): { id: number; staging: ArrayBufferLike; kiv: ArrayBufferLike; tags: ArrayBufferLike; ctrl: ArrayBufferLike } {
    return { id: this.id, staging: this.staging.buffer, kiv: this.kiv.buffer, tags: this.tags.buffer, ctrl: this.ctrl.buffer };
  }
}

class WorkerPool {
  private workers: Worker[] | null = null;
  private disabled = false;
  private nextId = 1;
  private rr = 0;
  private readonly live = new Map<number, SealJob>();
  readonly size = defaultWorkers();

  private get(): Worker[] | null {
    if (this.disabled || this.size === 0) return null;
    if (this.workers) return this.workers;
    try {
      const ws: Worker[] = [];
      for (let i = 0; i < this.size; i++) {
        const w = new Worker(new URL("./crypto-worker.ts", import.meta.url));
        w.unref();
        w.on("message", (id: number) => {
          const job = this.live.get(id);
          if (job) this.release(job);
          job?.complete();
        });
        w.on("error", (e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
        w.on("exit", () => this.fail(new Error("crypto worker exited")));
        ws.push(w);
      }
      this.workers = ws;
      return ws;
    } catch {
      this.disabled = true;
      return null;
    }
  }

  private fail(e: Error): void {
    const ws = this.workers;
    this.workers = null;
    this.disabled = true; // encrypt on the calling thread from now on
    if (ws) for (const w of ws) void w.terminate();
    // A job a dead worker had claimed chunks of can never complete.
    for (const j of this.live.values()) j.complete(new BlockError("IoError", `crypto worker failed: ${e.message}`));
    this.live.clear();
  }

  private release(job: SealJob): void {
    if (!this.live.delete(job.id) || this.live.size > 0) return;
    if (this.workers) for (const w of this.workers) w.unref();
  }

  /** Start encrypting offs[from, to) of `staging` in place; tags go to `tags`. */
  submit(staging: Uint8Array, kiv: Uint8Array, tags: Uint8Array, offs: ArrayLike<number>, from: number, to: number): SealJob {
    const job = new SealJob(this.nextId++, staging, kiv, tags, offs, from, to);
    const ws = to - from >= MIN_REMOTE && staging.buffer instanceof SharedArrayBuffer ? this.get() : null;
    if (!ws) {
      job.help();
      return job;
    }
    this.live.set(job.id, job);
    // One worker per job, round robin: every message wakes a thread, and on a loaded machine
    // the wake-up often preempts this one. Load balance comes from the staging thread helping
    // with whatever is unclaimed when it has to wait.
    const w = ws[this.rr++ % ws.length]!;
    w.ref();
    w.postMessage(job.message());
    return job;
  }

  /** Whether `job` has ended, without waiting (the worker's message may still be queued). */
  poll(job: SealJob): boolean {
    if (!job.poll()) return false;
    this.release(job);
    return true;
  }

  /** Encrypt unclaimed chunks of `job` on this thread. */
  help(job: SealJob): void {
    job.help();
    if (job.settled) this.release(job);
  }

  /** Wait for `job`, helping with its unclaimed chunks first; throws if encryption failed. */
  async finish(job: SealJob): Promise<void> {
    this.help(job);
    await job.done;
  }
}

export const cryptoPool = new WorkerPool();
