/**
 * The kernel futex: wait queues keyed by (memory, address), shared by the loader's rewritten
 * memory.atomic.wait/notify (loader/kernel-imports.ts) and WASIX futex_wait/futex_wake
 * (syscall/wasix/thread-rows.ts).
 *
 * The value check is the caller's: it reads the word, compares, and calls wait() with no await in
 * between. Kernel code between awaits is atomic with respect to other guest threads (one vCPU,
 * see executor.ts), so a wake cannot slip between the check and the registration: no lost
 * wake-ups. A wait ends exactly once: "woken" (wake/requeue target), "timeout" or "interrupted"
 * (kill, signal); the resume is the executor's, and the first waiter a wake ends runs next, before
 * the threads already ready (executor.resume's `next`). The table also remembers whom a wake
 * woke first, for the waker's wakeup preemption (Thread.wokeUp).
 *
 * Keys: the memory object itself (WebAssembly.Memory or its buffer), so the threads of one
 * process (instances sharing one imported memory) meet, and two processes never do. A bucket is
 * a doubly linked list threaded through the waiters (O(1) unlink, no arrays) in Linux's wake
 * order: real-time priority, then FIFO, but for a waiter woken in vain that waits again, which
 * keeps its place at the head (park's `again`). A hand-over
 * parks and wakes on the same few addresses again and again, so an emptied bucket stays in the
 * map (adding and deleting a Map key per wait showed up as rehashing in profiles); empty buckets
 * are swept once they outnumber the live ones.
 */
import { executor } from "./executor.ts";
import type { Interruptible, WakeReason } from "./wait-queue.ts";
import { nowMs } from "./clock.ts";

const MAX_TIMER_MS = 2 ** 31 - 1;
/** Empty buckets kept before a sweep (beyond as many as there are live ones). */
const EMPTY_SLACK = 64;
/** Finished waiters kept for reuse (as many as were parked at once, up to this). */
const MAX_FREE = 4096;

export interface FutexWaitOptions {
  /** A nowMs() value; absent = no timeout. */
  deadlineMs?: number;
  intr?: Interruptible;
}

class Bucket {
  head: FutexWaiter | null = null;
  tail: FutexWaiter | null = null;
  length = 0;
}

/**
 * One parked wait. Waiter objects are reused (each table keeps the finished ones, last finished
 * first, so the next wait gets one still in cache): their canceller and timer callbacks are made
 * once per object. Safe because nothing keeps a finished waiter's callbacks: finish() clears the
 * timer and the thread's canceller (Interruptible.setCanceller drops the previous one) before the
 * object is handed out again.
 */
class FutexWaiter {
  prev: FutexWaiter | null = null;
  next: FutexWaiter | null = null;
  bucket: Bucket | null = null;
  addr = 0;
  /** FUTEX_WAIT_BITSET's mask (wakeBits); every other wait matches any wake (-1, all 32 bits). */
  bits = -1;
  /** The waiter's real-time priority when it parked: its place in the bucket (link). */
  prio = 0;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private readonly table: FutexTable;
  private intr: Interruptible | undefined = undefined;
  private resolve: ((v: unknown) => void) | undefined = undefined;
  /** Maps why the wait ended to what the Promise resolves with (parkWith); none: the reason. */
  private complete: ((r: WakeReason) => unknown) | undefined = undefined;
  private readonly cancel = (): void => {
    this.finish("interrupted");
  };
  /** nowMs() at which a timed wait times out (a Node timer may fire early: see wait-queue.ts armTimeout). */
  private deadlineMs = 0;
  private readonly expire = (): void => {
    this.timer = undefined;
    const left = this.deadlineMs - nowMs();
    if (left > 0) this.timer = setTimeout(this.expire, Math.ceil(left));
    else this.finish("timeout");
  };

  constructor(table: FutexTable) {
    this.table = table;
  }

  arm(addr: number, intr: Interruptible | undefined, deadlineMs: number | undefined, resolve: (v: unknown) => void, complete: ((r: WakeReason) => unknown) | undefined): void {
    this.addr = addr;
    this.intr = intr;
    this.prio = intr?.rtPriority ?? 0; // 0 without a field read until real-time policies are used (Thread.rtPriority)
    this.resolve = resolve;
    this.complete = complete;
    if (deadlineMs !== undefined) {
      const delay = Math.max(0, deadlineMs - nowMs());
      this.deadlineMs = deadlineMs;
      // setTimeout turns delays past 2^31-1 ms into 1 ms: a timeout that far away is no timeout.
      if (delay <= MAX_TIMER_MS) this.timer = setTimeout(this.expire, Math.ceil(delay));
    }
    if (intr !== undefined) intr.setCanceller(this.cancel);
  }

  /** Whose wait this is (the thread, for the syscall paths). */
  owner(): Interruptible | undefined {
    return this.intr;
  }

