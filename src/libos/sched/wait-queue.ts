/**
 * Wait queues: where a coroutine parks until something it waits for may have happened.
 *
 * A wait is a wake token: it ends exactly once, by notify/notifyAll ("woken"), by its deadline
 * ("timeout"), or by interruption ("interrupted": a signal or a kill cancelling the wait; the
 * syscall returns EINTR, or the kernel unwinds the thread). A wake is a hint, not a promise: the
 * woken side re-checks its condition (spurious wakes are fine). The resume itself goes through the
 * executor's run queue.
 *
 * No lost wake-ups: a waiter checks its condition and registers without an await in between, and
 * kernel code between awaits is atomic, so a notify cannot slip between the check and the wait.
 */
import { executor } from "./executor.ts";
import { nowMs } from "./clock.ts";

export type WakeReason = "woken" | "timeout" | "interrupted";

/** Something that can cancel waits: a thread registers its current wait here. */
export interface Interruptible {
  /** True when an interruption is already pending: the wait returns "interrupted" at once. */
  readonly interruptPending: boolean;
  /** Install the canceller of the current wait (undefined when the wait ends). */
  setCanceller(cancel: (() => void) | undefined): void;
  /** A SCHED_FIFO/SCHED_RR thread's priority (1..99): its resume goes before the others. */
  readonly rtPriority?: number;
}

export interface WaitOptions {
  /** A nowMs() value; absent = no timeout. */
  deadlineMs?: number;
  intr?: Interruptible;
}

/** One parked wait, possibly registered on several queues (poll). */
class Waiter {
  private done = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly queues: WaitQueue[];
  private readonly intr: Interruptible | undefined;
  private readonly resolveOuter: (r: WakeReason) => void;

  constructor(queues: WaitQueue[], opts: WaitOptions, resolveOuter: (r: WakeReason) => void) {
    this.queues = queues;
    this.intr = opts.intr;
    this.resolveOuter = resolveOuter;
    for (const q of queues) q.add(this);
    if (opts.deadlineMs !== undefined) this.armTimeout(opts.deadlineMs);
    this.intr?.setCanceller(() => this.finish("interrupted"));
  }

  /**
   * A Node timer counts from libuv's loop time, which lags the clock while guest code runs
   * (one loop iteration runs a streak of coroutines, longer under host load), so it can fire
   * early: a nanosleep then returned before its time (conform_timers.c saw a 100 ms nap end
   * short). So the deadline is checked when it fires, and the rest armed again.
   */
  private armTimeout(deadlineMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (nowMs() < deadlineMs) this.armTimeout(deadlineMs);
      else this.finish("timeout");
    }, Math.ceil(Math.max(0, deadlineMs - nowMs())));
  }

  finish(reason: WakeReason): boolean {
    if (this.done) return false;
    this.done = true;
    for (const q of this.queues) q.remove(this);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.intr?.setCanceller(undefined);
    executor.resume(this.resolveOuter, reason, "direct", this.intr?.rtPriority ?? 0, this.intr);
    return true;
  }
}

export class WaitQueue {
  private readonly waiters = new Set<Waiter>();

  get size(): number {
    return this.waiters.size;
  }

  /** @internal used by Waiter */
  add(w: Waiter): void {
    this.waiters.add(w);
  }
  /** @internal used by Waiter */
  remove(w: Waiter): void {
    this.waiters.delete(w);
  }

  /**
   * Park until notified, until `deadlineMs` (a nowMs() value) passes, or until `intr`
   * is interrupted.
   */
  wait(opts: WaitOptions = {}): Promise<WakeReason> {
    return waitAny([this], opts);
  }

  /** Wake up to `n` waiters in FIFO order; returns how many were woken. */
  notify(n = 1): number {
    let woken = 0;
    for (const w of this.waiters) {
      if (woken >= n) break;
      if (w.finish("woken")) woken++;
    }
    return woken;
  }

  notifyAll(): number {
    return this.notify(Number.POSITIVE_INFINITY);
  }
}

/**
 * Park on several queues at once (poll_oneoff, epoll): the first notify on any of them, the
 * deadline or an interruption ends the wait. With no queues and no deadline this waits for an
 * interruption only.
 */
export function waitAny(queues: WaitQueue[], opts: WaitOptions = {}): Promise<WakeReason> {
  if (opts.intr?.interruptPending) return Promise.resolve("interrupted");
  return new Promise<WakeReason>((resolve) => {
    new Waiter(queues, opts, resolve);
  });
}

/** Sleep until a deadline (nowMs()) unless interrupted. */
export function sleepUntil(deadlineMs: number, intr?: Interruptible): Promise<WakeReason> {
  return waitAny([], intr ? { deadlineMs, intr } : { deadlineMs });
}
