/**
 * The executor: guest threads are JSPI coroutines on one JS thread (one vCPU).
 *
 * A guest runs inside `WebAssembly.promising(entry)`; a kernel call that must wait returns a
 * Promise to its `WebAssembly.Suspending` import, which parks the wasm stack. Resuming a parked
 * coroutine means resolving that Promise: the continuation then runs from V8's microtask queue,
 * which is FIFO. So the run queue is, in the common case, the microtask queue itself:
 * `resume(resolve, v)` resolves at once (direct hand-off: the waker's syscall returns, its
 * coroutine parks, and the woken one runs next, with no extra hop through a queue of ours).
 *
 * Fairness with host I/O: microtasks run before any macrotask, so coroutines that keep waking each
 * other would starve timers and I/O forever. A "streak" is the run of resumes since the event
 * loop last had a turn (a setImmediate posted at its start has not run yet). Once a streak has
 * lasted SLICE_MS, resumes stop being direct: they go to `queue`, drained from a setImmediate, so
 * libuv runs its timers and I/O callbacks first. While `queue` holds anything, every resume goes
 * behind it (FIFO). `wake(fn)` (a callback, e.g. starting a new thread, which must not run on its
 * parent's stack) always goes through `queue`, drained from a microtask while the streak is young.
 *
 * Invariant: code between two awaits in the kernel is atomic with respect to other guest threads.
 */
import os from "node:os";
import { nowMs } from "./clock.ts";
import { vcpuRequests } from "./agents.ts";

const SLICE_MS = 4;
/** Default of OCCLUM_BUSY_POLL_US (Linux's suggested net.core.busy_poll is 50 µs too). */
const BUSY_POLL_US = 50;
const MAX_BUSY_POLL_US = 100_000;

/**
 * OCCLUM_BUSY_POLL_US as µs: unset or empty → the default (50); "0" turns busy polling off; else an
 * integer up to 100000.
 */
export function parseBusyPoll(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return BUSY_POLL_US;
  const v = value.trim();
  if (!/^\d+$/.test(v) || Number(v) > MAX_BUSY_POLL_US) {
    throw new RangeError(`OCCLUM_BUSY_POLL_US must be an integer from 0 to ${MAX_BUSY_POLL_US} (µs), not ${JSON.stringify(value)}`);
  }
  return Number(v);
}

function busyPollFromEnv(): number {
  try {
    return parseBusyPoll(process.env.OCCLUM_BUSY_POLL_US);
  } catch (e) {
    process.stderr.write(`warning: ${(e as Error).message}; polling ${BUSY_POLL_US} µs\n`);
    return BUSY_POLL_US;
  }
}

const CORES = os.availableParallelism();
const RESOLVED: Promise<void> = Promise.resolve();
const RESOLVED_0: Promise<number> = Promise.resolve(0);

export class Executor {
  private queue: (() => void)[] = [];
  /** Preempted threads, resumed one per turn of the event loop (preempt). */
  private preempted: ((v: void) => void)[] = [];
  private spare: (() => void)[] = [];
  private scheduled = false;
  /** A run of microtask-driven resumes since the event loop last had a turn. */
  private streak = false;
  private sliceStart = 0;
  private inStreak = 0;
  /** The streak has lasted SLICE_MS: resumes go through the macrotask queue until it ends. */
  private expired = false;
  /** Resumes done (statistics, bench). */
  switches = 0;
  /**
   * nowMs() at the latest point known to be inside the current streak (its start, or
   * the last `stamp`): within a streak the event loop never idled, so a coroutine resumed now
   * may take this as the time it got the vCPU without reading the clock (Thread.onCpu).
   */
  clockMs = 0;
  /** nowMs() at the latest suspension (`stampSwitch`) or the start of the streak. */
  private switchMs = 0;
  /** Busy polling of host I/O (pollHost): its window in ms (0: off), whether it runs, when it was armed. */
  private busyPollMs = busyPollFromEnv() / 1000;
  private polling = false;
  private armedMs = 0;
  /** Turns of the event loop made by busy polling (statistics, tests, bench). */
  hostPolls = 0;