  /** End the wait; `next`: the woken thread runs before the ready ones (executor.resume). */
  finish(reason: WakeReason, next = false): boolean {
    if (this.bucket === null) return false;
    this.table.unlink(this);
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.intr !== undefined) this.intr.setCanceller(undefined);
    const resolve = this.resolve!, complete = this.complete, intr = this.intr, prio = intr?.rtPriority ?? 0;
    this.intr = this.resolve = this.complete = undefined;
    this.table.release(this);
    // The wait is over before complete() runs: it may look at the thread.
    executor.resume(resolve, complete === undefined ? reason : complete(reason), next ? "next" : "ready", prio, intr);
    return true;
  }
}

// One executor function for every wait's Promise (it runs synchronously inside the constructor):
// a closure per wait would be one more allocation on the hottest path of a hand-over.
let captured: ((v: unknown) => void) | undefined;
const captureResolve = (resolve: (v: unknown) => void): void => {
  captured = resolve;
};

/** Parks, re-waits that kept their place (`again`) and wakes over every table of this JS thread (bench/threads/profile.ts). */
export const futexStats = { parks: 0, again: 0, wakes: 0 };

/** The futex wait queues of one memory. */
export class FutexTable {
  private readonly buckets = new Map<number, Bucket>();
  private live = 0;
  private readonly free: FutexWaiter[] = [];
  /** The first waiter the latest wake() woke (its Interruptible: the thread): takeFirstWoken. */
  private firstWoken: Interruptible | undefined = undefined;
  /** Statistics (tests, bench). */
  waits = 0;
  wakes = 0;

  /** Who the latest wake() woke first, once (wakeup preemption: Thread.wokeUp). */
  takeFirstWoken(): Interruptible | undefined {
    const w = this.firstWoken;
    this.firstWoken = undefined;
    return w;
  }

  /** Whose wait is the oldest on `addr` (undefined: nobody waits there). */
  firstWaiter(addr: number): Interruptible | undefined {
    return this.buckets.get(addr)?.head?.owner();
  }

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

  /**
   * wait() without the options object (the syscall paths). `again`: the waiter was just woken
   * from this word and waits on it once more, having found its lock taken again (a futile
   * wake-up: Thread.futexWait). A normal waiter goes back to the head of the normal waiters
   * (behind any real-time ones, whose order stays Linux's), not to the tail, as Go's runtime semaphores queue a woken waiter that lost the race first: the
   * next wake ends its wait again, while its stack and objects are still in the cache, instead
   * of the oldest of many waiters whose state went cold (a sysbench event, 100 iterations of
   * lock / sched_yield / unlock on one mutex, wakes the same waiter 100 times: at 1024 threads
   * an op went from ~1500 to ~950 ns; bench/threads/README.md, fifteenth round). The others
   * keep their FIFO order, and the lock, once its holder moves on, goes to the waiter that has
   * waited longest, where a futile wake used to send that one to the tail. futex(2) promises no
   * order among waiters of one priority.
   */
  park(addr: number, intr: Interruptible | undefined, deadlineMs?: number, again = false): Promise<WakeReason> {
    if (intr !== undefined && intr.interruptPending) return Promise.resolve("interrupted");
    return this.enqueue(addr, intr, deadlineMs, undefined, -1, again) as Promise<WakeReason>;
  }

  /**
   * park(), resolving with `complete(reason)`, called by whoever ends the wait as it ends it (a
   * direct resume: syscall/dispatch.ts). `complete` must not throw.
   */
  parkWith<R>(addr: number, intr: Interruptible | undefined, deadlineMs: number | undefined, complete: (r: WakeReason) => R, again = false): Promise<Awaited<R>> {
    if (intr !== undefined && intr.interruptPending) return Promise.resolve(complete("interrupted"));
    return this.enqueue(addr, intr, deadlineMs, complete, -1, again) as Promise<Awaited<R>>;
  }

  private enqueue(addr: number, intr: Interruptible | undefined, deadlineMs: number | undefined, complete: ((r: WakeReason) => unknown) | undefined, bits = -1, again = false): Promise<unknown> {
    this.waits++;
    futexStats.parks++;
    const p = new Promise<unknown>(captureResolve);
    const w = this.free.pop() ?? new FutexWaiter(this);
    w.arm(addr, intr, deadlineMs, captured!, complete);
    w.bits = bits;
    captured = undefined;
    if (again) futexStats.again++;
    this.link(w, again);
    return p;
  }

  /** @internal FutexWaiter.finish: a finished waiter, for the next wait. */
  release(w: FutexWaiter): void {
    w.bits = -1;
    if (this.free.length < MAX_FREE) this.free.push(w);
  }

