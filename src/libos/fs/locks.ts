/**
 * Advisory file locks, as Linux keeps them (fs/locks.c): POSIX record locks (fcntl F_SETLK,
 * F_SETLKW, F_GETLK), open file description locks (F_OFD_*) and flock(). One table for the whole
 * LibOS, keyed by the file's (dev, ino): every process and every description of a file meet there.
 *
 * - Record locks (POSIX and OFD) cover byte ranges [start, end) of 64-bit offsets, `end` = END_INF
 *   (OFF_MAX + 1) for "to the end of the file and beyond", as Linux's OFFSET_MAX. A POSIX lock belongs to a process; an OFD lock to an open file
 *   description. Two record locks conflict when their owners differ, their ranges overlap and one
 *   is a write lock, so a process's POSIX locks never conflict with each other, but its OFD and
 *   POSIX locks do (Linux). Setting a lock replaces the owner's locks on the range (split,
 *   upgrade, downgrade) and merges with its adjacent locks of the same type, so F_GETLK reports
 *   what Linux reports.
 * - flock() locks are whole-file, belong to a description, and live apart: they never conflict
 *   with record locks (Linux). A conversion drops the old lock before it waits for the new one.
 * - Release: a process's POSIX locks on a file go when it closes any fd of that file (POSIX) and
 *   at its exit (its fds close); OFD and flock locks when their description's last fd closes.
 * - Waits (F_SETLKW, blocking flock) park on the file's queue until a lock on it is released or
 *   changed, then retry. A POSIX waiter whose wait would close a cycle (A waits for B, which waits
 *   for A) gets EDEADLK, found as Linux does: following each blocked owner's first blocker, up to
 *   MAX_DEADLK_DEPTH steps.
 */
import { WaitQueue, type Interruptible, type WakeReason } from "../sched/wait-queue.ts";
import type { Stat } from "./types.ts";

export const LockType = { RD: 0, WR: 1, UN: 2 } as const;
/** The exclusive end of a lock that runs to the end of the file and beyond (OFF_MAX + 1). */
export const END_INF = 1n << 63n;
export type LockKind = "posix" | "ofd";
/** Who owns a lock: a process (POSIX locks) or an open file description (OFD and flock). */
export type LockOwner = object;

export interface RecordLock {
  readonly owner: LockOwner;
  readonly kind: LockKind;
  type: number; // LockType.RD or WR
  start: bigint;
  end: bigint; // exclusive; END_INF: to the end of the file and beyond
  /** The pid F_GETLK reports: the owning process's for POSIX locks, -1 for OFD locks. */
  readonly pid: number;
}

export interface LockRequest {
  owner: LockOwner;
  kind: LockKind;
  type: number;
  start: bigint;
  end: bigint;
  pid: number;
}

/** Result of a failed attempt: who is in the way. */
export type Blocked = { blocker: RecordLock } | undefined;

const MAX_DEADLK_DEPTH = 10;

class LockedFile {
  readonly records: RecordLock[] = [];
  /** flock() locks: description -> exclusive? */
  readonly flocks = new Map<LockOwner, boolean>();
  readonly queue = new WaitQueue();

  get empty(): boolean {
    return this.records.length === 0 && this.flocks.size === 0 && this.queue.size === 0;
  }
}

const files = new Map<string, LockedFile>();
/** POSIX owners blocked in F_SETLKW, and on what (deadlock detection). */
const blockedOn = new Map<LockOwner, { file: LockedFile; req: LockRequest }>();
/** The files each process holds POSIX locks on: a close by a process holding none costs nothing. */
const posixHeld = new Map<LockOwner, Set<string>>();
/** Table keys of descriptions already asked (a stat per description, not per call). */
const keys = new WeakMap<object, string>();

type Maybe<T> = T | Promise<T>;

