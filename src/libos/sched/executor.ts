/**
 * The executor: guest threads are JSPI coroutines on one JS thread (one vCPU).
 *
 * A guest runs inside `WebAssembly.promising(entry)`; a kernel call that must wait returns a
 * Promise to its `WebAssembly.Suspending` import, which parks the wasm stack. Resuming a parked
 * coroutine is a `resume()` callback (the resolver of that Promise). Every resume goes through the
 * run queue below, in FIFO order, so woken and yielding threads take turns fairly.
 *
 * Fairness with host I/O: the run queue normally drains from a microtask (cheap: a yield costs one
 * suspend + resume), but once coroutines have kept the microtask queue busy for SLICE_MS without
 * the event loop getting a turn (a setImmediate posted at the start of the streak has not run),
 * the next drain is posted with setImmediate so libuv runs its timers and I/O callbacks.
 * The executor never blocks the event loop; a guest that computes without making a syscall does
 * (until the loader's yield points exist: see loader/).
 *
 * Invariant: code between two awaits in the kernel is atomic with respect to other guest threads.
 */

const SLICE_MS = 4;

export class Executor {
  private queue: (() => void)[] = [];
  private spare: (() => void)[] = [];
  private scheduled = false;
  /** A run of microtask-driven drains since the event loop last had a turn. */
  private streak = false;
  private sliceStart = 0;
  private drainsInStreak = 0;
  /** Resumes done (statistics, bench). */
  switches = 0;

  /** Make a parked coroutine runnable: `resume` is called from the run queue, in FIFO order. */
  wake(resume: () => void): void {
    this.queue.push(resume);
    if (this.scheduled) return;
    this.scheduled = true;
    if (!this.streak) {
      // The streak ends when the event loop next runs a macrotask (this one).
      this.streak = true;
      this.sliceStart = performance.now();
      this.drainsInStreak = 0;
      setImmediate(this.endStreak);
      queueMicrotask(this.drainMicro);
      return;
    }
    // Reading the clock costs about as much as a switch: look at it every 16 drains only.
    if ((++this.drainsInStreak & 15) !== 0 || performance.now() - this.sliceStart < SLICE_MS) queueMicrotask(this.drainMicro);
    else setImmediate(this.drainMacro);
  }

  /**
   * Preemption of a thread that ran for a whole time slice: it resumes from a macrotask, after
   * the event loop (timers, host I/O) and every coroutine already ready have had their turn.
   */
  preempt(): Promise<void> {
    return new Promise<void>((resolve) => setImmediate(() => this.wake(resolve)));
  }

  /** A real coroutine switch: the caller re-enters the run queue behind every ready thread. */
  yieldNow(): Promise<void> {
    return new Promise<void>((resolve) => this.wake(resolve));
  }

  get readyCount(): number {
    return this.queue.length;
  }

  private readonly endStreak = (): void => {
    this.streak = false;
  };
  private readonly drainMicro = (): void => this.drain();
  private readonly drainMacro = (): void => this.drain();

  private drain(): void {
    this.scheduled = false;
    // Double buffering: wakes during this drain go to the other array (the next drain).
    const batch = this.queue;
    this.queue = this.spare;
    this.switches += batch.length;
    // Resolving only queues each continuation; they run after this returns, in this order.
    for (let i = 0; i < batch.length; i++) batch[i]!();
    batch.length = 0;
    this.spare = batch;
  }
}

/** The executor of this JS thread. Every booted instance shares it: one event loop, one vCPU. */
export const executor = new Executor();
