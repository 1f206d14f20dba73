/**
 * epoll as an open file (epoll_create1 / epoll_ctl / epoll_wait), level- and edge-triggered,
 * with EPOLLONESHOT and EPOLLRDHUP.
 *
 * Readiness is tracked as Linux's ready list: every registered file's wait queue is watched; a
 * notification puts the interest on the ready list and wakes the epoll's own queue. A wait only
 * polls the interests on the ready list: one that is not ready leaves it; an edge-triggered one
 * leaves it once reported (until the next notification); a level-triggered one stays (and moves
 * to the back, so maxevents smaller than the ready set rotates fairly); a one-shot one is disabled
 * until EPOLL_CTL_MOD. Idle registered files cost nothing per wait.
 *
 * Interests are keyed by fd number, as the (fd, file) pair in Linux. Linux drops an interest when
 * the file description is released: the syscall layer calls `forgetFile` at that point.
 * Edge-triggered reporting may repeat on a notification that did not add readiness (wait queues
 * carry no event mask); programs using ET read until EAGAIN anyway.
 *
 * Cost per call matters (an epoll server makes one epoll_wait per request): the ready list is an
 * array with a flag per interest (a Set that fills and empties on every call rehashes), "nothing
 * ready" is a return value, not a throw (unwinding through the guest's wasm frames walks the
 * stack), and a blocked wait with a timeout does not arm a host timer of its own (see `timed`).
 */