  /** Make a parked coroutine runnable by resolving its Promise with `v`, in FIFO order. */
  resume<T>(resolve: (v: T) => void, v: T): void {
    if (this.queue.length > 0) {
      this.queue.push(() => resolve(v)); // a drain is already scheduled
    } else if (this.young()) {
      this.switches++;
      resolve(v);
    } else {
      this.queue.push(() => resolve(v));
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /**
   * resume() for a waker that is a host callback (a macrotask: the event loop has just had its
   * turn and the microtask queue is empty), e.g. a socket's read callback. When no streak runs
   * and nothing is queued, the coroutine is resumed without starting a streak, so a wake-up by
   * host I/O posts no setImmediate (~1.5 µs, one per request of a server). Fair as a fresh
   * streak is; its CPU time starts from a clock reading (resumedAt outside a streak). Never call
   * this from a coroutine or a microtask: chains of such wakes would never expire.
   */
  resumeFromHost<T>(resolve: (v: T) => void, v: T): void {
    if (this.streak || this.queue.length > 0) {
      this.resume(resolve, v);
      return;
    }
    this.switches++;
    resolve(v);
  }

  /**
   * Busy polling of host I/O, as Linux's net.core.busy_poll does for a blocking poll: host I/O
   * just made a file ready (a socket's read callback, a datagram, a connection), so more is likely
   * soon (the next request of a client, the reply to a request). Until this vCPU has been idle
   * (no coroutine resumed or suspended) for the window, OCCLUM_BUSY_POLL_US (50 µs by default),
   * the event loop keeps turning with a setImmediate, and libuv polls with a zero timeout instead
   * of sleeping in epoll_wait: the next packet is read without the thread being put to sleep and
   * woken, which on this VM costs more latency and CPU than the polls (bench/net/README.md:
   * 1-byte ping-pong at ~2.5x the round trips with less server CPU per round trip). Only when
   * the kernel thread leaves a core free (≥ 2 cores, vCPU workers with live threads included):
   * a poll must never take a core the peer or a computing thread needs.
   */
  pollHost(): void {
    if (this.polling || this.busyPollMs === 0) return;
    this.polling = true;
    this.armedMs = nowMs();
    setImmediate(this.pollTurn);
  }

  /** The busy-poll window in µs (0: off). */
  get busyPollUs(): number {
    return Math.round(this.busyPollMs * 1000);
  }

  /** Set the busy-poll window in µs (tests, bench, embedders); 0 turns it off. */
  setBusyPoll(us: number): void {
    if (!Number.isInteger(us) || us < 0 || us > MAX_BUSY_POLL_US) throw new RangeError(`busy-poll window ${us} µs out of [0, ${MAX_BUSY_POLL_US}]`);
    this.busyPollMs = us / 1000;
  }

  /** A check-phase callback: the microtask queue is empty, every coroutine parked or queued. */
  private readonly pollTurn = (): void => {
    const quietSince = Math.max(this.armedMs, this.switchMs, this.clockMs);
    if (nowMs() - quietSince < this.busyPollMs && vcpuRequests().busyAgents() + 1 < CORES) {
      this.hostPolls++;
      setImmediate(this.pollTurn);
    } else {
      this.polling = false;
    }
  };

  /** Run `fn` from the run queue (never on the caller's stack), in FIFO order. */
  wake(fn: () => void): void {
    this.queue.push(fn);
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.young()) queueMicrotask(this.drain);
    else setImmediate(this.drain);
  }

  /**
   * Preemption of a thread that ran for a whole time slice: it resumes from a macrotask, after
   * the event loop (timers, host I/O) and every coroutine already ready have had their turn.
   * Preempted threads resume one per turn of the event loop: with a setImmediate each, all those
   * queued before a check phase ran in that one phase, a slice each, so a timer or a socket
   * waited one slice per busy thread (one vCPU, two computing threads: a sleep overran by 19-39
   * ms) instead of one slice.
   */
  preempt(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.preempted.push(resolve);
      if (this.preempted.length === 1) setImmediate(this.resumePreempted);
    });
  }

  private readonly resumePreempted = (): void => {
    const resolve = this.preempted.shift()!;
    // The next one in the next turn (an immediate posted during the check phase runs then).
    if (this.preempted.length > 0) setImmediate(this.resumePreempted);
    this.resume(resolve, undefined);
  };

  /**
   * A real coroutine switch: the caller re-enters the run queue behind every ready thread. On the
   * direct path this is an already resolved Promise, shared by every yield: the suspension's own
   * `.then` puts the caller at the tail of the microtask queue, and nothing is allocated here.
   */
  yieldNow(): Promise<void> {
    if (this.queue.length === 0 && this.young()) {
      this.switches++;
      return RESOLVED;
    }
    return new Promise<void>((resolve) => this.resume(resolve, undefined));
  }

  /**
   * yieldNow() that resumes the caller with `v` (a direct resume: `v` is the suspended call's
   * result, or a Promise of it). A 0 on the direct path is one shared resolved Promise.
   */
  yieldWith<T>(v: T): Promise<Awaited<T>> {
    if (this.queue.length === 0 && this.young()) {
      this.switches++;
      return (v === 0 ? RESOLVED_0 : Promise.resolve(v)) as Promise<Awaited<T>>;
    }
    return new Promise<Awaited<T>>((resolve) => this.resume(resolve, v as Awaited<T>));
  }

  /** A clock reading taken now, remembered as `clockMs`. */
  stamp(): number {
    return (this.clockMs = nowMs());
  }

  /** stamp() at a suspension (Thread.offCpu): also the time the coroutine that runs next got the vCPU. */
  stampSwitch(): number {
    return (this.switchMs = this.clockMs = nowMs());
  }

  /**
   * When a coroutine resumed directly (no reaction of ours ran when it got the vCPU: Thread's
   * resumeLater) got the vCPU, asked at its first kernel entry since: inside the streak, the
   * latest suspension (only that coroutine ran since: any other suspension would have been its
   * own, through a kernel entry); otherwise now.
   */
  switchedAt(): number {
    return this.streak ? this.switchMs : this.stampSwitch();
  }

  /**
   * The time a coroutine resumed now got the vCPU (Thread.onCpu): `clockMs` inside a streak (no
   * clock read: only kernel work ran since it was taken, charged to this thread as system time),
   * a fresh reading otherwise (the event loop may have idled, e.g. a wait ended by host I/O).
   */
  resumedAt(): number {
    return this.streak ? this.clockMs : this.stamp();
  }

  /** True while the streak may go on: starts one if none runs; reads the clock every 16 calls. */
  private young(): boolean {
    if (!this.streak) {
      // The streak ends when the event loop next runs a macrotask (this one).
      this.streak = true;
      this.clockMs = this.switchMs = this.sliceStart = nowMs();
      this.inStreak = 0;
      setImmediate(this.endStreak);
      return true;
    }
    if (this.expired) return false;
    if ((++this.inStreak & 15) !== 0 || this.stamp() - this.sliceStart < SLICE_MS) return true;
    this.expired = true; // until the event loop has had its turn (endStreak)
    return false;
  }

  get readyCount(): number {
    return this.queue.length;
  }

  private readonly endStreak = (): void => {
    this.streak = false;
    this.expired = false;
  };
  private readonly drain = (): void => {
    this.scheduled = false;
    // Double buffering: wakes during this drain go to the other array (the next drain).
    const batch = this.queue;
    this.queue = this.spare;
    this.switches += batch.length;
    // Resolving only queues each continuation; they run after this returns, in this order.
    for (let i = 0; i < batch.length; i++) batch[i]!();
    batch.length = 0;
    this.spare = batch;
  };
}

/** The executor of this JS thread. Every booted instance shares it: one event loop, one vCPU. */
export const executor = new Executor();
