/**
 * Background encryption of staged data blocks. AES-256-GCM with a fresh key per block costs
 * ~5-8 µs of CPU per 4 KiB in Node 26 (cipher object setup, the output Buffers and their GC; the
 * AES itself is ~1.4 µs), so one thread caps near 600 MiB/s before any other work. It runs off
 * the write call: worker threads encrypt staged blocks while the caller goes on writing.
 *
 * A Lane is one staging buffer with its key/IV table, its tag table and a list of slot offsets
 * to encrypt, all in shared memory (trusted: it never leaves the process). The owner appends
 * slots and publishes them (P); workers (and the owner, when it encrypts itself) claim CHUNK
 * slots at a time by compare-and-swap on the claim counter C, encrypt them in place and add to
 * the done counter D. P, C and D only grow (mod 2^32), so a stale claim attempt can never
 * succeed after the lane was reused: a lane starts a new epoch (its list restarts at base B = P)
 * only when D == P, i.e. every claim ever made on it has ended, and a claim only takes
 * published slots.
 *
 * No message per job: workers loop over the registered lanes (oldest epoch first) and sleep on
 * a futex word (Atomics.wait) only when no lane has work; publishing wakes sleepers only, and a
 * worker notifies a waiting owner only when the lane is complete. Before this, every 1 MiB job
 * was one postMessage each way (~10% of the staging thread's time in wake-ups) and the owner
 * encrypted most blocks itself while the woken workers were still getting a core. Messages are
 * left for registering lanes (their buffers, once).
 *
 * Workers are created lazily, process-wide, and keep the process alive only while someone waits
 * for them. SWORNDISK_CRYPTO_WORKERS=n sets their number (0 = encrypt on the calling thread).
 */

import { availableParallelism } from "node:os";
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import { BLOCK_SIZE, BlockError } from "../block-device.ts";
import { encryptData, IV_LEN, KEY_LEN, TAG_LEN } from "./crypto.ts";

/** Bytes of key + IV per slot in the key table. */
export const KIV_LEN = KEY_LEN + IV_LEN;
/** Lane control words (Int32): published, claimed, done, epoch base, error flag, a waiter is
 * parked on D, epoch order (workers serve the oldest epoch first); then the slot list. */
export const L_P = 0;
export const L_C = 1;
export const L_D = 2;
export const L_B = 3;
export const L_ERR = 4;
export const L_WAIT = 5;
export const L_ORDER = 6;
export const L_HDR = 8;
/** Pool control words: futex sequence the idle workers sleep on, number of sleeping workers. */
export const P_SEQ = 0;
export const P_SLEEPERS = 1;
/** Workers that finished starting up (until then a waiter encrypts on its own thread). */
export const P_READY = 2;
/** Messages posted to the workers so far (a worker reads its port only when this changed). */
export const P_MSGS = 3;
/** Slots claimed at once (~40 µs of work: small enough to balance, large enough to be cheap). */
export const CHUNK = 8;
/**
 * A busy worker wakes a sleeping one when at least this many slots are unclaimed (a relay: the
 * owner itself wakes a worker only when all of them sleep), at most once per RELAY_GAP_MS.
 */
export const RELAY_MIN = 2 * CHUNK;
export const RELAY_GAP_MS = 0.2;
/** A waiter encrypts this many unclaimed slots itself rather than wake a worker for them. */
const HELP_MAX = 2 * CHUNK;
/** How long a waiter blocks synchronously for chunks being encrypted right now. */
const SPIN_MS = 0.5;

function defaultWorkers(): number {
  const env = process.env.SWORNDISK_CRYPTO_WORKERS;
  if (env !== undefined && env !== "") return Math.max(0, Math.min(8, Number(env) | 0));
  return availableParallelism() < 2 ? 0 : Math.min(4, availableParallelism());
}

/** Shared (worker-visible) zeroed bytes. */
export function sharedBytes(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(n));
}

/** The buffers of one lane, as both sides see them. */
export interface LaneBufs {
  staging: Uint8Array;
  kiv: Uint8Array;
  tags: Uint8Array;
  words: Int32Array;
}