  /**
   * FUTEX_WAIT_BITSET: park() whose wait only wakeBits() calls with a mask that shares a bit end
   * (wake() and requeue() take any waiter, as Linux's FUTEX_WAKE is a wake with every bit set).
   */
  parkBits(addr: number, intr: Interruptible | undefined, deadlineMs: number | undefined, bits: number, again = false): Promise<WakeReason> {
    if (intr !== undefined && intr.interruptPending) return Promise.resolve("interrupted");
    return this.enqueue(addr, intr, deadlineMs, undefined, bits, again) as Promise<WakeReason>;
  }

  /** FUTEX_WAKE_BITSET: wake() of the waiters whose mask shares a bit with `bits`, oldest first. */
  wakeBits(addr: number, n: number, bits: number): number {
    const b = this.buckets.get(addr);
    let woken = 0;
    for (let w = b?.head ?? null; w !== null && woken < n; ) {
      const next = w.next;
      if ((w.bits & bits) !== 0) {
        if (woken === 0) this.firstWoken = w.owner();
        if (w.finish("woken", woken === 0)) woken++;
      }
      w = next;
    }
    this.wakes += woken;
    futexStats.wakes += woken;
    return woken;
  }

  /** The owners of the first `k` waiters of `addr` (oldest first), for a waker's choice (wakeOwner). */
  firstOwners(addr: number, k: number): Interruptible[] {
    const out: Interruptible[] = [];
    for (let w = this.buckets.get(addr)?.head ?? null; w !== null && out.length < k; w = w.next) {
      const o = w.owner();
      if (o !== undefined) out.push(o);
    }
    return out;
  }

  /** Wake the waiter of `addr` whose owner is `owner` (it runs next, as wake's first): false if it does not wait there. */
  wakeOwner(addr: number, owner: Interruptible): boolean {
    for (let w = this.buckets.get(addr)?.head ?? null; w !== null; w = w.next) {
      if (w.owner() !== owner) continue;
      this.firstWoken = owner;
      if (!w.finish("woken", true)) return false;
      this.wakes++;
      futexStats.wakes++;
      return true;
    }
    return false;
  }

  /** Wake up to `n` waiters of `addr`, oldest first; returns how many were woken. */
  wake(addr: number, n: number): number {
    const b = this.buckets.get(addr);
    if (b === undefined || b.head === null || n <= 0) return 0;
    let woken = 0;
    this.firstWoken = b.head.owner();
    // finish() unlinks the head.
    // The first one woken runs next (it usually takes what the waker just released); the others
    // queue behind the ready threads in the order they waited.
    while (woken < n && b.head !== null) if (b.head.finish("woken", woken === 0)) woken++;
    this.wakes += woken;
    futexStats.wakes += woken;
    return woken;
  }

  /**
   * FUTEX_REQUEUE: wake up to `nWake` waiters of `from`, move up to `nMove` of the rest to `to`
   * (they then wait there, for a wake on `to`). Returns woken + moved, as Linux's futex_requeue
   * (onto the same word, the ones it would move stay and count).
   */
  requeue(from: number, to: number, nWake: number, nMove: number): number {
    const woken = this.wake(from, nWake);
    const b = this.buckets.get(from);
    if (from === to) return woken + Math.min(b?.length ?? 0, nMove);
    return woken + this.requeueWhile(from, to, nMove, () => true);
  }

  /**
   * Move waiters of `from` to `to`, oldest first, up to `n` of them, while `accept` takes the
   * waiter's owner (FUTEX_CMP_REQUEUE_PI checks each one's target); returns how many moved.
   */
  requeueWhile(from: number, to: number, n: number, accept: (owner: Interruptible | undefined) => boolean): number {
    const b = this.buckets.get(from);
    let moved = 0;
    while (b !== undefined && b.head !== null && moved < n && accept(b.head.owner())) {
      const w = b.head;
      this.unlink(w);
      w.addr = to;
      this.link(w);
      moved++;
    }
    return moved;
  }

  private link(w: FutexWaiter, again = false): void {
    let b = this.buckets.get(w.addr);
    if (b === undefined) {
      if (this.buckets.size >= 2 * this.live + EMPTY_SLACK) this.sweep();
      this.buckets.set(w.addr, (b = new Bucket()));
    }
    if (b.length++ === 0) this.live++;
    w.bucket = b;
    // Linux orders a futex's waiters by priority, FIFO within one: a real-time waiter goes
    // behind those of its priority or above, the others (0) at the tail, or first of them `again`.
    let after = b.tail;
    if (w.prio > 0) while (after !== null && after.prio < w.prio) after = after.prev;
    else if (again) {
      // Behind the real-time waiters, if any (from the head: they are few; the others many).
      after = null;
      for (let x = b.head; x !== null && x.prio > 0; x = x.next) after = x;
    }
    w.prev = after;
    w.next = after === null ? b.head : after.next;
    if (w.next !== null) w.next.prev = w;
    else b.tail = w;
    if (after !== null) after.next = w;
    else b.head = w;
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
