/**
 * The executor: guest threads are JSPI coroutines on one JS thread (one vCPU).
 *
 * A guest runs inside `WebAssembly.promising(entry)`; a kernel call that must wait returns a
 * Promise to its `WebAssembly.Suspending` import, which parks the wasm stack. Resuming a parked
 * coroutine means resolving that Promise: the continuation then runs from V8's microtask queue,
 * one coroutine's run (up to its next suspension) per microtask job.
 *
 * The run queue for yields and futex wakes is ours: those continuations wait in the ready deque,
 * and the pump, one microtask queued behind the continuation it just released, resolves the next
 * one only once that one has suspended. So their order is the deque's, not the microtask queue's
 * FIFO: a thread woken by a futex wake takes the runnext slot and runs before the threads that
 * yielded (Go's runnext, Occlum 1.0's "jump" slot); yields go to the back. Why: a woken waiter
 * usually wants what its waker just released (a mutex); behind the yielded threads it found it
 * taken again and parked again, for ever in the worst case (sysbench: at 200 threads a tenth of
 * them never got a lock, while Linux is fair). With the waker's wakeup preemption
 * (Thread.wokeUp) even a thread that takes its lock back at once gives way. Other wakes (I/O
 * readiness, timers, joins, a call that completes without waiting) are direct: resolved at once,
 * their continuations run from V8's queue before the pump's next one; so is a futex wake while
 * the deque is empty (a hand-over between two threads costs no pump hop).
 *
 * Fairness with host I/O: microtasks run before any macrotask, so coroutines that keep waking each
 * other would starve timers and I/O forever. A "streak" is the run of resumes since the event
 * loop last had a turn (a setImmediate posted at its start has not run yet). Once a streak has
 * lasted SLICE_MS, resumes stop being direct or going through the deque: they go to `queue`, drained from a
 * setImmediate, so libuv runs its timers and I/O callbacks first. While `queue` holds anything,
 * every resume goes behind it (FIFO). `wake(fn)` (a callback, e.g. starting a new thread, which
 * must not run on its parent's stack) always goes through `queue`, drained from a microtask while
 * the streak is young.
 *
 * Invariant: code between two awaits in the kernel is atomic with respect to other guest threads.
 */
import { nowMs } from "./clock.ts";
import { serveRingsIfDue } from "./agents.ts";
import { RtBudget } from "./rt-budget.ts";
import { RtQueue } from "./rt-queue.ts";
import { HostPoller } from "./busy-poll.ts";

export { parseBusyPoll } from "./busy-poll.ts";

const SLICE_MS = 4;

const RESOLVED: Promise<void> = Promise.resolve();
const RESOLVED_0: Promise<number> = Promise.resolve(0);
/** How a resume enters the run queue (Executor.resume). */
export type ResumeOrder = "direct" | "ready" | "next";
/** Consumed entries at the head of the ready deque before it is compacted. */
const COMPACT_AT = 1024;
// One executor function for the yields' Promises (it runs inside the constructor): no closure per yield.
let captured: ((v: never) => void) | undefined;
/** What takes the slot of a resume moved out of the ready deque (raiseHeldBack). */
const NOOP = (): void => {};

/**
 * A thread as the run queue sees it: its resume while it waits in the ready deque or the drain
 * queue, so that an inheritance can raise it past real-time threads (raiseHeldBack). A plain
 * field (Thread declares it): a store per queued resume, where a map cost a hash per yield.
 */
export interface QueuedOwner {
  queuedFn: ((v: unknown) => void) | undefined;
}
const capture = (resolve: (v: never) => void): void => {
  captured = resolve;
};

export class Executor {
  private queue: (() => void)[] = [];
  /** Preempted threads, resumed one per turn of the event loop (preempt). */
  private preempted: ((v: void) => void)[] = [];
  /** The threads of `preempted`, where given (raiseHeldBack). */
  private preemptedOwners: (object | undefined)[] = [];
  /**
   * Queued resumes are recorded on their threads (QueuedOwner) once a thread has had a real-time
   * policy (tracksOwners): before that no inheritance can raise one, and a program that never
   * asks for one pays no store per yield.
   */
  private ownersTracked = false;

