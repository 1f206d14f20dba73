/**
 * The kernel futex: wait queues keyed by (memory, address), shared by the loader's rewritten
 * memory.atomic.wait/notify (loader/kernel-imports.ts) and WASIX futex_wait/futex_wake
 * (syscall/wasix/thread-rows.ts).
 *
 * The value check is the caller's: it reads the word, compares, and calls wait() with no await in
 * between. Kernel code between awaits is atomic with respect to other guest threads (one vCPU,
 * see executor.ts), so a wake cannot slip between the check and the registration: no lost
 * wake-ups. A wait ends exactly once: "woken" (wake/requeue target), "timeout" or "interrupted"
 * (kill, signal); the resume is the executor's (a direct hand-off to the woken coroutine while
 * the event loop is not owed a turn).
 *
 * Keys: the memory object itself (WebAssembly.Memory or its buffer), so the threads of one
 * process (instances sharing one imported memory) meet, and two processes never do. A bucket is
 * a FIFO doubly linked list threaded through the waiters (O(1) unlink, no arrays). A hand-over
 * parks and wakes on the same few addresses again and again, so an emptied bucket stays in the
 * map (adding and deleting a Map key per wait showed up as rehashing in profiles); empty buckets
 * are swept once they outnumber the live ones.
 */
import { executor } from "./executor.ts";
import type { Interruptible, WakeReason } from "./wait-queue.ts";

const MAX_TIMER_MS = 2 ** 31 - 1;
/** Empty buckets kept before a sweep (beyond as many as there are live ones). */
const EMPTY_SLACK = 64;
// `performance` is an accessor on globalThis in Node: read it once.
const perf = performance;

export interface FutexWaitOptions {
  /** A performance.now() value; absent = no timeout. */
  deadlineMs?: number;
  intr?: Interruptible;
}

class Bucket {
  head: FutexWaiter | null = null;
  tail: FutexWaiter | null = null;
  length = 0;
}

class FutexWaiter {
  prev: FutexWaiter | null = null;
  next: FutexWaiter | null = null;
  bucket: Bucket | null = null;
  addr: number;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private readonly table: FutexTable;
  private readonly intr: Interruptible | undefined;
  private readonly resolve: (r: WakeReason) => void;

  constructor(table: FutexTable, addr: number, intr: Interruptible | undefined, deadlineMs: number | undefined, resolve: (r: WakeReason) => void) {
    this.table = table;
    this.addr = addr;
    this.intr = intr;
    this.resolve = resolve;
    if (deadlineMs !== undefined) {
      const delay = Math.max(0, deadlineMs - perf.now());
      // setTimeout turns delays past 2^31-1 ms into 1 ms: a timeout that far away is no timeout.
      if (delay <= MAX_TIMER_MS) this.timer = setTimeout(() => this.finish("timeout"), Math.ceil(delay));
    }
    if (intr !== undefined) intr.setCanceller(() => this.finish("interrupted"));
  }

  finish(reason: WakeReason): boolean {
    if (this.bucket === null) return false;
    this.table.unlink(this);
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.intr !== undefined) this.intr.setCanceller(undefined);
    executor.resume(this.resolve, reason);
    return true;
  }
}

// One executor function for every wait's Promise (it runs synchronously inside the constructor):
// a closure per wait would be one more allocation on the hottest path of a hand-over.
let captured: ((r: WakeReason) => void) | undefined;
const captureResolve = (resolve: (r: WakeReason) => void): void => {
  captured = resolve;
};

/** The futex wait queues of one memory. */
export class FutexTable {
  private readonly buckets = new Map<number, Bucket>();
  private live = 0;
  /** Statistics (tests, bench). */
  waits = 0;
  wakes = 0;

  /** Waiters parked on `addr`. */
  waiting(addr: number): number {
    return this.buckets.get(addr)?.length ?? 0;
  }

  /** Addresses with at least one waiter. */
  get size(): number {
    return this.live;
  }

  /**
   * Park on `addr` (the caller has just checked the word holds the expected value). Resolves with
   * why the wait ended; an already pending interruption ends it at once.
   */
  wait(addr: number, opts: FutexWaitOptions = {}): Promise<WakeReason> {
    return this.park(addr, opts.intr, opts.deadlineMs);
  }

  /** wait() without the options object (the syscall paths). */
  park(addr: number, intr: Interruptible | undefined, deadlineMs?: number): Promise<WakeReason> {
    if (intr !== undefined && intr.interruptPending) return Promise.resolve("interrupted");
    this.waits++;
    const p = new Promise<WakeReason>(captureResolve);
    this.link(new FutexWaiter(this, addr, intr, deadlineMs, captured!));
    captured = undefined;
    return p;
  }

  /** Wake up to `n` waiters of `addr`, oldest first; returns how many were woken. */
  wake(addr: number, n: number): number {
    const b = this.buckets.get(addr);
    if (b === undefined || b.head === null || n <= 0) return 0;
    let woken = 0;
    // finish() unlinks the head.
    while (woken < n && b.head !== null) if (b.head.finish("woken")) woken++;
    this.wakes += woken;
    return woken;
  }

  /**
   * FUTEX_REQUEUE: wake up to `nWake` waiters of `from`, move up to `nMove` of the rest to `to`
   * (they then wait there, for a wake on `to`). Returns woken + moved.
   */
  requeue(from: number, to: number, nWake: number, nMove: number): number {
    const woken = this.wake(from, nWake);
    if (from === to) return woken;
    const b = this.buckets.get(from);
    let moved = 0;
    while (b !== undefined && b.head !== null && moved < nMove) {
      const w = b.head;
      this.unlink(w);
      w.addr = to;
      this.link(w);
      moved++;
    }
    return woken + moved;
  }

  private link(w: FutexWaiter): void {
    let b = this.buckets.get(w.addr);
    if (b === undefined) {
      if (this.buckets.size >= 2 * this.live + EMPTY_SLACK) this.sweep();
      this.buckets.set(w.addr, (b = new Bucket()));
    }
    if (b.length++ === 0) this.live++;
    w.bucket = b;
    w.prev = b.tail;
    w.next = null;
    if (b.tail !== null) b.tail.next = w;
    else b.head = w;
    b.tail = w;
  }

  /** @internal FutexWaiter.finish */
  unlink(w: FutexWaiter): void {
    const b = w.bucket;
    if (b === null) return;
    if (w.prev !== null) w.prev.next = w.next;
    else b.head = w.next;
    if (w.next !== null) w.next.prev = w.prev;
    else b.tail = w.prev;
    w.prev = w.next = w.bucket = null;
    if (--b.length === 0) this.live--;
  }

  private sweep(): void {
    for (const [addr, b] of this.buckets) if (b.length === 0) this.buckets.delete(addr);
  }
}

// The table hangs off the memory object itself: a property load, where a WeakMap lookup cost a
// hash probe per futex call; it lives exactly as long as the memory.
const TABLE = Symbol("futex table");

/** The futex table of a memory (a WebAssembly.Memory: every instance importing it shares it). */
export function futexTable(memory: object): FutexTable {
  const m = memory as { [TABLE]?: FutexTable };
  return m[TABLE] ?? (m[TABLE] = new FutexTable());
}
