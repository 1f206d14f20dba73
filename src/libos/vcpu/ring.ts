/**
 * The rings between the kernel thread and a vCPU worker (io_uring style): a single-producer,
 * single-consumer queue of small fixed-size messages in a SharedArrayBuffer, plus the doorbell
 * words the two sides sleep on.
 *
 * A message is `{ id, key, op, args }`: a request (id chosen by the vCPU, key = the thread, op = the
 * import, args = its raw wasm arguments) or a completion (same id, op = status, args[0] = value).
 * Completions may come back in any order; the vCPU matches them by id.
 *
 * Layout: a header of Int32 words (HEAD: next slot to read, TAIL: next slot to write, WANT_SPACE:
 * the producer found the ring full), then `capacity` slots. HEAD and TAIL are free-running int32
 * counters (they wrap at 2^32; `tail - head` computed modulo 2^32 is the fill level), a slot is
 * `counter & (capacity - 1)`. Only the producer stores TAIL and only the consumer stores HEAD;
 * both go through Atomics, which orders the slot's plain writes before the counter (seq-cst).
 *
 * Full ring: Sender keeps the overflow in order in a local queue and sets WANT_SPACE; the
 * consumer, after a drain, sees it (takeWantSpace) and rings the producer's doorbell, whose next
 * wake flushes the overflow. No message is lost or reordered, and nothing ever spins.
 */

/** Arguments per message (the largest syscall row has 14 wasm parameters: proc_spawn2). */
export const MAX_ARGS = 16;
const HEAD = 0;
const TAIL = 1;
const WANT_SPACE = 2;
const HEADER_BYTES = 16;
/** id, key, op, argc, bigint mask (Int32 each), padding, then MAX_ARGS 8-byte slots. */
const SLOT_BYTES = 32 + MAX_ARGS * 8;

export type WasmValue = number | bigint;

export interface RingMessage {
  id: number;
  key: number;
  op: number;
  args: WasmValue[];
}

export class Ring {
  readonly sab: SharedArrayBuffer;
  readonly capacity: number;
  private readonly i32: Int32Array;
  private readonly dv: DataView;

  /** A new ring of `capacity` slots (a power of two). `start`: initial counters (tests of the wrap). */
  static create(capacity: number, start = 0): Ring {
    if (capacity < 1 || (capacity & (capacity - 1)) !== 0) throw new RangeError("ring capacity must be a power of two");
    const r = new Ring(new SharedArrayBuffer(HEADER_BYTES + capacity * SLOT_BYTES));
    r.i32[HEAD] = start | 0;
    r.i32[TAIL] = start | 0;
    return r;
  }