/**
 * Claim up to CHUNK published slots of a lane; returns the first claimed index and the count
 * (count 0: nothing to claim). Indices are counters mod 2^32.
 */
function claim(w: Int32Array): number {
  for (;;) {
    const c = Atomics.load(w, L_C);
    const avail = (Atomics.load(w, L_P) - c) | 0;
    if (avail <= 0) return 0;
    const k = avail < CHUNK ? avail : CHUNK;
    if (Atomics.compareExchange(w, L_C, c, (c + k) | 0) === c) {
      claimedFrom = c;
      return k;
    }
  }
}
let claimedFrom = 0;

/** Encrypt the claimed list entries [from, from+k) of a lane in place (all threads run this). */
function encryptClaimed(l: LaneBufs, from: number, k: number): void {
  const w = l.words;
  const rel = (from - Atomics.load(w, L_B)) | 0;
  try {
    for (let i = rel; i < rel + k; i++) {
      const off = w[L_HDR + i]!;
      const kv = off * KIV_LEN;
      const slot = l.staging.subarray(off * BLOCK_SIZE, (off + 1) * BLOCK_SIZE);
      const tag = encryptData(l.kiv.subarray(kv, kv + KEY_LEN), l.kiv.subarray(kv + KEY_LEN, kv + KIV_LEN), slot, slot);
      l.tags.set(tag, off * TAG_LEN);
    }
  } catch {
    Atomics.store(w, L_ERR, 1); // the chunk still counts as done, so that waiters terminate
  }
  // Wake a waiting owner only when the lane is complete: a wake-up per chunk cost more CPU than
  // the encryption it reported.
  const d = (Atomics.add(w, L_D, k) + k) | 0;
  if (d === Atomics.load(w, L_P) && Atomics.load(w, L_WAIT) !== 0) Atomics.notify(w, L_D);
}

/** Claim and encrypt one chunk; false if the lane had nothing to claim. */
export function workChunk(l: LaneBufs): boolean {
  const k = claim(l.words);
  if (k === 0) return false;
  encryptClaimed(l, claimedFrom, k);
  return true;
}

/** Whether a lane has published slots nobody claimed yet. */
export function hasWork(w: Int32Array): boolean {
  return ((Atomics.load(w, L_P) - Atomics.load(w, L_C)) | 0) > 0;
}

/** Messages to a worker: a lane's buffers, or that it is gone. */
export type RegMessage = { reg: number; bufs: { staging: SharedArrayBuffer; kiv: SharedArrayBuffer; tags: SharedArrayBuffer; words: SharedArrayBuffer } };
export type PoolMessage = RegMessage | { unreg: number };

/**
 * One staging buffer and its encryption list. The owner (one thread) stages slots with `add`,
 * makes them claimable with `publish`, and before touching the ciphertext waits with `wait`;
 * `reset` starts a new epoch (a new segment in the same buffer) once everything is done.
 */
export class Lane implements LaneBufs {
  readonly staging: Uint8Array;
  readonly kiv: Uint8Array;
  readonly tags: Uint8Array;
  readonly words: Int32Array;
  readonly cap: number;
  id = 0;
  /** Local mirrors: list entries added (published or not), published, epoch base. */
  private added: number;
  private pub: number;
  private base: number;

  constructor(cap: number) {
    this.cap = cap;
    this.staging = sharedBytes(cap * BLOCK_SIZE);
    this.kiv = sharedBytes(cap * KIV_LEN);
    this.tags = sharedBytes(cap * TAG_LEN);
    this.words = new Int32Array(new SharedArrayBuffer((L_HDR + cap) * 4));
    this.added = this.pub = this.base = 0;
    cryptoPool.register(this);
  }

  /** Entries of the current epoch (published or not). */
  get length(): number {
    return (this.added - this.base) | 0;
  }

  /** Entries added but not yet published. */
  get unpublished(): number {
    return (this.added - this.pub) | 0;
  }

  /** Entry i of the current epoch's list (a slot offset). */
  entry(i: number): number {
    return this.words[L_HDR + i]!;
  }

