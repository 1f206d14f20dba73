/**
 * timerfd(2): a timer behind a file descriptor, which event loops wait on with poll/epoll instead
 * of a signal. Linux's semantics (fs/timerfd.c, as timerfd_create(2) documents them):
 *   settime  arm (it_value > 0; TFD_TIMER_ABSTIME: an absolute time on the timer's clock) once or
 *            every it_interval, or disarm (0); the expirations not yet read are dropped; returns the
 *            old setting
 *   gettime  the time to the next expiry (0: disarmed) and the period
 *   read     8 bytes or more asked (else EINVAL): the expirations since the last read (a late host
 *            timer counts the periods it missed), which become 0; EAGAIN while there are none
 *   write    EINVAL (timerfd has no write)
 *   poll     readable while expirations wait to be read
 * Blocking reads are the kernel's (EAGAIN here, the wait on `waitQueue`, notified at each expiry),
 * so poll, select and epoll see it like a pipe. CLOCK_REALTIME, CLOCK_MONOTONIC and CLOCK_BOOTTIME
 * (and their _ALARM forms, which need a privilege every process here has): deadlines are kept on
 * the monotonic clock (an absolute CLOCK_REALTIME time is converted when set) and fire from host
 * timers, at ms resolution. Closing the last descriptor stops the timer.
 */
import { EAGAIN_ERROR, Errno, sysErr } from "../syscall/errno.ts";
import { FileBase } from "../fs/file-base.ts";
import { scatter } from "../fs/vfs/seekable.ts";
import { FileType, Ready, type Stat } from "../fs/types.ts";
import { WaitQueue } from "../sched/wait-queue.ts";
import { monotonicNs, realtimeNs } from "../sched/clock.ts";

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;
const CLOCK_BOOTTIME = 7;
const CLOCK_REALTIME_ALARM = 8;
const CLOCK_BOOTTIME_ALARM = 9;
const CLOCKS = new Set([CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM]);
/** timerfd_settime's flags: TFD_TIMER_ABSTIME and TFD_TIMER_CANCEL_ON_SET (accepted; the wall clock is never set here). */
export const TFD_TIMER_ABSTIME = 1;
const TFD_TIMER_CANCEL_ON_SET = 2;
const WIDTH = 8;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TimerFdSetting {
  valueNs: bigint;
  intervalNs: bigint;
}

export class TimerFd extends FileBase {
  readonly waitQueue = new WaitQueue();
  private readonly clock: number;
  /** Next expiry (monotonic ns) and period; undefined: disarmed. */
  private deadlineNs: bigint | undefined = undefined;
  private intervalNs = 0n;
  private host: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Expirations not yet read. */
  private ticks = 0n;
  private readonly word = new DataView(new ArrayBuffer(WIDTH));

  /** EINVAL for a clock timerfd does not take. */
  constructor(clock: number, flags: number) {
    if (!CLOCKS.has(clock)) throw sysErr(Errno.INVAL, "timerfd clock");
    super(FileType.UNKNOWN, { readable: true, writable: true, flags, path: "anon_inode:[timerfd]" });
    this.clock = clock;
  }

  /** timerfd_settime. */
  settime(flags: number, valueNs: bigint, intervalNs: bigint): TimerFdSetting {
    if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) !== 0) throw sysErr(Errno.INVAL, "timerfd_settime flags");
    const old = this.gettime();
    this.disarm();
    this.ticks = 0n;
    this.intervalNs = valueNs === 0n ? 0n : intervalNs;
    if (valueNs !== 0n) {
      let deadline = valueNs;
      if ((flags & TFD_TIMER_ABSTIME) === 0) deadline += monotonicNs();
      else if (this.clock === CLOCK_REALTIME || this.clock === CLOCK_REALTIME_ALARM) deadline += monotonicNs() - realtimeNs();
      this.deadlineNs = deadline;
      this.schedule();
    }
    return old;
  }

  /** timerfd_gettime. */
  gettime(): TimerFdSetting {
    if (this.deadlineNs === undefined) return { valueNs: 0n, intervalNs: this.intervalNs };
    const left = this.deadlineNs - monotonicNs();
    return { valueNs: left > 0n ? left : 1n, intervalNs: this.intervalNs };
  }

  override read(iovs: Uint8Array[]): number {
    let n = 0;
    for (const v of iovs) n += v.byteLength;
    if (n < WIDTH) throw sysErr(Errno.INVAL, "timerfd read of less than 8 bytes");
    if (this.ticks === 0n) throw EAGAIN_ERROR;
    this.word.setBigUint64(0, this.ticks, true);
    this.ticks = 0n;
    scatter(iovs, new Uint8Array(this.word.buffer));
    return WIDTH;
  }

  override write(): number {
    throw sysErr(Errno.INVAL, "timerfd has no write");
  }

  override poll(): number {
    return this.ticks > 0n ? Ready.IN : 0;
  }

  override stat(): Stat {
    return { ...(super.stat() as Stat), size: 0n };
  }

  override release(): void {
    this.disarm();
  }

  private disarm(): void {
    if (this.host !== undefined) clearTimeout(this.host);
    this.host = undefined;
    this.deadlineNs = undefined;
  }

  private schedule(): void {
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(Number(this.deadlineNs! - monotonicNs()) / 1e6)));
    // Not unref'd: a process blocked in read or epoll_wait on it waits for nothing else (closing
    // the descriptor, at the latest at the process's end, stops it).
    this.host = setTimeout(() => this.expire(), ms);
  }

  private expire(): void {
    this.host = undefined;
    if (this.deadlineNs === undefined) return;
    const now = monotonicNs();
    if (now < this.deadlineNs) return this.schedule();
    if (this.intervalNs > 0n) {
      const missed = (now - this.deadlineNs) / this.intervalNs;
      this.ticks += missed + 1n;
      this.deadlineNs += (missed + 1n) * this.intervalNs;
      this.schedule();
    } else {
      this.ticks += 1n;
      this.deadlineNs = undefined;
    }
    this.waitQueue.notifyAll();
  }
}
