/**
 * Background encryption of staged data blocks. AES-256-GCM with a fresh key per block costs
 * ~5-8 µs of CPU per 4 KiB in Node 26 (cipher object setup, the output Buffers and their GC; the
 * AES itself is ~1.4 µs), so one thread caps near 600 MiB/s before any other work. It runs
 * off the write call: the data log submits each batch of staged plaintext slots as a job as soon
 * as it is staged, worker threads encrypt it while the caller goes on writing, and whoever
 * has to wait for a job (the data log before a host write) helps with it instead of idling.
 *
 * A job is a control block in shared memory: a claim counter, a done counter, the slot count, an
 * error flag, a count of workers that may still touch it, and the slot offsets. A job goes to
 * one worker (round robin); it and the helping thread claim CHUNK slots at a time with
 * Atomics.add, so the work splits itself between the threads that are free (a shared machine
 * decides that, not us). The thread that completes the last chunk signals the job (a worker by
 * message; `poll` checks the done counter directly). Everything stays inside the process
 * (trusted memory).
 *
 * Messages are kept tiny: each shared buffer (staging, key table, tag table, control block) is
 * registered with the workers once and jobs name them by number. Sending the buffers with every
 * job cost ~0.2 ms of the caller's CPU per job (a new SharedArrayBuffer per job and its
 * serialization, and the garbage on both sides). Control blocks are recycled once their job
 * has ended and no worker holds them.
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
/** Control block (Int32 words): next unclaimed index, completed count, slot count, error flag,
 * deliveries to workers not yet finished with it; then the slot offsets. */
export const J_NEXT = 0;
export const J_DONE = 1;
export const J_N = 2;
export const J_ERR = 3;
export const J_REFS = 4;
export const J_HDR = 5;
/** Most slots one job (one control block) carries; larger submissions are split. */
export const JOB_CAP = 1024;
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

/** A shared control block, registered with the workers under `id`. */
interface Ctrl {
  id: number;
  words: Int32Array;
  /** The job using it, until that job has ended. */
  job: SealJob | null;
}

/** One batch of slots being encrypted in place. */
export class SealJob {
  readonly id: number;
  /** The control block: only valid until the job has settled (then the pool recycles it). */
  readonly ctrl: Int32Array;
  private readonly staging: Uint8Array;
  private readonly kiv: Uint8Array;
  private readonly tags: Uint8Array;
  readonly done: Promise<void>;
  private settle!: (e?: Error) => void;
  settled = false;
  failed = false;

  constructor(id: number, ctrl: Int32Array, staging: Uint8Array, kiv: Uint8Array, tags: Uint8Array, offs: ArrayLike<number>, from: number, to: number) {
    this.id = id;
    this.staging = staging;
    this.kiv = kiv;
    this.tags = tags;
    const n = to - from;
    this.ctrl = ctrl;
    ctrl[J_NEXT] = 0;
    ctrl[J_DONE] = 0;
    ctrl[J_N] = n;
    ctrl[J_ERR] = 0;
    for (let i = 0; i < n; i++) ctrl[J_HDR + i] = offs[from + i]!;
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
    // Once settled, the control block may already serve another job: never touch it again.
    if (this.settled) return;
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
}

/** Worker messages: registration of a shared buffer, its release, or a job (ids only). */
export type PoolMessage = { reg: number; buf: SharedArrayBuffer } | { unreg: number } | [job: number, staging: number, kiv: number, tags: number, ctrl: number];

class WorkerPool {
  private workers: Worker[] | null = null;
  private disabled = false;
  private nextId = 1;
  private rr = 0;
  private readonly live = new Map<number, SealJob>();
  /** Shared buffers the workers know, by id. */
  private readonly bufIds = new WeakMap<SharedArrayBuffer, number>();
  /** A buffer the caller dropped without `forget` is released in the workers once collected. */
  private readonly gone = new FinalizationRegistry<number>((id) => this.post({ unreg: id }));
  private readonly ctrls: Ctrl[] = [];
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

  private post(m: PoolMessage): void {
    if (this.workers) for (const w of this.workers) w.postMessage(m);
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

  /** The workers' id for `buf`, registering it on first use. */
  private share(buf: SharedArrayBuffer): number {
    let id = this.bufIds.get(buf);
    if (id === undefined) {
      id = this.nextId++;
      this.bufIds.set(buf, id);
      this.gone.register(buf, id, buf);
      this.post({ reg: id, buf });
    }
    return id;
  }

  /** The workers may drop `buf` (its owner is done with it; jobs on it have ended). */
  forget(buf: ArrayBufferLike): void {
    if (!(buf instanceof SharedArrayBuffer)) return;
    const id = this.bufIds.get(buf);
    if (id === undefined) return;
    this.bufIds.delete(buf);
    this.gone.unregister(buf);
    this.post({ unreg: id });
  }

  /** A control block no job or worker uses any more (or a new one). */
  private ctrl(): Ctrl {
    for (const c of this.ctrls) {
      if (c.job && !c.job.settled) continue;
      if (Atomics.load(c.words, J_REFS) !== 0) continue; // a worker may still claim from it
      c.job = null;
      return c;
    }
    const words = new Int32Array(new SharedArrayBuffer((J_HDR + JOB_CAP) * 4));
    const c: Ctrl = { id: this.nextId++, words, job: null };
    this.ctrls.push(c);
    if (this.workers) this.post({ reg: c.id, buf: words.buffer as SharedArrayBuffer });
    return c;
  }

  /**
   * Start encrypting offs[from, to) (at most JOB_CAP slots) of `staging` in place; tags go to
   * `tags`.
   */
  submit(staging: Uint8Array, kiv: Uint8Array, tags: Uint8Array, offs: ArrayLike<number>, from: number, to: number): SealJob {
    if (to - from > JOB_CAP) throw new BlockError("InvalidArgument", `encryption job of ${to - from} slots (at most ${JOB_CAP})`);
    const c = this.ctrl();
    const job = new SealJob(this.nextId++, c.words, staging, kiv, tags, offs, from, to);
    c.job = job;
    const shared = staging.buffer instanceof SharedArrayBuffer && kiv.buffer instanceof SharedArrayBuffer && tags.buffer instanceof SharedArrayBuffer;
    const fresh = this.workers === null;
    const ws = to - from >= MIN_REMOTE && shared ? this.get() : null;
    if (!ws) {
      job.help();
      return job;
    }
    // Workers created just now learn the control blocks that already exist.
    if (fresh) for (const x of this.ctrls) this.post({ reg: x.id, buf: x.words.buffer as SharedArrayBuffer });
    const msg: PoolMessage = [job.id, this.share(staging.buffer as SharedArrayBuffer), this.share(kiv.buffer as SharedArrayBuffer), this.share(tags.buffer as SharedArrayBuffer), c.id];
    this.live.set(job.id, job);
    // One worker per job, round robin: every message wakes a thread, and on a loaded machine
    // the wake-up often preempts this one. Load balance comes from the staging thread helping
    // with whatever is unclaimed when it has to wait.
    const w = ws[this.rr++ % ws.length]!;
    w.ref();
    Atomics.add(c.words, J_REFS, 1); // the worker releases it after its claim loop
    w.postMessage(msg);
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