  /** The same ring seen from another agent (the buffer was posted to it). */
  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.capacity = (sab.byteLength - HEADER_BYTES) / SLOT_BYTES;
    this.i32 = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.dv = new DataView(sab);
  }

  /** Messages waiting to be read. */
  get length(): number {
    return (Atomics.load(this.i32, TAIL) - Atomics.load(this.i32, HEAD)) | 0;
  }

  /** Producer: append `m`, or return false (and flag WANT_SPACE) when the ring is full. */
  tryPush(m: RingMessage): boolean {
    const tail = Atomics.load(this.i32, TAIL);
    const head = Atomics.load(this.i32, HEAD);
    if (((tail - head) | 0) >= this.capacity) {
      Atomics.store(this.i32, WANT_SPACE, 1);
      return false;
    }
    const n = m.args.length;
    if (n > MAX_ARGS) throw new RangeError(`ring message with ${n} arguments (at most ${MAX_ARGS})`);
    const dv = this.dv;
    const base = HEADER_BYTES + (tail & (this.capacity - 1)) * SLOT_BYTES;
    dv.setInt32(base, m.id, true);
    dv.setInt32(base + 4, m.key, true);
    dv.setInt32(base + 8, m.op, true);
    dv.setInt32(base + 12, n, true);
    let mask = 0;
    for (let i = 0; i < n; i++) {
      const v = m.args[i]!;
      const at = base + 32 + i * 8;
      if (typeof v === "bigint") {
        mask |= 1 << i;
        dv.setBigInt64(at, BigInt.asIntN(64, v), true);
      } else {
        dv.setFloat64(at, v, true);
      }
    }
    dv.setInt32(base + 16, mask, true);
    Atomics.store(this.i32, TAIL, (tail + 1) | 0);
    return true;
  }

  /** Consumer: hand every waiting message to `fn` in order; returns how many. */
  drain(fn: (m: RingMessage) => void): number {
    let head = Atomics.load(this.i32, HEAD);
    const tail = Atomics.load(this.i32, TAIL);
    let count = 0;
    const dv = this.dv;
    while (head !== tail) {
      const base = HEADER_BYTES + (head & (this.capacity - 1)) * SLOT_BYTES;
      const n = dv.getInt32(base + 12, true);
      const mask = dv.getInt32(base + 16, true);
      const args: WasmValue[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const at = base + 32 + i * 8;
        args[i] = (mask & (1 << i)) !== 0 ? dv.getBigInt64(at, true) : dv.getFloat64(at, true);
      }
      const m: RingMessage = { id: dv.getInt32(base, true), key: dv.getInt32(base + 4, true), op: dv.getInt32(base + 8, true), args };
      head = (head + 1) | 0;
      // The slot is free before fn runs: fn may make the producer side push again.
      Atomics.store(this.i32, HEAD, head);
      fn(m);
      count++;
    }
    return count;
  }

  /** Consumer: did the producer find the ring full since the last call? (Then ring its bell.) */
  takeWantSpace(): boolean {
    return Atomics.exchange(this.i32, WANT_SPACE, 0) !== 0;
  }
}

/**
 * A doorbell: an Int32 counter one side sleeps on (Atomics.waitAsync: the event loop never
 * blocks) and the other side bumps. Read the value, drain, then wait for a change of that value:
 * a ring between the read and the wait ends the wait at once, so no wake-up is lost.
 */
export class Doorbell {
  readonly sab: SharedArrayBuffer;
  private readonly i32: Int32Array;

  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.sab = sab;
    this.i32 = new Int32Array(sab, 0, 1);
  }

  get value(): number {
    return Atomics.load(this.i32, 0);
  }

  ring(): void {
    Atomics.add(this.i32, 0, 1);
    Atomics.notify(this.i32, 0);
  }

  /** Resolves once the value differs from `seen` (at once, synchronously null, if it already does). */
  waitAsync(seen: number): Promise<unknown> | null {
    const w = Atomics.waitAsync(this.i32, 0, seen);
    return w.async ? w.value : null;
  }

  /** Block this agent until the value differs from `seen` (workers only; `timeoutMs` bounds it). */
  waitSync(seen: number, timeoutMs = Infinity): void {
    Atomics.wait(this.i32, 0, seen, timeoutMs);
  }
}

/** The producer side of a ring: never refuses a message (overflow waits locally, in order). */
export class Sender {
  readonly ring: Ring;
  private readonly peer: Doorbell;
  private readonly overflow: RingMessage[] = [];
  /** Ring the peer once per batch instead of once per message (see batch()). */
  private batching = 0;
  private unrung = false;

  constructor(ring: Ring, peer: Doorbell) {
    this.ring = ring;
    this.peer = peer;
  }

  /** Messages not yet in the ring (it was full). */
  get backlog(): number {
    return this.overflow.length;
  }

  send(m: RingMessage): void {
    if (this.overflow.length > 0 || !this.ring.tryPush(m)) {
      this.overflow.push(m);
      return;
    }
    this.notify();
  }

  /** Move what fits of the overflow into the ring (after the consumer made space). */
  flush(): void {
    let moved = false;
    while (this.overflow.length > 0 && this.ring.tryPush(this.overflow[0]!)) {
      this.overflow.shift();
      moved = true;
    }
    if (moved) this.notify();
  }

  /** Run `fn`, ringing the peer at most once for everything it sends. */
  batch(fn: () => void): void {
    this.batching++;
    try {
      fn();
    } finally {
      if (--this.batching === 0 && this.unrung) {
        this.unrung = false;
        this.peer.ring();
      }
    }
  }

  private notify(): void {
    if (this.batching > 0) this.unrung = true;
    else this.peer.ring();
  }
}
