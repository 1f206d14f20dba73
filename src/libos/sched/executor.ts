/**
 * The executor: guest threads are JSPI coroutines on one JS thread (one vCPU).
 *
 * A guest runs inside `WebAssembly.promising(entry)`; a kernel call that must wait returns a
 * Promise to its `WebAssembly.Suspending` import, which parks the wasm stack. Resuming a parked
 * coroutine is a `resume()` callback (the resolver of that Promise). Every resume goes through the
 * run queue below, in FIFO order, so woken and yielding threads take turns fairly.
 *
 * Fairness with host I/O: the run queue normally drains from a microtask (cheap: a yield costs one
 * suspend + resume), but once coroutines have kept the microtask queue busy for SLICE_MS without a
 * break, the next drain is posted with setImmediate so libuv runs its timers and I/O callbacks.
 * The executor never blocks the event loop; a guest that computes without making a syscall does
 * (until the loader's yield points exist: see loader/).
 *
 * Invariant: code between two awaits in the kernel is atomic with respect to other guest threads.
 */

const SLICE_MS = 4;

export class Executor {
  private queue: (() => void)[] = [];
  private scheduled = false;
  private sliceStart = performance.now();
  /** Resumes done (statistics, bench). */
  switches = 0;

  /** Make a parked coroutine runnable: `resume` is called from the run queue, in FIFO order. */
  wake(resume: () => void): void {
    this.queue.push(resume);
    if (this.scheduled) return;
    this.scheduled = true;
    if (performance.now() - this.sliceStart < SLICE_MS) queueMicrotask(this.drainMicro);
    else setImmediate(this.drainMacro);
  }

  /** A real coroutine switch: the caller re-enters the run queue behind every ready thread. */
  yieldNow(): Promise<void> {
    return new Promise<void>((resolve) => this.wake(resolve));
  }

  get readyCount(): number {
    return this.queue.length;
  }

  private readonly drainMicro = (): void => this.drain();
  private readonly drainMacro = (): void => {
    this.sliceStart = performance.now();
    this.drain();
  };

  private drain(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    this.switches += batch.length;
    // Resolving only queues each continuation; they run after this returns, in this order.
    for (const resume of batch) resume();
  }
}

/** The executor of this JS thread. Every booted instance shares it: one event loop, one vCPU. */
export const executor = new Executor();