  /** Some thread has had a real-time policy (trackOwners): priorities may order waits. */
  get realtimeSeen(): boolean {
    return this.ownersTracked;
  }
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
  /** Busy polling of host I/O (pollHost), quiet since the latest switch or clock reading. */
  private readonly hostPoller = new HostPoller(() => Math.max(this.switchMs, this.clockMs));

  // The ready deque the pump resolves from (parallel arrays: no closure per resume; consumed
  // from readyHead) and the runnext slot a futex wake fills (a second one moves the first to
  // the back, as Go's runnext).
  private readyFns: ((v: unknown) => void)[] = [];
  private readyVals: unknown[] = [];
  private readyHead = 0;
  private nextFn: ((v: unknown) => void) | undefined = undefined;
  private nextVal: unknown = undefined;
  private pumpQueued = false;
  /**
   * Real-time threads ready to run (rt-queue.ts), served before the ready deque and the runnext
   * slot. Empty unless a guest asked for a real-time policy: every check of it below is one
   * length test.
   */
  private readonly rt = new RtQueue();
  /** The running thread's real-time priority (0: none): nothing of lower priority runs meanwhile. */
  private runningPrio = 0;
  /**
   * The thread that holds the vCPU through suspensions that are no switch of their own (gotCpu,
   * leftCpu): a real-time thread from its start, any thread at a preemption check that goes on
   * (Thread.plainSuspend). Thread starts wait for it to leave.
   */
  cpuOwner: object | undefined = undefined;
  /** Held back by the running thread: a pump or a drain to start when it leaves the vCPU. */
  private heldPump = false;
  private heldDrain = false;
  /** The real-time threads wait for the event loop's turn (a streak ran its slice: rtTurnEnd). */
  private rtTurn = false;
  /** Linux's real-time throttling: 950 ms of each second (rt-budget.ts; throttleRt). */
  readonly rtBudget = new RtBudget();
  /** A yield took the fast path and its caller has not run again yet (clearFastYield). */
  private fastYield = false;
  private readonly clearFastYield = (): void => {
    this.fastYield = false;
  };

  private dequeEmpty(): boolean {
    return this.nextFn === undefined && this.readyHead === this.readyFns.length && this.rt.length === 0;
  }

  /** The highest priority among the ready real-time threads (0: none ready). */
  get rtTop(): number {
    return this.rtBudget.throttled ? 0 : this.rt.top;
  }

  /**
   * The real-time threads used their budget for the period (a real-time thread's check found it
   * spent): until the period ends none of them runs, and they hold nothing back; the vCPU is
   * the other threads' (or idle).
   */
  throttleRt(now: number): void {
    if (this.rtBudget.throttled) return;
    this.rtBudget.throttled = true;
    setTimeout(this.unthrottleRt, Math.max(1, Math.ceil(this.rtBudget.periodEnd - now)));
  }

  private readonly unthrottleRt = (): void => {
    this.rtBudget.throttled = false;
    this.kick();
  };

  /**
   * `fn(v)` when the pump reaches it among the real-time threads, at priority `prio` (1..99):
   * behind those of its priority, or before them with `head` (a SCHED_FIFO thread that a higher
   * one preempted keeps its place, as Linux's does).
   */
  private enqueueRt(fn: (v: unknown) => void, v: unknown, prio: number, head: boolean, owner?: object): void {
    this.rt.insert({ fn, v, prio, owner }, head);
    // The event loop still gets its turn (timers, host I/O: the kernel's own work) once a streak
    // has run its slice; the real-time threads then go first.
    if (!this.rtTurn && !this.young()) {
      this.rtTurn = true;
      setImmediate(this.rtTurnNext);
    }
    if (!this.pumpQueued && !this.rtTurn) {
      this.pumpQueued = true;
      queueMicrotask(this.pump);
    }
  }

  /** rtTurnEnd in the next turn of the event loop, after its timers (nextTurn). */
  private readonly rtTurnNext = (): void => {
    setImmediate(this.rtTurnEnd);
  };

  private readonly rtTurnEnd = (): void => {
    this.rtTurn = false;
    if (this.rt.length === 0 && this.runningPrio === 0) this.rtBudget.stopped(nowMs());
    this.kick();
  };

  /** The drain (thread starts, late resumes) waits: a thread holds the vCPU, or a real-time one is ready. */
  private startsHeld(): boolean {
    return this.cpuOwner !== undefined || (this.rt.length > 0 && !this.rtBudget.throttled);
  }

