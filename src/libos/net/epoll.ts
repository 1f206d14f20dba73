/**
 * epoll as an open file (epoll_create1 / epoll_ctl / epoll_wait), level- and edge-triggered,
 * with EPOLLONESHOT and EPOLLRDHUP.
 *
 * Readiness is tracked as Linux's ready list: every registered file is watched (a socket through
 * its own watchers, SocketBase.watchReadiness; other files through their wait queue); a
 * notification puts the interest on the ready list and wakes the epoll's blocked waits and its
 * queue. EPOLLEXCLUSIVE interests in one file share a watcher that stops at the first epoll
 * whose blocked wait it woke (ExclusiveGroup). A wait only
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
 * stack), a blocked wait with a timeout does not arm a host timer of its own (see `timed`), and
 * a wake-up by host data completes the guest's call from the host callback itself, with no
 * setImmediate and one promise reaction (see `notifyFromHost` and BlockedWait).
 */
import { FileBase } from "../fs/file-base.ts";
import { FileType, Ready, type OpenFile } from "../fs/types.ts";
import { EAGAIN_ERROR, EINTR_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { WaitQueue, type Interruptible, type WakeReason } from "../sched/wait-queue.ts";
import { executor } from "../sched/executor.ts";
import { watchQueue } from "./wait-watch.ts";
import { nowMs } from "../sched/clock.ts";

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

/** What collect() reports of an interest: its data, also as six u32 words (low first). */
export interface EventData {
  readonly data: bigint;
  /**
   * The 192 bits of data as u32 words, split once at epoll_ctl: the syscall layer stores them
   * per event without BigInt arithmetic (wasix-libc's data is wider than 53 bits: its fd field
   * sits above the 64-bit word).
   */
  readonly words: readonly number[];
}

interface Interest extends EventData {
  fd: number;
  file: OpenFile;
  events: number;
  data: bigint;
  words: number[];
  disabled: boolean;
  /** On the ready list (at most once). */
  queued: boolean;
  unwatch: (() => void) | undefined;
}

/** A file that calls watchers itself on every readiness notification (SocketBase.watchReadiness). */
interface Watchable {
  watchReadiness(cb: () => void): () => void;
}
function isWatchable(f: OpenFile): f is OpenFile & Watchable {
  return typeof (f as Partial<Watchable>).watchReadiness === "function";
}

function dataWords(d: bigint): number[] {
  const w: number[] = [];
  for (let i = 0; i < 6; i++) w.push(Number((d >> BigInt(32 * i)) & 0xffffffffn));
  return w;
}

/** "Nothing ready", shared (frozen: a caller cannot add to it). */
const NONE = Object.freeze([]) as unknown as EpollEvent[];

export class EpollFile extends FileBase {
  readonly isEpoll = true;
  readonly waitQueue = new WaitQueue();
  private readonly interests = new Map<number, Interest>();
  /**
   * Interests that may be ready, oldest first: the first `readyLen` entries (entries whose
   * `queued` is false are stale). The arrays keep their storage between passes (lengths are
   * counts of ours: setting an array's length to 0 drops its storage, a reallocation per call).
   */
  private ready: Interest[] = [];
  private readyLen = 0;
  private spare: Interest[] = [];
  /** Scratch for collect (level-triggered interests reported in this pass). */
  private readonly back: Interest[] = [];
  /** Blocked epoll_waits (BlockedWait parks here, not on waitQueue: no Set churn per wait). */
  private readonly parked: BlockedWait<unknown>[] = [];
  /** Finished BlockedWaits, reused by the next blocked call. */
  readonly spareWaits: BlockedWait<unknown>[] = [];

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
        // An epoll inside another: a cycle would recurse for ever in poll(); Linux says ELOOP.
        if (file instanceof EpollFile && file.reaches(this)) throw sysErr(Errno.LOOP);
        if (it) this.drop(it); // a stale entry for a recycled fd number
        const created: Interest = { fd, file, events: ev!.events >>> 0, data: ev!.data, words: dataWords(ev!.data), disabled: false, queued: false, unwatch: undefined };
        if ((created.events & Epoll.EXCLUSIVE) !== 0) created.unwatch = joinExclusive(file, this, created);
        else created.unwatch = watchFile(file, () => this.onNotify(created));
        this.interests.set(fd, created);
        this.arm(created);
        return;
      }
      case EpollCtl.MOD: {
        if (!it || it.file !== file) throw sysErr(Errno.NOENT);
        if ((ev!.events & Epoll.EXCLUSIVE) !== 0 || (it.events & Epoll.EXCLUSIVE) !== 0) throw sysErr(Errno.INVAL);
        it.events = ev!.events >>> 0;
        it.data = ev!.data;
        it.words = dataWords(ev!.data);
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

  /** Whether `target` is this epoll or is watched by it, directly or through nested epolls. */
  reaches(target: EpollFile, seen = new Set<EpollFile>()): boolean {
    if (this === target) return true;
    if (seen.has(this)) return false;
    seen.add(this);
    for (const it of this.interests.values()) if (it.file instanceof EpollFile && it.file.reaches(target, seen)) return true;
    return false;
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
    this.ready[this.readyLen++] = it;
  }

  private arm(it: Interest): void {
    this.enqueue(it);
    if (this.revents(it) !== 0) this.wakeAll();
  }

  private onNotify(it: Interest): void {
    if (it.disabled) return;
    this.enqueue(it);
    this.wakeAll();
  }

  /** @internal ExclusiveGroup: onNotify, telling whether a blocked epoll_wait was woken. */
  notifyExclusive(it: Interest): boolean {
    if (it.disabled) return false;
    const woke = this.parked.length > 0;
    this.onNotify(it);
    return woke;
  }

  /** Wake every blocked epoll_wait and every other waiter (poll, an epoll watching this one). */
  private wakeAll(): void {
    // The other waiters first (as when the blocked waits were queued behind them), then the
    // blocked epoll_waits, oldest first (finish() removes each from `parked`).
    if (this.waitQueue.size > 0) this.waitQueue.notifyAll();
    const p = this.parked;
    for (let n = p.length; n > 0 && p.length > 0; n--) p[0]!.finish("woken");
  }

  /** @internal BlockedWait */
  addParked(w: BlockedWait<unknown>): void {
    this.parked.push(w);
  }
  /** @internal BlockedWait */
  removeParked(w: BlockedWait<unknown>): void {
    const p = this.parked;
    if (p.length === 1 && p[0] === w) {
      p.pop(); // the usual case: one thread waits on this epoll
      return;
    }
    const i = p.indexOf(w);
    if (i < 0) return;
    // Keep the order (oldest first; usually there is one): shift the rest down.
    for (let j = i + 1; j < p.length; j++) p[j - 1] = p[j]!;
    p.pop();
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
   * Up to maxEvents (> 0) ready events, an empty array when none (see collect).
   */
  tryWait(maxEvents: number): EpollEvent[] {
    if (this.readyLen === 0) return NONE;
    let out = NONE;
    this.collect(maxEvents, (events, it) => {
      if (out === NONE) out = [];
      out.push({ events, data: it.data });
    });
    return out;
  }

  /**
   * Report up to maxEvents (> 0) ready events to `visit` (its event bits, its data, its index);
   * returns how many. One pass over the ready list: an interest found not ready, an
   * edge-triggered one reported and a one-shot one leave it; a level-triggered one reported goes
   * to the back; those past maxEvents keep their place. The syscall layer writes each event
   * straight into guest memory (no event objects, no array per call).
   */
  collect(maxEvents: number, visit: (events: number, it: EventData, k: number) => void): number {
    const list = this.ready;
    const len = this.readyLen;
    if (len === 0) return 0;
    // poll() never notifies, so nothing joins the list during this pass.
    const next = this.spare;
    const back = this.back;
    let n = 0, nextLen = 0, backLen = 0;
    for (let i = 0; i < len; i++) {
      const it = list[i]!;
      if (!it.queued) continue;
      if (n >= maxEvents) {
        next[nextLen++] = it;
        continue;
      }
      const r = this.revents(it);
      if (r === 0) {
        it.queued = false;
        continue;
      }
      visit(r, it, n++);
      if ((it.events & Epoll.ONESHOT) !== 0) {
        it.disabled = true;
        it.queued = false;
      } else if ((it.events & Epoll.ET) !== 0) {
        it.queued = false;
      } else {
        back[backLen++] = it; // level-triggered: stays, at the back
      }
    }
    for (let i = 0; i < backLen; i++) next[nextLen++] = back[i]!;
    this.spare = list;
    this.ready = next;
    this.readyLen = nextLen;
    return n;
  }

  /** Readable when some interest is ready (an epoll inside poll or another epoll). */
  override poll(): number {
    for (let i = 0; i < this.readyLen; i++) {
      const it = this.ready[i]!;
      if (it.queued && this.revents(it) !== 0) return Ready.IN;
    }
    return 0;
  }

  override release(): void {
    for (const it of this.interests.values()) {
      it.unwatch?.();
      it.queued = false;
    }
    this.interests.clear();
    this.ready = [];
    this.spare = [];
    this.readyLen = 0;
  }
}

/** Call `cb` on every readiness notification of `file` until the returned function is called. */
function watchFile(file: OpenFile, cb: () => void): (() => void) | undefined {
  // Sockets keep watchers of their own (socket-base.ts); other files through their queue.
  if (isWatchable(file)) return file.watchReadiness(cb);
  const q = file.waitQueue;
  return q ? watchQueue(q, cb) : undefined;
}

/**
 * The EPOLLEXCLUSIVE interests in one file, from any number of epolls, behind one watcher of the
 * file. A notification goes to them in the order they were added, each queued on its epoll's
 * ready list, until one whose epoll had a blocked epoll_wait was woken; the rest get nothing
 * (Linux: the file's wake-up walk stops at the first exclusive entry whose ep_poll_callback woke
 * a waiter). N processes or threads each blocked in epoll_wait on their own epoll over one
 * listening socket: one wakes per notification instead of N.
 */
class ExclusiveGroup {
  readonly members: { ep: EpollFile; it: Interest }[] = [];
  unwatch: (() => void) | undefined;

  notify(): void {
    const m = this.members;
    for (let i = 0; i < m.length; i++) if (m[i]!.ep.notifyExclusive(m[i]!.it)) return;
  }
}

const exclusiveGroups = new WeakMap<OpenFile, ExclusiveGroup>();

/** Add an EPOLLEXCLUSIVE interest to its file's group; returns its unwatch. */
function joinExclusive(file: OpenFile, ep: EpollFile, it: Interest): () => void {
  let g = exclusiveGroups.get(file);
  if (!g) {
    const group = (g = new ExclusiveGroup());
    group.unwatch = watchFile(file, () => group.notify());
    exclusiveGroups.set(file, group);
  }
  const group = g;
  const member = { ep, it };
  group.members.push(member);
  return () => {
    const i = group.members.indexOf(member);
    if (i >= 0) group.members.splice(i, 1);
    if (group.members.length === 0 && exclusiveGroups.get(file) === group) {
      group.unwatch?.();
      exclusiveGroups.delete(file);
    }
  };
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
  return epollPark(ep, timeoutMs, intr, (timedOut) => {
    const got = ep.tryWait(maxEvents);
    return got.length === 0 && !timedOut ? NOT_READY : f(got);
  });
}

/** What a wake-up's `take` returns when nothing was ready: the wait goes on. */
export const NOT_READY: unique symbol = Symbol("not ready");

/**
 * The blocking half of an epoll_wait, for a caller that has polled and found nothing: park until
 * `take` (run at each wake-up; `timedOut` once the deadline passed) returns something other
 * than NOT_READY, or until an interruption. `take` collects the events and maps them to the
 * result; with a timeout it must return a result. With `fail`, an error (EINTR_ERROR when
 * interrupted) settles the Promise with `fail(error)` instead of rejecting it: a direct syscall
 * row (dispatch.ts) completes the guest's call from the wake-up itself, `take` encoding the
 * events and `fail` the errno.
 */
export function epollPark<T>(ep: EpollFile, timeoutMs: number, intr: Interruptible | undefined,
  take: (timedOut: boolean) => T | typeof NOT_READY, fail?: (e: unknown) => T): Promise<T> {
  if (intr?.interruptPending) {
    if (fail) return Promise.resolve(fail(EINTR_ERROR));
    throw EINTR_ERROR;
  }
  const w = (ep.spareWaits.pop() ?? new BlockedWait(ep)) as BlockedWait<T>;
  return w.start(timeoutMs < 0 ? undefined : nowMs() + timeoutMs, intr, take, fail);
}

/**
 * Host I/O larger than this does not start busy polling: a bulk stream's reads are whole segments
 * (up to 64 KiB on loopback) once it sleeps between them, and polling only splits them into more,
 * smaller reads, each a guest wake-up (bulk1 ran at 0.77 of its rate without polling, 280 against
 * 212 µs of server CPU per MiB: bench/net/README.md, 2026-12-04 evening). Requests and replies
 * are smaller.
 */
const POLL_AFTER_MAX_BYTES = 16 * 1024;

/**
 * A host callback took in `bytes` (a socket read, a datagram; 0 for a connection) and made a file
 * ready: if it looks like a request or a reply, the next one likely follows soon, so the kernel
 * thread busy-polls for it (Executor.pollHost).
 */
export function pollAfterHostIo(bytes: number): void {
  if (bytes < POLL_AFTER_MAX_BYTES) executor.pollHost();
}

/**
 * True while a host callback notifies (see notifyFromHost): a blocked wait it wakes resumes
 * through Executor.resumeFromHost, which posts no setImmediate.
 */
let hostNotify = false;

/**
 * Run `notify` (a file's readiness notification) from a host callback: a macrotask of the event
 * loop, e.g. a socket's read callback, never a coroutine or a microtask; after the state it
 * announces is updated.
 */
export function notifyFromHost(notify: () => void): void {
  hostNotify = true;
  try {
    notify();
  } finally {
    hostNotify = false;
  }
}

/**
 * One blocked epoll_wait, parked in its epoll's own list (the epoll wakes it on every
 * notification, as a waiter of its queue would be): a blocked call costs the caller's Promise;
 * the BlockedWait itself is reused by the epoll's next blocked call once this one settled, and
 * a re-park after a wake-up that found nothing ready allocates nothing. A notify makes it
 * runnable through the executor, as any waiter; the ready list is read one microtask later, as
 * a promise reaction would (a notifier may still be updating the state it announced), or at
 * once for a host callback's notification (notifyFromHost: made after the update).
 *
 * Deadlines: the waits that have one are kept in `timed`, and a single host timer armed for the
 * earliest deadline ends them. A server looping on epoll_wait(…, 60000) thus arms no timer per
 * call (a setTimeout/clearTimeout pair with a fresh duration makes and drops a node timer list
 * each time): the timer armed by the first wait fires before every later deadline, and then only
 * re-arms for the earliest pending one.
 */
class BlockedWait<T> implements Timed {
  private readonly ep: EpollFile;
  deadlineMs: number | undefined;
  private intr: Interruptible | undefined;
  private take: ((timedOut: boolean) => T | typeof NOT_READY) | undefined;
  private fail: ((e: unknown) => T) | undefined;
  private resolve: ((v: T) => void) | undefined;
  private reject: ((e: unknown) => void) | undefined;
  private parked = false;
  /** Why it was made runnable (a timeout may overtake a wake-up not yet run). */
  private reason: WakeReason = "woken";
  /** Index in `timed`, -1 when not there. */
  slot = -1;

  constructor(ep: EpollFile) {
    this.ep = ep;
  }

  start(deadlineMs: number | undefined, intr: Interruptible | undefined, take: (timedOut: boolean) => T | typeof NOT_READY, fail: ((e: unknown) => T) | undefined): Promise<T> {
    this.deadlineMs = deadlineMs;
    this.intr = intr;
    this.take = take;
    this.fail = fail;
    this.reason = "woken";
    const p = new Promise<T>(this.capture);
    if (deadlineMs !== undefined) addTimed(this);
    this.park();
    return p;
  }

  private readonly capture = (resolve: (v: T) => void, reject: (e: unknown) => void): void => {
    this.resolve = resolve;
    this.reject = reject;
  };

  park(): void {
    this.parked = true;
    this.ep.addParked(this as BlockedWait<unknown>);
    this.intr?.setCanceller(this.cancel);
  }

  /** The epoll's notification ("woken"), the timer ("timeout") or an interruption: runnable once. */
  finish(reason: WakeReason): boolean {
    if (!this.parked) return false;
    this.parked = false;
    this.ep.removeParked(this as BlockedWait<unknown>);
    this.intr?.setCanceller(undefined);
    this.reason = reason;
    if (hostNotify) executor.resumeFromHost(this.runSoon, undefined);
    else executor.resume(this.runSoon, undefined);
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

  /**
   * The executor made it runnable: run after the notifier's code, as a promise reaction would,
   * except for a host callback's notification (notifyFromHost), made once its state is updated:
   * the events are collected at once, one microtask fewer per request of a server.
   */
  private readonly runSoon = (): void => {
    if (hostNotify) this.onWake();
    else queueMicrotask(this.onWake);
  };

  private readonly onWake = (): void => {
    const reason = this.reason;
    if (reason === "interrupted") {
      this.settleError(EINTR_ERROR);
      return;
    }
    let r: T | typeof NOT_READY;
    try {
      r = this.take!(reason === "timeout");
      if (r === NOT_READY) {
        // A wake-up for an interest that turned out not ready: wait on, unless that must end.
        if (this.intr?.interruptPending) {
          this.settleError(EINTR_ERROR);
          return;
        }
        if (this.deadlineMs === undefined || nowMs() < this.deadlineMs) {
          this.park();
          return;
        }
        r = this.take!(true);
        if (r === NOT_READY) throw new Error("kernel bug: epoll take() gave no result at the timeout");
      }
    } catch (e) {
      this.settleError(e);
      return;
    }
    const resolve = this.resolve!;
    this.done();
    resolve(r);
  };

  private settleError(e: unknown): void {
    const fail = this.fail, resolve = this.resolve!, reject = this.reject!;
    this.done();
    if (!fail) {
      reject(e);
      return;
    }
    let v: T;
    try {
      v = fail(e);
    } catch (e2) {
      reject(e2);
      return;
    }
    resolve(v);
  }

  /** Settled: out of the timer's list, references dropped, back to the epoll's spares. */
  private done(): void {
    removeTimed(this);
    this.take = undefined;
    this.fail = undefined;
    this.intr = undefined;
    this.resolve = undefined;
    this.reject = undefined;
    this.ep.spareWaits.push(this as BlockedWait<unknown>);
  }
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
  timer = setTimeout(onTimer, Math.max(0, Math.ceil(at - nowMs())));
}

function onTimer(): void {
  timer = undefined;
  timerAt = Number.POSITIVE_INFINITY;
  const now = nowMs();
  let next = Number.POSITIVE_INFINITY;
  for (const w of [...timed]) {
    if (w.deadlineMs! <= now) w.expire();
    else if (w.deadlineMs! < next) next = w.deadlineMs!;
  }
  if (next !== Number.POSITIVE_INFINITY) armTimer(next);
}