  /** Append `n` consecutive slots from `off` to the list (not yet claimable). */
  addRun(off: number, n: number): void {
    const at = L_HDR + this.length;
    if (this.length + n > this.cap) throw new BlockError("InvalidArgument", `lane overflow (${this.length} + ${n} > ${this.cap})`);
    for (let i = 0; i < n; i++) this.words[at + i] = off + i;
    this.added = (this.added + n) | 0;
  }

  /** Make the added entries claimable; `wake`: rouse sleeping workers for them. */
  publish(wake = true): void {
    const n = this.unpublished;
    if (n === 0) return;
    this.pub = this.added;
    Atomics.store(this.words, L_P, this.pub);
    if (wake) cryptoPool.wake();
  }

  /** Every published entry is encrypted (none held by a worker any more). */
  get done(): boolean {
    return Atomics.load(this.words, L_D) === this.pub;
  }

  /** Encrypt unclaimed published entries on this thread. */
  help(): void {
    while (workChunk(this));
  }

  /**
   * Publish everything and wait until every entry is encrypted; throws if an encryption failed
   * (the slots are then garbage: the caller must not write them). With workers, the caller
   * only waits: helping was measured slower (three threads on two cores, and the caller's
   * event loop, which completes host I/O, blocked meanwhile). Without workers, or for a few
   * blocks (less than a wake-up costs), it encrypts them itself.
   */
  async wait(): Promise<void> {
    this.publish(false);
    const w = this.words;
    const unclaimed = (Atomics.load(w, L_P) - Atomics.load(w, L_C)) | 0;
    if (!cryptoPool.active || unclaimed <= HELP_MAX) this.help();
    else cryptoPool.wake();
    if (!this.done) {
      const until = performance.now() + SPIN_MS;
      Atomics.store(w, L_WAIT, 1);
      try {
        for (let d = Atomics.load(w, L_D); d !== this.pub; d = Atomics.load(w, L_D)) {
          cryptoPool.check();
          // Nothing unclaimed: what is left is being encrypted right now, and a short
          // synchronous wait costs less than a round trip through the event loop.
          const left = until - performance.now();
          if (left > 0 && !hasWork(w)) Atomics.wait(w, L_D, d, left);
          else await cryptoPool.parked(Atomics.waitAsync(w, L_D, d, 50));
        }
      } finally {
        Atomics.store(w, L_WAIT, 0);
      }
    }
    if (Atomics.load(w, L_ERR) !== 0) throw new BlockError("IoError", "data block encryption failed");
  }

  /** Start a new epoch (requires `done`): the list restarts empty. */
  reset(): void {
    if (!this.done || this.unpublished !== 0) throw new BlockError("InvalidArgument", "lane reset while encrypting");
    this.base = this.added;
    Atomics.store(this.words, L_B, this.base);
    Atomics.store(this.words, L_ERR, 0);
    Atomics.store(this.words, L_ORDER, cryptoPool.nextOrder());
  }

  /** The workers may drop this lane (call when done with it). */
  dispose(): void {
    cryptoPool.unregister(this);
  }
}

class WorkerPool {
  private workers: Worker[] | null = null;
  private ports: MessagePort[] = [];
  private disabled = false;
  private failure: BlockError | null = null;
  private nextId = 1;
  private order = 1;
  private waiting = 0;
  readonly ctl = new Int32Array(new SharedArrayBuffer(64));
  /** Registered lanes' buffers by id (the workers learn them once). */
  private readonly lanes = new Map<number, RegMessage>();
  /** A lane dropped without `dispose` is released in the workers once collected. */
  private readonly gone = new FinalizationRegistry<number>((id) => this.unregisterId(id));
  readonly size = defaultWorkers();

  /** Workers are running and ready (else callers encrypt on their own thread). */
  get active(): boolean {
    return this.workers !== null && Atomics.load(this.ctl, P_READY) > 0;
  }

  nextOrder(): number {
    return this.order++;
  }