  /** Start the pump (and a drain) if work is waiting and nothing holds it back. */
  private kick(): void {
    if (!this.pumpQueued && !this.dequeEmpty()) {
      this.pumpQueued = true;
      queueMicrotask(this.pump);
    }
    if (this.heldDrain && !this.startsHeld()) {
      this.heldDrain = false;
      if (!this.scheduled && this.queue.length > 0) {
        this.scheduled = true;
        if (this.young()) queueMicrotask(this.drain);
        else setImmediate(this.drain);
      }
    }
  }

  /**
   * A thread got the vCPU (Thread.started). Until it leaves (leftCpu) no thread starts (drain),
   * and with a real-time priority nothing of a lower one runs, not even at its preemption
   * checks, where V8 runs whatever its microtask queue holds.
   */
  gotCpu(owner: object, prio: number): void {
    this.cpuOwner = owner;
    this.runningPrio = prio;
    if (prio > 0) this.rtBudget.running(nowMs());
  }

  /** `owner` left the vCPU (a wait, a yield, a preemption, its end): what it held back may run. */
  leftCpu(owner: object): void {
    if (this.cpuOwner !== owner) return;
    this.cpuOwner = undefined;
    if (this.runningPrio > 0) this.rtBudget.stopped(nowMs());
    this.runningPrio = 0;
    if (this.heldPump || this.heldDrain) {
      this.heldPump = false;
      this.kick();
    }
  }

  /**
   * A yield of a real-time thread of priority `prio`: behind the ready threads of its priority
   * (sched_yield, a SCHED_RR thread's used-up slice), or at their head (`head`: a SCHED_FIFO
   * thread preempted by a higher priority, or letting the event loop turn).
   */
  yieldRt<T>(v: T, prio: number, head = false, owner?: object): Promise<T> {
    const p = new Promise<T>(capture);
    this.switches++;
    this.enqueueRt(captured as (v: unknown) => void, v, prio, head, owner);
    captured = undefined;
    return p;
  }

  /** A real-time thread ran a whole slice: it lets the event loop turn, then goes on before anything of lower priority. */
  preemptRt(prio: number, head: boolean, owner?: object): Promise<void> {
    // The turn is the real-time threads' time (no other thread may run in it): their budget
    // counts it, or under host load its turns made their 950 ms of a period last ~990 ms of it,
    // and the others' share was 10 ms, not 50 (rtTurnEnd stops the count if none is left).
    this.rtBudget.running(nowMs());
    if (!this.rtTurn) {
      this.rtTurn = true;
      setImmediate(this.rtTurnNext);
    }
    return this.yieldRt<void>(undefined, prio, head, owner);
  }

  /**
   * The ready real-time thread `owner` (queued with its owner: yieldRt, preemptRt, resume) now
   * has priority `prio` (a priority inheritance, sched_setscheduler): it moves where that puts
   * it, to the tail of a raised priority or the head of a lowered one (`head`), or among the
   * other threads at 0. False if it is not queued there.
   */
  reprioritize(owner: object, prio: number, head: boolean): boolean {
    const e = this.rt.find((x) => x.owner === owner);
    if (e === undefined) return prio > 0 && this.raiseHeldBack(owner, prio);
    if (e.prio === prio) return true;
    this.rt.take((x) => x === e);
    if (prio > 0) this.enqueueRt(e.fn, e.v, prio, head, owner);
    else this.enqueueReady(e.fn, e.v, false, owner);
    return true;
  }

  /**
   * reprioritize() of an ordinary thread that waits for the vCPU: preempted at its slice's end
   * (preempt), or queued in the ready deque (a no-op takes its slot) or the drain queue with its
   * owner (QueuedOwner). It goes to the real-time queue. False if it waits in none of them.
   */
  private raiseHeldBack(owner: object, prio: number): boolean {
    const p = this.preemptedOwners.indexOf(owner);
    if (p >= 0) {
      // Preempted at its slice's end, waiting for its turn of the event loop.
      const fn = this.preempted[p]! as (v: unknown) => void;
      this.preempted.splice(p, 1);
      this.preemptedOwners.splice(p, 1);
      this.enqueueRt(fn, undefined, prio, false, owner);
      return true;
    }
    const fn = (owner as QueuedOwner).queuedFn;
    if (fn === undefined) return false;
    (owner as QueuedOwner).queuedFn = undefined;
    let v: unknown;
    if (this.nextFn === fn) {
      v = this.nextVal;
      this.nextFn = this.nextVal = undefined;
    } else {
      const i = this.readyFns.indexOf(fn, this.readyHead);
      if (i >= 0) {
        v = this.readyVals[i];
        this.readyFns[i] = NOOP;
        this.readyVals[i] = undefined;
      } else {
        // In the drain queue (a resume after the streak expired).
        const j = this.queue.indexOf(fn as () => void);
        if (j < 0) return false; // run already (a stale record)
        this.queue.splice(j, 1);
      }
    }
    this.enqueueRt(fn, v, prio, false, owner);
    return true;
  }