/** The table key of a description's file: its (dev, ino). */
export function lockKey(file: { stat(): Maybe<Stat> }): Maybe<string> {
  const k = keys.get(file);
  if (k !== undefined) return k;
  const st = file.stat();
  const key = (s: Stat): string => {
    const v = `${s.dev}:${s.ino}`;
    keys.set(file, v);
    return v;
  };
  return st instanceof Promise ? st.then(key) : key(st);
}

/**
 * A process dropped one of its fds on `file` (close, dup2 over it, exit): its POSIX locks on that
 * file go, whichever of its descriptions set them (POSIX close semantics).
 */
export function releaseOnClose(owner: LockOwner, file: { stat(): Maybe<Stat> }): Maybe<void> {
  const held = posixHeld.get(owner);
  if (held === undefined) return;
  let key: Maybe<string>;
  try {
    key = lockKey(file);
  } catch {
    return; // a description without a file to stat holds no locks
  }
  const drop = (k: string): void => {
    if (held.has(k)) releaseRecordLocks(k, owner, "posix");
  };
  if (key instanceof Promise) return key.then(drop, () => undefined);
  drop(key);
}

function notePosix(key: string, f: LockedFile, owner: LockOwner): void {
  const has = f.records.some((l) => l.owner === owner && l.kind === "posix");
  let held = posixHeld.get(owner);
  if (has) {
    if (held === undefined) posixHeld.set(owner, (held = new Set()));
    held.add(key);
  } else if (held !== undefined) {
    held.delete(key);
    if (held.size === 0) posixHeld.delete(owner);
  }
}

function fileFor(key: string): LockedFile {
  let f = files.get(key);
  if (!f) files.set(key, (f = new LockedFile()));
  return f;
}

function forget(key: string, f: LockedFile): void {
  if (f.empty) files.delete(key);
}

function overlaps(a: { start: bigint; end: bigint }, b: { start: bigint; end: bigint }): boolean {
  return a.start < b.end && b.start < a.end;
}

function conflicts(l: RecordLock, req: LockRequest): boolean {
  return l.owner !== req.owner && overlaps(l, req) && (l.type === LockType.WR || req.type === LockType.WR);
}

function firstConflict(f: LockedFile, req: LockRequest): RecordLock | undefined {
  for (const l of f.records) if (conflicts(l, req)) return l;
  return undefined;
}

/** F_GETLK / F_OFD_GETLK: the first lock that would keep `req` from being set, if any. */
export function testLock(key: string, req: LockRequest): RecordLock | undefined {
  const f = files.get(key);
  return f === undefined ? undefined : firstConflict(f, req);
}

/**
 * Set (or with LockType.UN remove) the owner's lock on [start, end) if nothing conflicts; returns
 * the conflicting lock otherwise, changing nothing.
 */
export function trySetLock(key: string, req: LockRequest): RecordLock | undefined {
  const f = req.type === LockType.UN ? files.get(key) : fileFor(key);
  if (f === undefined) return undefined;
  if (req.type !== LockType.UN) {
    const c = firstConflict(f, req);
    if (c) return c;
  }
  replaceRange(f, req);
  if (req.kind === "posix") notePosix(key, f, req.owner);
  f.queue.notifyAll();
  forget(key, f);
  return undefined;
}

/** Would blocking `req` behind `blocker` close a cycle of waiting POSIX owners? */
export function wouldDeadlock(req: LockRequest, blocker: RecordLock): boolean {
  if (req.kind !== "posix") return false;
  let cur: RecordLock | undefined = blocker;
  for (let depth = 0; cur !== undefined && depth < MAX_DEADLK_DEPTH; depth++) {
    if (cur.kind !== "posix") return false;
    if (cur.owner === req.owner) return true;
    const w = blockedOn.get(cur.owner);
    if (w === undefined) return false;
    cur = firstConflict(w.file, w.req);
  }
  return false;
}

/**
 * Park until some lock of the file changes (then the caller retries), a timeout or `intr`.
 * A POSIX owner is recorded as blocked on `req` meanwhile (wouldDeadlock).
 */
