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
 */
import { FileBase } from "../fs/file-base.ts";
import { FileType, Ready, type OpenFile } from "../fs/types.ts";
import { EAGAIN_ERROR, EINTR_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { WaitQueue, type Interruptible } from "../sched/wait-queue.ts";
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
  unwatch: (() => void) | undefined;
}

export class EpollFile extends FileBase {
  readonly isEpoll = true;
  readonly waitQueue = new WaitQueue();
  private readonly interests = new Map<number, Interest>();
  private readonly ready = new Set<Interest>();

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
        const created: Interest = { fd, file, events: ev!.events >>> 0, data: ev!.data, disabled: false, unwatch: undefined };
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
    this.ready.delete(it);
  }

  private arm(it: Interest): void {
    this.ready.add(it);
    if (this.revents(it) !== 0) this.waitQueue.notifyAll();
  }

  private onNotify(it: Interest): void {
    if (it.disabled) return;
    this.ready.add(it);
    if (this.waitQueue.size > 0) this.waitQueue.notifyAll();
  }

  private revents(it: Interest): number {
    if (it.disabled) return 0;
    return it.file.poll() & ((it.events & EVENT_MASK) | Ready.ERR | Ready.HUP);
  }

  /** epoll_wait without waiting: up to maxEvents ready events, EAGAIN_ERROR when none. */
  wait(maxEvents: number): EpollEvent[] {
    if (maxEvents <= 0) throw sysErr(Errno.INVAL);
    const out: EpollEvent[] = [];
    if (this.ready.size === 0) throw EAGAIN_ERROR;
    for (const it of [...this.ready]) {
      if (out.length >= maxEvents) break;
      const r = this.revents(it);
      this.ready.delete(it);
      if (r === 0) continue;
      out.push({ events: r, data: it.data });
      if ((it.events & Epoll.ONESHOT) !== 0) it.disabled = true;
      else if ((it.events & Epoll.ET) === 0) this.ready.add(it); // level-triggered: stays, at the back
    }
    if (out.length === 0) throw EAGAIN_ERROR;
    return out;
  }

  /** Readable when some interest is ready (an epoll inside poll or another epoll). */
  override poll(): number {
    for (const it of this.ready) if (this.revents(it) !== 0) return Ready.IN;
    return 0;
  }

  override release(): void {
    for (const it of this.interests.values()) it.unwatch?.();
    this.interests.clear();
    this.ready.clear();
  }
}

/** epoll_create1. */
export function createEpoll(flags = 0): EpollFile {
  return new EpollFile(flags);
}

/**
 * epoll_wait with a timeout (ms; < 0 = none, 0 = never wait), suspending on the epoll's queue.
 * Returns [] on timeout; throws EINTR_ERROR when interrupted.
 */
export function epollWait(ep: EpollFile, maxEvents: number, timeoutMs: number, intr?: Interruptible): EpollEvent[] | Promise<EpollEvent[]> {
  try {
    return ep.wait(maxEvents);
  } catch (e) {
    if (e !== EAGAIN_ERROR || timeoutMs === 0) {
      if (e === EAGAIN_ERROR) return [];
      throw e;
    }
  }
  return epollWaitSlow(ep, maxEvents, timeoutMs < 0 ? undefined : performance.now() + timeoutMs, intr);
}

async function epollWaitSlow(ep: EpollFile, maxEvents: number, deadlineMs: number | undefined, intr: Interruptible | undefined): Promise<EpollEvent[]> {
  for (;;) {
    const reason = await ep.waitQueue.wait({ ...(deadlineMs !== undefined ? { deadlineMs } : {}), ...(intr ? { intr } : {}) });
    if (reason === "interrupted") throw EINTR_ERROR;
    try {
      return ep.wait(maxEvents);
    } catch (e) {
      if (e !== EAGAIN_ERROR) throw e;
      if (reason === "timeout") return [];
    }
  }
}