  /** Nothing in the deque or the drain queue, the pump idle, the streak young: a yield may skip the deque. */
  private idle(): boolean {
    return this.queue.length === 0 && !this.pumpQueued && this.dequeEmpty() && this.young();
  }

  /** A yield behind the ready threads: its Promise, resolved with `v` when the pump reaches it. */
  private readyLater<T>(v: T, owner?: object): Promise<T> {
    const p = new Promise<T>(capture);
    this.resume(captured as (v: T) => void, v, "ready", 0, owner);
    captured = undefined;
    return p;
  }

  private yieldedFast(): void {
    this.switches++;
    if (this.fastYield) return;
    this.fastYield = true;
    // Queued before the caller's continuation (the caller suspends after this returns): the flag
    // clears just before the caller runs again.
    queueMicrotask(this.clearFastYield);
  }

  private enqueueReady(resolve: (v: unknown) => void, v: unknown, next: boolean, owner?: object): void {
    if (owner !== undefined && this.ownersTracked) (owner as QueuedOwner).queuedFn = resolve;
    if (next) {
      if (this.nextFn !== undefined) {
        this.readyFns.push(this.nextFn);
        this.readyVals.push(this.nextVal);
      }
      this.nextFn = resolve;
      this.nextVal = v;
    } else {
      this.readyFns.push(resolve);
      this.readyVals.push(v);
    }
    if (!this.pumpQueued) {
      this.pumpQueued = true;
      queueMicrotask(this.pump);
    }
  }

  private readonly pump = (): void => {
    // Real-time threads, out of line: the common path keeps to one test.
    if ((this.rt.length | this.runningPrio) !== 0 && this.pumpRt()) return;
    let fn: ((v: unknown) => void) | undefined;
    let v: unknown;
    if (this.nextFn !== undefined) {
      fn = this.nextFn;
      v = this.nextVal;
      this.nextFn = this.nextVal = undefined;
    } else if (this.readyHead < this.readyFns.length) {
      const h = this.readyHead++;
      fn = this.readyFns[h];
      v = this.readyVals[h];
      this.readyFns[h] = undefined as never;
      this.readyVals[h] = undefined;
      if (this.readyHead === this.readyFns.length) {
        this.readyFns.length = this.readyVals.length = this.readyHead = 0;
      } else if (this.readyHead >= COMPACT_AT && this.readyHead * 2 >= this.readyFns.length) {
        // A deque that never empties (1000 threads taking turns) drops its consumed head now and then.
        this.readyFns.splice(0, this.readyHead);
        this.readyVals.splice(0, this.readyHead);
        this.readyHead = 0;
      }
    }
    if (fn === undefined) {
      this.pumpQueued = false;
      return;
    }
    fn(v);
    // Behind the continuation just queued: the next one runs when this one has suspended.
    if (!this.dequeEmpty()) queueMicrotask(this.pump);
    else this.pumpQueued = false;
  };