import { FileBase } from "../fs/file-base.ts";
import { FileType, Ready, type OpenFile } from "../fs/types.ts";
import { EAGAIN_ERROR, EINTR_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { WaitQueue, type Interruptible, type WakeReason } from "../sched/wait-queue.ts";
import { executor } from "../sched/executor.ts";
import { watchQueue } from "./wait-watch.ts";

export const Epoll = {
  IN: 0x1, PRI: 0x2, OUT: 0x4, ERR: 0x8, HUP: 0x10, RDNORM: 0x40, RDBAND: 0x80, WRNORM: 0x100,
  WRBAND: 0x200, MSG: 0x400, RDHUP: 0x2000, EXCLUSIVE: 1 << 28, WAKEUP: 1 << 29, ONESHOT: 1 << 30,
  ET: 0x80000000,
} as const;
export const EpollCtl = { ADD: 1, DEL: 2, MOD: 3 } as const;

/** Event bits a file can report (the rest are input-only modifiers). */
const EVENT_MASK = 0xffff;

export interface EpollEvent {
  events: number;
  data: bigint;
}

interface Interest {
  fd: number;
  file: OpenFile;
  events: number;
  data: bigint;
  disabled: boolean;
  /** On the ready list (at most once). */
  queued: boolean;
  unwatch: (() => void) | undefined;
}

/** "Nothing ready", shared (frozen: a caller cannot add to it). */
const NONE = Object.freeze([]) as unknown as EpollEvent[];

export class EpollFile extends FileBase {
  readonly isEpoll = true;
  readonly waitQueue = new WaitQueue();
  private readonly interests = new Map<number, Interest>();
  /** Interests that may be ready, oldest first; entries whose `queued` is false are stale. */
  private ready: Interest[] = [];
  private spare: Interest[] = [];
  /** Scratch for tryWait (level-triggered interests reported in this pass). */
  private readonly back: Interest[] = [];

  constructor(flags = 0) {
    super(FileType.UNKNOWN, { readable: true, flags });
  }

  /** epoll_ctl. `ev` is required for ADD and MOD. */
  ctl(op: number, fd: number, file: OpenFile, ev?: EpollEvent): void {
    if (op !== EpollCtl.DEL && ev === undefined) throw sysErr(Errno.FAULT);
    if ((file as unknown) === this) throw sysErr(Errno.INVAL, "epoll cannot watch itself");
    if (file.filetype === FileType.REGULAR_FILE || file.filetype === FileType.DIRECTORY) throw sysErr(Errno.PERM);
    const it = this.interests.get(fd);
    switch (op) {
      case EpollCtl.ADD: {
        if (it && it.file === file) throw sysErr(Errno.EXIST);
        if (it) this.drop(it); // a stale entry for a recycled fd number
        const created: Interest = { fd, file, events: ev!.events >>> 0, data: ev!.data, disabled: false, queued: false, unwatch: undefined };
        const q = file.waitQueue;
        if (q) created.unwatch = watchQueue(q, () => this.onNotify(created));
        this.interests.set(fd, created);
        this.arm(created);
        return;
      }
      case EpollCtl.MOD: {
        if (!it || it.file !== file) throw sysErr(Errno.NOENT);
        if ((ev!.events & Epoll.EXCLUSIVE) !== 0 || (it.events & Epoll.EXCLUSIVE) !== 0) throw sysErr(Errno.INVAL);
        it.events = ev!.events >>> 0;
        it.data = ev!.data;
        it.disabled = false;
        this.arm(it);
        return;
      }
      case EpollCtl.DEL:
        if (!it || it.file !== file) throw sysErr(Errno.NOENT);
        this.drop(it);
        return;
      default:
        throw sysErr(Errno.INVAL);
    }
  }

  /** Remove every interest in `file` (its description was released). */
  forgetFile(file: OpenFile): void {
    for (const it of this.interests.values()) if (it.file === file) this.drop(it);
  }

  get size(): number {
    return this.interests.size;
  }

  private drop(it: Interest): void {
    it.unwatch?.();
    this.interests.delete(it.fd);
    it.queued = false; // its list entry goes stale (a dropped interest is never queued again)
  }

  private enqueue(it: Interest): void {
    if (it.queued) return;
    it.queued = true;
    this.ready.push(it);
  }

  private arm(it: Interest): void {
    this.enqueue(it);
    if (this.revents(it) !== 0) this.waitQueue.notifyAll();
  }

  private onNotify(it: Interest): void {
    if (it.disabled) return;
    this.enqueue(it);
    if (this.waitQueue.size > 0) this.waitQueue.notifyAll();
  }

  private revents(it: Interest): number {
    if (it.disabled) return 0;
    return it.file.poll() & ((it.events & EVENT_MASK) | Ready.ERR | Ready.HUP);
  }

  /** epoll_wait without waiting: up to maxEvents ready events, EAGAIN_ERROR when none. */
  wait(maxEvents: number): EpollEvent[] {
    if (maxEvents <= 0) throw sysErr(Errno.INVAL);
    const out = this.tryWait(maxEvents);
    if (out.length === 0) throw EAGAIN_ERROR;
    return out;
  }

  /**
   * Up to maxEvents (> 0) ready events, an empty array when none. One pass over the ready list:
   * an interest found not ready, an edge-triggered one reported and a one-shot one leave it; a
   * level-triggered one reported goes to the back; those past maxEvents keep their place.
   */
  tryWait(maxEvents: number): EpollEvent[] {
    const list = this.ready;
    if (list.length === 0) return NONE;
    let out = NONE;
    // poll() never notifies, so nothing joins the list during this pass.
    const next = this.spare;
    const back = this.back;
    for (let i = 0; i < list.length; i++) {
      const it = list[i]!;
      if (!it.queued) continue;
      if (out.length >= maxEvents) {
        next.push(it);
        continue;
      }
      const r = this.revents(it);
      if (r === 0) {
        it.queued = false;
        continue;
      }
      if (out === NONE) out = [];
      out.push({ events: r, data: it.data });
      if ((it.events & Epoll.ONESHOT) !== 0) {
        it.disabled = true;
        it.queued = false;
      } else if ((it.events & Epoll.ET) !== 0) {
        it.queued = false;
      } else {
        back.push(it); // level-triggered: stays, at the back
      }
    }
    for (let i = 0; i < back.length; i++) next.push(back[i]!);
    back.length = 0;
    list.length = 0;
    this.spare = list;
    this.ready = next;
    return out;
  }

  /** Readable when some interest is ready (an epoll inside poll or another epoll). */
  override poll(): number {
    for (const it of this.ready) if (it.queued && this.revents(it) !== 0) return Ready.IN;
    return 0;
  }

  override release(): void {
    for (const it of this.interests.values()) {
      it.unwatch?.();
      it.queued = false;
    }
    this.interests.clear();
    this.ready.length = 0;
  }
}

/** epoll_create1. */
export function createEpoll(flags = 0): EpollFile {
  return new EpollFile(flags);
}

/**
 * epoll_wait with a timeout (ms; < 0 = none, 0 = never wait), suspending on the epoll's queue.
 * `map` turns the events into the result (the syscall layer encodes them into guest memory), so
 * a wake-up settles the caller's Promise with its final value in one step. Timeout: `map([])`.
 * Throws (or rejects with) EINTR_ERROR when interrupted.
 */
export function epollWait(ep: EpollFile, maxEvents: number, timeoutMs: number, intr?: Interruptible): EpollEvent[] | Promise<EpollEvent[]>;
export function epollWait<T>(ep: EpollFile, maxEvents: number, timeoutMs: number, intr: Interruptible | undefined, map: (evs: EpollEvent[]) => T): T | Promise<T>;
export function epollWait<T>(ep: EpollFile, maxEvents: number, timeoutMs: number, intr?: Interruptible, map?: (evs: EpollEvent[]) => T): T | Promise<T> {
  if (maxEvents <= 0) throw sysErr(Errno.INVAL);
  const f = map ?? ((evs: EpollEvent[]) => evs as T);
  const evs = ep.tryWait(maxEvents);
  if (evs.length > 0 || timeoutMs === 0) return f(evs);
  if (intr?.interruptPending) throw EINTR_ERROR;
  return new Promise<T>((resolve, reject) => {
    new BlockedWait(ep, maxEvents, timeoutMs < 0 ? undefined : performance.now() + timeoutMs, intr, f, resolve, reject).park();
  });
}

/** WaitQueue's registration, as wait-watch.ts uses it: a waiter is anything with finish(). */
interface QueueInternals {
  add(w: unknown): void;
  remove(w: unknown): void;
}

/**
 * One blocked epoll_wait, parked on the epoll's queue as a waiter of its own (the way
 * wait-watch.ts registers watchers): a blocked call costs the caller's Promise and this object,
 * where parking through WaitQueue.wait added a Promise, a Waiter, an options object and a
 * reaction, and a re-park after a wake-up that found nothing ready allocates nothing. A notify
 * makes it runnable through the executor, as any waiter; the ready list is read one microtask
 * later, as before (a notifier may still be updating the state it announced).
 *
 * Deadlines: the waits that have one are kept in `timed`, and a single host timer armed for the
 * earliest deadline ends them. A server looping on epoll_wait(…, 60000) thus arms no timer per
 * call (a setTimeout/clearTimeout pair with a fresh duration makes and drops a node timer list
 * each time): the timer armed by the first wait fires before every later deadline, and then only
 * re-arms for the earliest pending one.
 */
class BlockedWait<T> implements Timed {
  private readonly ep: EpollFile;
  private readonly max: number;
  readonly deadlineMs: number | undefined;
  private readonly intr: Interruptible | undefined;
  private readonly map: (evs: EpollEvent[]) => T;
  private readonly resolve: (v: T) => void;
  private readonly reject: (e: unknown) => void;
  private parked = false;
  /** Why it was made runnable (a timeout may overtake a wake-up not yet run). */
  private reason: WakeReason = "woken";
  /** Index in `timed`, -1 when not there. */
  slot = -1;

  constructor(ep: EpollFile, max: number, deadlineMs: number | undefined, intr: Interruptible | undefined,
    map: (evs: EpollEvent[]) => T, resolve: (v: T) => void, reject: (e: unknown) => void) {
    this.ep = ep;
    this.max = max;
    this.deadlineMs = deadlineMs;
    this.intr = intr;
    this.map = map;
    this.resolve = resolve;
    this.reject = reject;
    if (deadlineMs !== undefined) addTimed(this);
  }

  park(): void {
    this.parked = true;
    (this.ep.waitQueue as unknown as QueueInternals).add(this);
    this.intr?.setCanceller(this.cancel);
  }

  /** The queue's notify ("woken"), the timer ("timeout") or an interruption: runnable once. */
  finish(reason: WakeReason): boolean {
    if (!this.parked) return false;
    this.parked = false;
    (this.ep.waitQueue as unknown as QueueInternals).remove(this);
    this.intr?.setCanceller(undefined);
    this.reason = reason;
    executor.resume(this.runSoon, undefined);
    return true;
  }

  private readonly cancel = (): void => {
    this.finish("interrupted");
  };

  /** Called by the timer once the deadline has passed. */
  expire(): void {
    if (this.parked) this.finish("timeout");
    else if (this.reason === "woken") this.reason = "timeout"; // runnable already: nothing ready is now a timeout
  }

  /** The executor made it runnable: run after the notifier's code, as a promise reaction would. */
  private readonly runSoon = (): void => {
    queueMicrotask(this.onWake);
  };

  private readonly onWake = (): void => {
    const reason = this.reason;
    if (reason === "interrupted") {
      removeTimed(this);
      this.reject(EINTR_ERROR);
      return;
    }
    try {
      const evs = this.ep.tryWait(this.max);
      if (evs.length === 0 && reason !== "timeout") {
        // A wake-up for an interest that turned out not ready: wait on, unless that must end.
        if (this.intr?.interruptPending) {
          removeTimed(this);
          this.reject(EINTR_ERROR);
          return;
        }
        if (this.deadlineMs === undefined || performance.now() < this.deadlineMs) {
          this.park();
          return;
        }
      }
      removeTimed(this);
      this.resolve(this.map(evs));
    } catch (e) {
      removeTimed(this);
      this.reject(e);
    }
  };
}

/** What the timer sees of a blocked wait with a deadline. */
interface Timed {
  readonly deadlineMs: number | undefined;
  slot: number;
  expire(): void;
}

// The blocked waits with a deadline (unordered; a wait knows its slot) and the one timer.
const timed: Timed[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;
let timerAt = Number.POSITIVE_INFINITY;

function addTimed(w: Timed): void {
  w.slot = timed.length;
  timed.push(w);
  if (w.deadlineMs! < timerAt) armTimer(w.deadlineMs!);
  else if (timed.length === 1) timer?.ref();
}

function removeTimed(w: Timed): void {
  const i = w.slot;
  if (i < 0) return;
  const last = timed.pop()!;
  if (last !== w) {
    timed[i] = last;
    last.slot = i;
  }
  w.slot = -1;
  // The timer stays armed (it fires at most once more, then re-arms only for a wait still there)
  // but stops holding the event loop open once no wait needs it.
  if (timed.length === 0) timer?.unref();
}

function armTimer(at: number): void {
  if (timer !== undefined) clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(onTimer, Math.max(0, Math.ceil(at - performance.now())));
}

function onTimer(): void {
  timer = undefined;
  timerAt = Number.POSITIVE_INFINITY;
  const now = performance.now();
  let next = Number.POSITIVE_INFINITY;
  for (const w of [...timed]) {
    if (w.deadlineMs! <= now) w.expire();
    else if (w.deadlineMs! < next) next = w.deadlineMs!;
  }
  if (next !== Number.POSITIVE_INFINITY) armTimer(next);
}
