/**
 * PI futexes, for futex-rows.ts: FUTEX_LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI, and the
 * requeue of a condition's waiters onto a PI lock, FUTEX_WAIT_REQUEUE_PI / FUTEX_CMP_REQUEUE_PI.
 *
 * The word holds the owner's tid, with FUTEX_WAITERS set while a locker waits in the kernel; user
 * space takes a free word (0 -> tid) and gives back one without waiters (tid -> 0) itself, and
 * calls the kernel otherwise. An unlock hands the lock to the oldest waiter: the word becomes its
 * tid | FUTEX_WAITERS, as Linux writes it (so the new owner's unlock comes to the kernel, which
 * clears the word when nobody waits any more). The waiters park on the futex table at addr + 1,
 * an address no 4-aligned futex has, so they never meet FUTEX_WAIT's.
 *
 * Priorities, as Linux's rt_mutex: an unlock hands the lock to the waiter of the highest
 * real-time priority (the oldest among equals), and an owner runs at the highest priority of
 * the threads waiting for its locks (Thread.piBoost), through chains: H waits for a lock K holds
 * while K waits for one L holds, so L runs at H's priority (reboost). A thread whose priority
 * rises or falls while it is ready moves in the executor's real-time queue (reprioritize), a
 * SCHED_OTHER one waiting for the vCPU into it. Threads on vCPU workers
 * have no priorities (Thread.rtPriority).
 *
 * A thread that ends while it owns a word others wait on passes it on as Linux's exit cleanup
 * does: to the oldest waiter, the word its tid | FUTEX_OWNER_DIED | FUTEX_WAITERS (piHeld keeps,
 * per owner, the words it holds with waiters; a word held without waiters is only in guest
 * memory, and a later lock_pi of the dead tid gets ESRCH, as on Linux).
 *
 * Requeue-PI: a FUTEX_WAIT_REQUEUE_PI waiter parks on its condition word at addr + 2 (apart from
 * FUTEX_WAIT's waiters: a FUTEX_WAKE that reaches one is EINVAL on Linux, which pairs these two
 * operations only with each other), naming the PI word it expects to be moved to. A
 * FUTEX_CMP_REQUEUE_PI takes a free PI word for the oldest waiter and wakes it (it returns owning
 * the lock), or else makes it wait for the lock, and moves more of them the same way: they are
 * then PI waiters of that word like any locker, handed the lock by unlocks. Before the move a
 * handler restarts the wait (Linux's ERESTARTNOINTR); after it, the wait ends with EAGAIN, as
 * Linux returns EWOULDBLOCK rather than restart a call whose condition has changed.
 */
import { Errno, sysErr } from "../errno.ts";
import { ERESTARTNOINTR } from "../blocking.ts";
import type { Thread } from "../../process/thread.ts";
import type { GuestMemory } from "../memory.ts";
import { futexTable } from "../../sched/futex.ts";
import { executor } from "../../sched/executor.ts";
import { onThreadEnd } from "../../process/process.ts";

const FUTEX_WAITERS = 0x80000000;
const FUTEX_OWNER_DIED = 0x40000000;
const FUTEX_TID_MASK = 0x3fffffff;

/** Where a PI word's lockers wait, and where requeue-PI waiters wait on their condition word. */
const lockQueue = (addr: number): number => addr + 1;
const requeuePiQueue = (addr: number): number => addr + 2;

interface PiWord {
  readonly i32: Int32Array;
  readonly key: object;
  readonly addr: number;
}
/** By owner, the words it holds that others wait on, by address (one process: one memory). */
const piHeld = new WeakMap<Thread, Map<number, PiWord>>();
/** The PI word a thread waits for (a lock_pi, or a requeue-PI wait moved onto it): chains. */
const piWaitsFor = new WeakMap<Thread, PiWord>();
/** The longest chain of owners followed (Linux's default max_lock_depth). */
const MAX_LOCK_DEPTH = 1024;

/** The highest real-time priority of the threads waiting for the words `t` holds. */
function inherited(t: Thread): number {
  const held = piHeld.get(t);
  let top = 0;
  if (held) {
    for (const w of held.values()) {
      for (const o of futexTable(w.key).firstOwners(lockQueue(w.addr), Infinity)) top = Math.max(top, (o as Thread).rtPriority);
    }
  }
  return top;
}

/**
 * `t`'s inherited priority again (a waiter came or went, a lock changed hands), and down the
 * chain: the owner of the word `t` waits for, and so on while a priority changes.
 */
function reboost(t: Thread | undefined): void {
  for (let depth = 0; t !== undefined && depth < MAX_LOCK_DEPTH; depth++) {
    const was = t.rtPriority;
    t.piBoost = inherited(t);
    const now = t.rtPriority;
    if (now === was) return;
    executor.reprioritize(t, now, now < was);
    const w = piWaitsFor.get(t);
    t = w === undefined ? undefined : liveThread(t, Atomics.load(w.i32, 0) & FUTEX_TID_MASK);
  }
}