  /** pump() with real-time threads ready or running: true when it ran one or is held back. */
  private pumpRt(): boolean {
    const throttled = this.rtBudget.throttled;
    if (!throttled && (this.rtTurn || (this.runningPrio > 0 && this.rtTop <= this.runningPrio))) {
      // Nothing may run before the event loop's turn, or above the running real-time thread.
      if (!this.rtTurn) this.heldPump = true;
      this.pumpQueued = false;
      return true;
    }
    // Throttled: the real-time threads wait for the period's end (unthrottleRt), as Linux's.
    if (this.rt.length === 0 || throttled) return false;
    const e = this.rt.shift()!;
    // Its thread holds the vCPU from here: its continuation may take several microtask hops
    // (a PI lock's reaction, then the import's return) before its onCpu, and the next pump,
    // queued behind the first hop, ran a lower priority meanwhile.
    if (e.owner !== undefined) this.gotCpu(e.owner, e.prio);
    e.fn(e.v);
    if (!this.dequeEmpty()) queueMicrotask(this.pump);
    else this.pumpQueued = false;
    // The last real-time thread is on its way: held thread starts may go once it has run (the
    // drain, queued behind its continuation, checks again).
    if (this.rt.length === 0 && this.heldDrain) this.kick();
    return true;
  }

