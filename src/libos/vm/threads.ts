/**
 * The thread budget: max_num_of_threads (TCSMaxNum) caps the live threads of all processes
 * (EAGAIN beyond, as pthread_create / spawn report it), and init_num_of_threads (TCSNum) thread
 * contexts are prepared at boot.
 *
 * A prepared context is our TCS: the kernel-side record a thread needs before it can run,
 * allocated and committed ahead of time so thread creation allocates nothing in the kernel:
 * - a slot number (the TCS index); a freed context is reused first (its pages are the warmest);
 * - a scratch buffer of `contextBytes` (default 64 KiB), committed at preparation (one write per
 *   4 KiB page), for the syscall layer to marshal iovecs, paths and stat records of that thread
 *   without allocating per call. The coroutine's own frames live in V8's heap and cannot be
 *   reserved, hence kernel_space_stack_size has no counterpart here.
 * Contexts beyond TCSNum are created on demand (as the SDK adds TCSs with EDMM) and, like
 * Occlum's TCSs, stay prepared after their thread exits. Without EDMM TCSNum = TCSMaxNum, so all
 * of them are prepared at boot and start-up grows with max_num_of_threads, as on SGX1.
 */
import { VmError, touchPages, type ThreadLimits } from "./limits.ts";
import { nowMs } from "../sched/clock.ts";

export const DEFAULT_CONTEXT_BYTES = 64 << 10;

export class ThreadContext {
  readonly slot: number;
  readonly scratch: ArrayBuffer;
  /** The process (pid) the running thread belongs to; undefined while the context is free. */
  owner: number | undefined;

  constructor(slot: number, bytes: number) {
    this.slot = slot;
    this.scratch = new ArrayBuffer(bytes);
    touchPages(this.scratch);
    this.owner = undefined;
  }
}

export interface ThreadStats {
  readonly init: number;
  readonly max: number;
  readonly prepared: number;
  readonly preparedBytes: number;
  readonly live: number;
  readonly peakLive: number;
  readonly startupPeakLive: number;
  readonly createdOnDemand: number;
  readonly refused: number;
  readonly bootMs: number;
}

export class ThreadBudget {
  readonly limits: ThreadLimits;
  readonly contextBytes: number;
  private readonly all: ThreadContext[] = [];
  private free: ThreadContext[] = [];
  private readonly perOwner = new Map<number, number>();
  private live = 0;
  private peakLive = 0;
  private startupPeak = 0;
  private started = false;
  private onDemand = 0;
  private refused = 0;
  private bootMs = 0;

  constructor(limits: ThreadLimits, contextBytes: number = DEFAULT_CONTEXT_BYTES) {
    if (!(limits.init >= 0 && limits.max >= 1 && limits.init <= limits.max)) throw new RangeError(`threads Init ${limits.init} / Max ${limits.max}`);
    this.limits = limits;
    this.contextBytes = contextBytes;
  }

  /** Creates the budget and prepares TCSNum contexts (the start-up cost). */
  static boot(limits: ThreadLimits, contextBytes?: number): ThreadBudget {
    const tb = new ThreadBudget(limits, contextBytes);
    const t0 = nowMs();
    while (tb.all.length < limits.init) tb.prepare();
    tb.free = [...tb.all].reverse(); // slot 0 on top
    tb.bootMs = nowMs() - t0;
    tb.onDemand = 0;
    return tb;
  }

  /** A context for a new thread of `owner`; throws VmError(EAGAIN) at max_num_of_threads. */
  acquire(owner: number): ThreadContext {
    if (this.live >= this.limits.max) {
      this.refused++;
      throw new VmError("EAGAIN", `process ${owner}: ${this.live} threads are live, max_num_of_threads is ${this.limits.max}`);
    }
    const ctx = this.free.length > 0 ? this.free.pop()! : this.prepare();
    ctx.owner = owner;
    this.live++;
    this.perOwner.set(owner, (this.perOwner.get(owner) ?? 0) + 1);
    if (this.live > this.peakLive) this.peakLive = this.live;
    if (!this.started && this.live > this.startupPeak) this.startupPeak = this.live;
    return ctx;
  }

  /** Thread exit: the context is cleared and stays prepared. */
  release(ctx: ThreadContext): void {
    const owner = ctx.owner;
    if (owner === undefined) return;
    ctx.owner = undefined;
    new Uint8Array(ctx.scratch).fill(0);
    this.live--;
    const n = (this.perOwner.get(owner) ?? 1) - 1;
    if (n === 0) this.perOwner.delete(owner);
    else this.perOwner.set(owner, n);
    this.free.push(ctx);
  }

  /** Live threads of one process (the Threads: line of /proc/<pid>/status). */
  threadsOf(owner: number): number {
    return this.perOwner.get(owner) ?? 0;
  }

  get liveThreads(): number {
    return this.live;
  }

  markStarted(): void {
    this.started = true;
  }

  stats(): ThreadStats {
    return {
      init: this.limits.init, max: this.limits.max, prepared: this.all.length, preparedBytes: this.all.length * this.contextBytes,
      live: this.live, peakLive: this.peakLive, startupPeakLive: this.startupPeak, createdOnDemand: this.onDemand,
      refused: this.refused, bootMs: this.bootMs,
    };
  }

  private prepare(): ThreadContext {
    const ctx = new ThreadContext(this.all.length, this.contextBytes);
    this.all.push(ctx);
    this.onDemand++;
    return ctx;
  }
}