export function waitForLocks(key: string, req: LockRequest, intr: Interruptible): Promise<WakeReason> {
  const f = fileFor(key);
  if (req.kind === "posix") blockedOn.set(req.owner, { file: f, req });
  return f.queue.wait({ intr }).then((r) => {
    if (blockedOn.get(req.owner)?.req === req) blockedOn.delete(req.owner);
    forget(key, f);
    return r;
  });
}

/** The owner's locks on [start, end) become `req.type` (or go, with UN); merges its neighbours. */
function replaceRange(f: LockedFile, req: LockRequest): void {
  const kept: RecordLock[] = [];
  for (const l of f.records) {
    if (l.owner !== req.owner || l.kind !== req.kind || !overlaps(l, req)) {
      kept.push(l);
      continue;
    }
    // The parts of l outside the range stay as they were.
    if (l.start < req.start) kept.push({ ...l, end: req.start });
    if (l.end > req.end) kept.push({ ...l, start: req.end });
  }
  if (req.type !== LockType.UN) {
    const mine: RecordLock = { owner: req.owner, kind: req.kind, type: req.type, start: req.start, end: req.end, pid: req.pid };
    // Merge with the owner's adjacent locks of the same type (Linux coalesces them).
    for (let i = kept.length - 1; i >= 0; i--) {
      const l = kept[i]!;
      if (l.owner !== req.owner || l.kind !== req.kind || l.type !== req.type) continue;
      if (l.end === mine.start || l.start === mine.end) {
        if (l.start < mine.start) mine.start = l.start;
        if (l.end > mine.end) mine.end = l.end;
        kept.splice(i, 1);
      }
    }
    kept.push(mine);
  }
  kept.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  f.records.length = 0;
  f.records.push(...kept);
}

/** Drop every record lock of `owner` (and of `kind`) on the file: a close by a process, a last close. */
export function releaseRecordLocks(key: string, owner: LockOwner, kind: LockKind): void {
  const f = files.get(key);
  if (f === undefined) return;
  const before = f.records.length;
  for (let i = f.records.length - 1; i >= 0; i--) {
    const l = f.records[i]!;
    if (l.owner === owner && l.kind === kind) f.records.splice(i, 1);
  }
  if (f.records.length !== before) f.queue.notifyAll();
  if (kind === "posix") notePosix(key, f, owner);
  forget(key, f);
}

/**
 * flock(): take (or convert to) a shared or exclusive lock for the description; false if another
 * description holds a conflicting one. As Linux, a conversion first drops the lock held, so a
 * conversion that fails (or waits) has lost it.
 */
export function tryFlock(key: string, owner: LockOwner, exclusive: boolean): boolean {
  const f = fileFor(key);
  const had = f.flocks.get(owner);
  if (had === exclusive) return true;
  if (had !== undefined) {
    f.flocks.delete(owner);
    f.queue.notifyAll();
  }
  for (const [o, ex] of f.flocks) {
    if (o !== owner && (ex || exclusive)) {
      forget(key, f);
      return false;
    }
  }
  f.flocks.set(owner, exclusive);
  return true;
}

/** flock(LOCK_UN), and a conversion's first step. */
export function unflock(key: string, owner: LockOwner): void {
  const f = files.get(key);
  if (f === undefined) return;
  if (f.flocks.delete(owner)) f.queue.notifyAll();
  forget(key, f);
}

/** Park until a flock or record lock of the file changes. */
export function waitForFlock(key: string, intr: Interruptible): Promise<WakeReason> {
  const f = fileFor(key);
  return f.queue.wait({ intr }).then((r) => {
    forget(key, f);
    return r;
  });
}

/** Locks held on the file (tests). */
export function locksOf(key: string): { records: readonly RecordLock[]; flocks: number } {
  const f = files.get(key);
  return { records: f?.records ?? [], flocks: f?.flocks.size ?? 0 };
}