function hold(t: Thread, w: PiWord): void {
  let m = piHeld.get(t);
  if (!m) piHeld.set(t, (m = new Map()));
  m.set(w.addr, w);
}

function unhold(t: Thread, w: PiWord): void {
  piHeld.get(t)?.delete(w.addr);
}

function piWord(m: GuestMemory, key: object, addr: number): PiWord {
  return { i32: new Int32Array(m.memory.buffer, addr, 1), key, addr };
}

/**
 * Hand `w` to its waiter of the highest priority (the oldest among equals): returns whether there
 * was one. `from` gives up what it inherited through `w`.
 */
function handOver(w: PiWord, from: Thread, flags: number): boolean {
  const ft = futexTable(w.key);
  const queue = lockQueue(w.addr);
  unhold(from, w);
  const waiters = ft.firstOwners(queue, Infinity) as Thread[];
  if (waiters.length === 0) {
    reboost(from);
    return false;
  }
  let next = waiters[0]!;
  for (const x of waiters) if (x.rtPriority > next.rtPriority) next = x;
  piWaitsFor.delete(next);
  ft.wakeOwner(queue, next);
  ft.takeFirstWoken();
  Atomics.store(w.i32, 0, (next.tid | flags | FUTEX_WAITERS) | 0);
  if (ft.waiting(queue) > 0) hold(next, w);
  reboost(next);
  const was = from.rtPriority;
  reboost(from);
  if (from.rtPriority !== was) from.schedChangedByMe();
  from.wokeUp(next);
  return true;
}

onThreadEnd((t) => {
  const held = piHeld.get(t);
  if (!held) return;
  piHeld.delete(t);
  for (const w of held.values()) {
    if ((Atomics.load(w.i32, 0) & FUTEX_TID_MASK) === t.tid) handOver(w, t, FUTEX_OWNER_DIED | FUTEX_WAITERS);
  }
});

function liveThread(t: Thread, tid: number): Thread | undefined {
  for (const x of t.process.threads) if (x.tid === tid && !x.killed) return x;
  return undefined;
}

/**
 * Mark the word of a held lock as having waiters (atomic against its owner's user-space unlock on
 * another vCPU); returns the owner, or throws as Linux would for a word that names `self` or no live
 * thread. A free word returns undefined without a change.
 */
function markWaited(t: Thread, w: PiWord, self: number): Thread | undefined {
  for (;;) {
    const v = Atomics.load(w.i32, 0) >>> 0;
    const owner = v & FUTEX_TID_MASK;
    if (owner === 0) return undefined;
    if (owner === self) throw sysErr(Errno.DEADLK);
    const holder = liveThread(t, owner);
    if (!holder) throw sysErr(Errno.SRCH);
    if ((v & FUTEX_WAITERS) !== 0 || Atomics.compareExchange(w.i32, 0, v | 0, (v | FUTEX_WAITERS) | 0) >>> 0 === v) return holder;
  }
}

/** Whether the lock `w` was handed to `t` (an unlock, an owner's end or a requeue wrote its tid). */
function owns(t: Thread, w: PiWord): boolean {
  return (Atomics.load(w.i32, 0) & FUTEX_TID_MASK) === t.tid;
}

export function lockPi(t: Thread, m: GuestMemory, key: object, addr: number, deadline: number | undefined, trylock: boolean): number | Promise<number> {
  const w = piWord(m, key, addr);
  const ft = futexTable(key);
  const queue = lockQueue(addr);
  for (;;) {
    const v = Atomics.load(w.i32, 0) >>> 0;
    if ((v & FUTEX_TID_MASK) === 0) {
      // Free (stale flags aside): take it, telling later unlockers about waiters still queued.
      const waiters = ft.waiting(queue) > 0;
      const nv = t.tid | (v & FUTEX_OWNER_DIED) | (waiters ? FUTEX_WAITERS : 0);
      if (Atomics.compareExchange(w.i32, 0, v | 0, nv | 0) >>> 0 !== v) continue;
      if (waiters) hold(t, w);
      return 0;
    }
    if (trylock) {
      const owner = v & FUTEX_TID_MASK;
      if (owner === t.tid) throw sysErr(Errno.DEADLK);
      throw sysErr(liveThread(t, owner) ? Errno.AGAIN : Errno.SRCH);
    }
    const holder = markWaited(t, w, t.tid);
    if (!holder) continue; // freed meanwhile
    hold(holder, w); // it must pass the word on if it ends
    const parked = ft.park(queue, t, deadline);
    piWaitsFor.set(t, w);
    reboost(holder);
    return parked.then((why) => {
      if (why === "woken" && owns(t, w)) return 0;
      // Not handed the lock: the owner no longer inherits through this waiter.
      if (piWaitsFor.get(t) === w) piWaitsFor.delete(t);
      reboost(liveThread(t, Atomics.load(w.i32, 0) & FUTEX_TID_MASK));
      if (why === "woken") return lockPi(t, m, key, addr, deadline, false);
      if (why === "timeout") throw sysErr(Errno.TIMEDOUT); // FUTEX_WAITERS stays set, as Linux leaves it
      throw ERESTARTNOINTR; // Linux restarts a PI lock after the handlers, SA_RESTART or not
    });
  }
}

