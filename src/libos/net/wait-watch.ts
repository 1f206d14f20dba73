/**
 * Watching a WaitQueue without parking: epoll needs a callback on every notification of every
 * registered file, and WaitQueue (sched/, not ours) only parks waiters. Sockets keep watchers of
 * their own (SocketBase.watchReadiness, no Set iteration per notification); this serves the
 * other files. A watcher is registered
 * as a waiter whose finish() runs the callback and reports "not woken", so it stays registered,
 * is called on every notify, and never counts against notify(n).
 *
 * Caveat: notify(n) with a finite n stops after n real waiters, so a watcher iterated after them
 * misses that notification; the files of net/ and ipc/ always notifyAll. The clean fix is a
 * `WaitQueue.subscribe(cb)` in sched/wait-queue.ts (proposed to its owner); this module is the
 * only place that knows the trick, so switching is a one-file change.
 */
import type { WaitQueue } from "../sched/wait-queue.ts";

interface QueueInternals {
  add(w: unknown): void;
  remove(w: unknown): void;
}

/** Call `cb` on every notification of `q` until the returned function is called. */
export function watchQueue(q: WaitQueue, cb: () => void): () => void {
  const watcher = {
    finish(_reason: string): boolean {
      cb();
      return false;
    },
  };
  const internals = q as unknown as QueueInternals;
  internals.add(watcher);
  return () => internals.remove(watcher);
}
