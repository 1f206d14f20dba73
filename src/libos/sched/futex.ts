/**
 * The kernel futex: wait queues keyed by (memory, address), shared by the loader's rewritten
 * memory.atomic.wait/notify (loader/kernel-imports.ts) and WASIX futex_wait/futex_wake
 * (syscall/wasix/thread-rows.ts).
 *
 * The value check is the caller's: it reads the word, compares, and calls wait() with no await in
 * between. Kernel code between awaits is atomic with respect to other guest threads (one vCPU,
 * see executor.ts), so a wake cannot slip between the check and the registration: no lost
 * wake-ups. A wait ends exactly once: "woken" (wake/requeue target), "timeout" or "interrupted"
 * (kill, signal); the resume goes through the executor's run queue like every other wait.
 *
 * Keys: the memory object itself (WebAssembly.Memory or its buffer), so the threads of one
 * process (instances sharing one imported memory) meet, and two processes never do. A bucket is
 * a FIFO list; empty buckets are dropped so the table holds only addresses being waited on.
 */
import { executor } from "./executor.ts";
import type { Interruptible, WakeReason } from "./wait-queue.ts";

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface FutexWaitOptions {
  /** A performance.now() value; absent = no timeout. */
  deadlineMs?: number;
  intr?: Interruptible;
}

class FutexWaiter {
  addr: number;
  done = false;
  timer: ReturnType<typeof setTimeout> | undefined;
  private readonly table: FutexTable;
  private readonly intr: Interruptible | undefined;
  private readonly resolve: (r: WakeReason) => void;

  constructor(table: FutexTable, addr: number, opts: FutexWaitOptions, resolve: (r: WakeReason) => void) {
    this.table = table;
    this.addr = addr;
    this.intr = opts.intr;
    this.resolve = resolve;
    if (opts.deadlineMs !== undefined) {
      const delay = Math.max(0, opts.deadlineMs - performance.now());
      // setTimeout turns delays past 2^31-1 ms into 1 ms: a timeout that far away is no timeout.
      if (delay <= MAX_TIMER_MS) this.timer = setTimeout(() => this.finish("timeout"), Math.ceil(delay));
    }
    this.intr?.setCanceller(() => this.finish("interrupted"));
  }

  finish(reason: WakeReason): boolean {
    if (this.done) return false;
    this.done = true;
    this.table.unlink(this);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.intr?.setCanceller(undefined);
    executor.wake(() => this.resolve(reason));
    return true;
  }
}

/** The futex wait queues of one memory. */
export class FutexTable {
  private readonly buckets = new Map<number, FutexWaiter[]>();
  /** Statistics (tests, bench). */
  waits = 0;
  wakes = 0;

  /** Waiters parked on `addr`. */
  waiting(addr: number): number {
    return this.buckets.get(addr)?.length ?? 0;
  }

  /** Addresses with at least one waiter. */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Park on `addr` (the caller has just checked the word holds the expected value). Resolves with
   * why the wait ended; an already pending interruption ends it at once.
   */
  wait(addr: number, opts: FutexWaitOptions = {}): Promise<WakeReason> {
    if (opts.intr?.interruptPending) return Promise.resolve("interrupted");
    this.waits++;
    return new Promise<WakeReason>((resolve) => {
      const w = new FutexWaiter(this, addr, opts, resolve);
      this.link(w);
    });
  }

  /** Wake up to `n` waiters of `addr`, oldest first; returns how many were woken. */
  wake(addr: number, n: number): number {
    const q = this.buckets.get(addr);
    if (!q || n <= 0) return 0;
    let woken = 0;
    while (woken < n && q.length > 0) {
      // finish() unlinks the waiter (and drops the bucket when it empties).
      if (q[0]!.finish("woken")) woken++;
    }
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
    const q = this.buckets.get(from);
    if (!q) return woken;
    const moved = q.splice(0, Math.max(0, nMove));
    if (q.length === 0) this.buckets.delete(from);
    for (const w of moved) {
      w.addr = to;
      this.link(w);
    }
    return woken + moved.length;
  }

  private link(w: FutexWaiter): void {
    let q = this.buckets.get(w.addr);
    if (!q) this.buckets.set(w.addr, (q = []));
    q.push(w);
  }

  /** @internal FutexWaiter.finish */
  unlink(w: FutexWaiter): void {
    const q = this.buckets.get(w.addr);
    if (!q) return;
    const i = q.indexOf(w);
    if (i >= 0) q.splice(i, 1);
    if (q.length === 0) this.buckets.delete(w.addr);
  }
}

const tables = new WeakMap<object, FutexTable>();

/** The futex table of a memory (a WebAssembly.Memory: every instance importing it shares it). */
export function futexTable(memory: object): FutexTable {
  let t = tables.get(memory);
  if (!t) tables.set(memory, (t = new FutexTable()));
  return t;
}