export function unlockPi(t: Thread, m: GuestMemory, key: object, addr: number): number | Promise<number> {
  const w = piWord(m, key, addr);
  if (!owns(t, w)) throw sysErr(Errno.PERM);
  if (!handOver(w, t, 0)) Atomics.store(w.i32, 0, 0);
  // Handed to a higher priority than the caller's, which inherits nothing through it any more.
  return t.yieldAtReturn(0);
}

/** A FUTEX_WAIT_REQUEUE_PI wait: the PI word it names, and whether a requeue moved it there. */
interface RequeuePiWait {
  readonly target: number;
  moved: boolean;
}
const requeuePiWaits = new WeakMap<Thread, RequeuePiWait>();

/** Requeue-PI waiters parked on `addr` (FUTEX_WAKE refuses to wake them, as Linux). */
export function requeuePiWaiting(key: object, addr: number): number {
  return futexTable(key).waiting(requeuePiQueue(addr));
}

/** FUTEX_WAIT_REQUEUE_PI on `addr` (its value already checked), to be moved onto `target`. */
export function waitRequeuePi(t: Thread, m: GuestMemory, key: object, addr: number, target: number, deadline: number | undefined): Promise<number> {
  const w = piWord(m, key, target);
  const wait: RequeuePiWait = { target, moved: false };
  requeuePiWaits.set(t, wait);
  return futexTable(key).park(requeuePiQueue(addr), t, deadline).then((why) => {
    requeuePiWaits.delete(t);
    if (why === "woken" && owns(t, w)) return 0;
    if (wait.moved) {
      // Moved onto the PI word and not handed it: its owner no longer inherits through it.
      piWaitsFor.delete(t);
      reboost(liveThread(t, Atomics.load(w.i32, 0) & FUTEX_TID_MASK));
    }
    if (why === "woken") return lockPi(t, m, key, target, deadline, false);
    if (why === "timeout") throw sysErr(Errno.TIMEDOUT);
    if (wait.moved) throw sysErr(Errno.AGAIN);
    throw ERESTARTNOINTR;
  });
}

/**
 * FUTEX_CMP_REQUEUE_PI from `addr` (its value already compared) onto the PI word `target`: the
 * oldest waiter gets the word if it is free (and is woken), and up to `nMove` more, or `nMove` + 1
 * when the word was held, wait for it. Returns how many were woken or moved, as Linux.
 */
export function cmpRequeuePi(t: Thread, m: GuestMemory, key: object, addr: number, target: number, nMove: number): number {
  const ft = futexTable(key);
  const from = requeuePiQueue(addr);
  // A FUTEX_WAIT waiter on the condition word cannot go to a PI word (Linux: EINVAL).
  if (ft.waiting(addr) > 0) throw sysErr(Errno.INVAL);
  const top = ft.firstWaiter(from) as Thread | undefined;
  if (top === undefined) return 0;
  if (requeuePiWaits.get(top)?.target !== target) throw sysErr(Errno.INVAL);
  try {
    m.check(target, 4, 4);
  } catch {
    throw sysErr(Errno.FAULT);
  }
  const w = piWord(m, key, target);
  let count = 0;
  let holder: Thread | undefined;
  for (;;) {
    const v = Atomics.load(w.i32, 0) >>> 0;
    if ((v & FUTEX_TID_MASK) !== 0) {
      holder = markWaited(t, w, top.tid);
      if (holder) break;
      continue; // freed meanwhile
    }
    // Free: the oldest waiter takes it (Linux marks waiters when more may be moved).
    const nv = top.tid | (v & FUTEX_OWNER_DIED) | (nMove > 0 ? FUTEX_WAITERS : 0);
    if (Atomics.compareExchange(w.i32, 0, v | 0, nv | 0) >>> 0 !== v) continue;
    ft.wake(from, 1);
    t.wokeUp(ft.takeFirstWoken());
    holder = top;
    count = 1;
    break;
  }
  let mismatch = false;
  const moved = ft.requeueWhile(from, lockQueue(target), nMove + 1 - count, (owner) => {
    const wait = requeuePiWaits.get(owner as Thread);
    if (wait?.target !== target) {
      mismatch = true;
      return false;
    }
    wait.moved = true;
    piWaitsFor.set(owner as Thread, w);
    return true;
  });
  if (moved > 0) {
    hold(holder, w);
    reboost(holder);
  }
  if (mismatch) throw sysErr(Errno.INVAL);
  return count + moved;
}