  private start(): Worker[] | null {
    if (this.disabled || this.size === 0) return null;
    if (this.workers) return this.workers;
    try {
      const ws: Worker[] = [];
      for (let i = 0; i < this.size; i++) {
        const ch = new MessageChannel();
        const w = new Worker(new URL("./crypto-worker.ts", import.meta.url), { workerData: { ctl: this.ctl.buffer, port: ch.port2 }, transferList: [ch.port2] });
        w.unref();
        w.on("error", (e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
        w.on("exit", () => this.fail(new Error("crypto worker exited")));
        ws.push(w);
        this.ports.push(ch.port1);
        ch.port1.unref();
      }
      this.workers = ws;
      for (const m of this.lanes.values()) this.post(m);
      this.kick(this.size);
      return ws;
    } catch {
      this.disabled = true;
      return null;
    }
  }

  private post(m: PoolMessage): void {
    for (const p of this.ports) p.postMessage(m);
    Atomics.add(this.ctl, P_MSGS, 1);
  }

  /** Wake up to `n` sleeping workers (new work or a message for them). */
  private kick(n: number): void {
    Atomics.add(this.ctl, P_SEQ, 1);
    Atomics.notify(this.ctl, P_SEQ, n);
  }

  register(l: Lane): void {
    l.id = this.nextId++;
    const m: RegMessage = { reg: l.id, bufs: { staging: l.staging.buffer as SharedArrayBuffer, kiv: l.kiv.buffer as SharedArrayBuffer, tags: l.tags.buffer as SharedArrayBuffer, words: l.words.buffer as SharedArrayBuffer } };
    Atomics.store(l.words, L_ORDER, this.nextOrder());
    this.lanes.set(l.id, m);
    this.gone.register(l, l.id, l);
    if (this.start() === null) return;
    this.post(m);
    this.kick(this.size);
  }

  unregister(l: Lane): void {
    this.gone.unregister(l);
    this.unregisterId(l.id);
  }

  private unregisterId(id: number): void {
    if (!this.lanes.delete(id)) return;
    this.post({ unreg: id });
    if (this.workers) this.kick(this.size);
  }

  /**
   * Slots were published: wake one worker if all of them sleep. A futex wake costs the waker
   * ~25-100 µs here (and the woken thread often takes its core), so the owner never wakes a
   * second one: a worker that finds more work than it can take at once relays the wake-up
   * (crypto-worker.ts). An awake worker sees the new slots before it sleeps (it counts itself
   * a sleeper, then looks for work once more; publishing stores P before reading the count).
   */
  wake(): void {
    if (!this.workers) return;
    if (Atomics.load(this.ctl, P_SLEEPERS) >= this.workers.length) this.kick(1);
  }

  /**
   * Start the workers (if not yet) and wait until they finished their warm-up, at most
   * `timeoutMs`. Opening a disk calls this, so that worker start-up and JIT warm-up are part of
   * opening the device, not of its first writes. Never fails: without ready workers, callers
   * encrypt on their own thread.
   */
  async ready(timeoutMs = 5000): Promise<void> {
    const ws = this.start();
    if (!ws) return;
    const until = performance.now() + timeoutMs;
    // Polled with a timer (which keeps the process alive even if the workers die meanwhile).
    while (Atomics.load(this.ctl, P_READY) < ws.length && this.workers === ws && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Throws if the workers died (a chunk one of them held will never complete). */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** Await a waitAsync result, keeping the process alive meanwhile (workers are unref'd). */
  async parked(r: { async: boolean; value: unknown }): Promise<void> {
    if (!r.async) return;
    if (this.waiting++ === 0) for (const w of this.workers ?? []) w.ref();
    try {
      await r.value;
    } finally {
      if (--this.waiting === 0) for (const w of this.workers ?? []) w.unref();
    }
  }

  private fail(e: Error): void {
    const ws = this.workers;
    this.workers = null;
    this.ports = [];
    this.disabled = true; // encrypt on the calling thread from now on
    this.failure ??= new BlockError("IoError", `crypto worker failed: ${e.message}`);
    if (ws) for (const w of ws) void w.terminate();
    // Wake every waiter: it sees the failure (a chunk a dead worker claimed never completes).
    for (const m of this.lanes.values()) Atomics.notify(new Int32Array(m.bufs.words), L_D);
  }
}

export const cryptoPool = new WorkerPool();