  /**
   * Make a parked coroutine runnable by resolving its Promise with `v`. `order`: "direct" (I/O
   * readiness, timers, joins...: resolved at once, its continuation queued for V8 to run after
   * the current one, as before the run queue was ours), "ready" (a yield: behind the ready ones
   * in the deque) or "next" (a futex wake's first waiter: before them). `prio`: a real-time
   * thread's priority, and `owner` the thread (reprioritize finds it by it).
   */
  resume<T>(resolve: (v: T) => void, v: T, order: ResumeOrder = "direct", prio = 0, owner?: object): void {
    if ((prio | this.runningPrio | this.rt.length) !== 0) {
      this.resumeRt(resolve as (v: unknown) => void, v, order, prio, owner);
      return;
    }
    if (this.queue.length > 0) {
      this.queue.push(this.queued(() => resolve(v), owner)); // a drain is already scheduled
    } else if (this.young()) {
      this.switches++;
      // A futex wake with nothing in the deque is direct too (a hand-over between two threads: no
      // pump hop), unless a yield that skipped the deque waits in V8's queue (yieldNow).
      if (order === "direct" || (order === "next" && !this.fastYield && !this.pumpQueued && this.dequeEmpty())) resolve(v);
      else this.enqueueReady(resolve as (v: unknown) => void, v, order === "next", owner);
    } else {
      this.queue.push(this.queued(() => resolve(v), owner));
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /** `fn`, remembered as `owner`'s queued resume (QueuedOwner). */
  private queued(fn: () => void, owner: object | undefined): () => void {
    if (owner !== undefined && this.ownersTracked) (owner as QueuedOwner).queuedFn = fn;
    return fn;
  }

  /** A thread got a real-time policy: from now on queued resumes are recorded (ownersTracked). */
  trackOwners(): void {
    this.ownersTracked = true;
  }

  /** resume() with a real-time thread involved: into the real-time queue, or behind it (no direct resume past it). */
  private resumeRt(resolve: (v: unknown) => void, v: unknown, order: ResumeOrder, prio: number, owner: object | undefined): void {
    this.switches++;
    if (prio > 0) this.enqueueRt(resolve, v, prio, false, owner);
    else this.enqueueReady(resolve, v, order === "next", owner);
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

  /** Busy polling of host I/O (busy-poll.ts HostPoller): host I/O just made a file ready. */
  pollHost(): void {
    this.hostPoller.arm();
  }

  /** The busy-poll window in µs (0: off). */
  get busyPollUs(): number {
    return this.hostPoller.windowUs;
  }

  /** Set the busy-poll window in µs (tests, bench, embedders); 0 turns it off. */
  setBusyPoll(us: number): void {
    this.hostPoller.setWindow(us);
  }

  /** Turns of the event loop made by busy polling (statistics, tests, bench). */
  get hostPolls(): number {
    return this.hostPoller.polls;
  }

  /**
   * Move `fn`, queued by wake/wakeAt and not run yet, to where priority `prio` puts it (a new
   * thread whose policy its creator set before it first ran). False if it is not queued.
   */
  requeue(fn: () => void, prio: number, head = false): boolean {
    if (this.rt.take((e) => e.fn === fn) === undefined) {
      const j = this.queue.indexOf(fn);
      if (j < 0) return false;
      this.queue.splice(j, 1);
    }
    this.wakeAt(fn, prio, head);
    return true;
  }

  /** wake(fn) for a thread of real-time priority `prio` (0: wake): among the ready real-time threads. */
  wakeAt(fn: () => void, prio: number, head = false): void {
    if (prio > 0) this.enqueueRt(fn, undefined, prio, head);
    else this.wake(fn);
  }

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
  preempt(owner?: object): Promise<void> {
    return new Promise<void>((resolve) => {
      this.preempted.push(resolve);
      this.preemptedOwners.push(owner);
      if (this.preempted.length === 1) setImmediate(this.nextTurn);
    });
  }

  /**
   * Run resumePreempted in the next turn of the event loop, after its timers and I/O. One
   * setImmediate is not enough: posted before the check phase (a thread resumed from a timer or
   * an I/O callback, or in a microtask of one) it runs in this turn's check phase, and the
   * preempted thread computed on with no timer run in between (a 5 ms nanosleep next to a
   * computing thread ended after 25-43 ms: two to four slices). Posted from the check phase, the
   * second always lands in the next turn.
   */
  private readonly nextTurn = (): void => {
    setImmediate(this.resumePreempted);
  };

  private readonly resumePreempted = (): void => {
    const resolve = this.preempted.shift();
    const owner = this.preemptedOwners.shift();
    if (resolve === undefined) return; // raised out of the list meanwhile (raiseHeldBack)
    // The next one in the next turn (an immediate posted during the check phase runs then).
    if (this.preempted.length > 0) setImmediate(this.resumePreempted);
    this.resume(resolve, undefined, "direct", 0, owner);
  };

  /**
   * A real coroutine switch: the caller re-enters the run queue behind every ready thread. With
   * the deque empty and idle this is an already resolved Promise, shared by every yield (the
   * suspension's own `.then` puts the caller at the tail of V8's queue; nothing allocated), and
   * until the caller runs again a futex wake does not take the direct path: behind a yield that
   * skipped the deque it would lose its runnext (fairness broke: a fewest of 1 op among 64
   * threads).
   */
  yieldNow(owner?: object): Promise<void> {
    if (this.idle()) {
      this.yieldedFast();
      return RESOLVED;
    }
    return this.readyLater<void>(undefined, owner);
  }

  /** yieldNow() that resumes the caller with `v` (a direct resume: `v` is the suspended call's result, or a Promise of it). */
  yieldWith<T>(v: T, owner?: object): Promise<Awaited<T>> {
    if (this.idle()) {
      this.yieldedFast();
      return (v === 0 ? RESOLVED_0 : Promise.resolve(v)) as Promise<Awaited<T>>;
    }
    return this.readyLater(v as Awaited<T>, owner);
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
  switchedAt(plain = false): number {
    return this.streak || plain ? this.switchMs : this.stampSwitch();
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
    if ((++this.inStreak & 15) !== 0) return true;
    serveRingsIfDue();
    if (this.stamp() - this.sliceStart < SLICE_MS) return true;
    this.expired = true; // until the event loop has had its turn (endStreak)
    return false;
  }

  /** Coroutines ready to run (tests). */
  get readyCount(): number {
    return this.queue.length + this.readyFns.length - this.readyHead + (this.nextFn === undefined ? 0 : 1);
  }

  private readonly endStreak = (): void => {
    this.streak = false;
    this.expired = false;
  };
  private readonly drain = (): void => {
    this.scheduled = false;
    if (this.startsHeld()) {
      // Thread starts wait for the thread that holds the vCPU to leave it (a wait, a yield, the
      // end of its slice), as a new thread waits on Linux for its creator's turn to end, not
      // for its creator's next preemption check (which V8 lets run queued microtasks, this
      // drain among them); and for the real-time threads (leftCpu, kick).
      this.heldDrain = true;
      return;
    }
    // Double buffering: wakes during this drain go to the other array (the next drain).
    const batch = this.queue;
    this.queue = this.spare;
    // Resolving only queues each continuation; they run after this returns, in this order. A
    // thread's start runs its code at once: if it still holds the vCPU when that returns (at a
    // preemption check that did not switch), the rest waits for it as above, ahead of newer wakes.
    let i = 0;
    while (i < batch.length) {
      this.switches++;
      batch[i++]!();
      if (i < batch.length && this.startsHeld()) {
        this.queue.unshift(...batch.slice(i));
        this.heldDrain = true;
        break;
      }
    }
    batch.length = 0;
    this.spare = batch;
  };
}

/** The executor of this JS thread. Every booted instance shares it: one event loop, one vCPU. */
export const executor = new Executor();
