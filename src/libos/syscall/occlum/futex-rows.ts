/**
 * The `occlum` module's Linux futex, for sdk/libc/syscall.c's `syscall(SYS_futex, ...)`: the call
 * code ported from Linux makes directly (lock-free libraries, hand-written locks and events), on
 * the kernel's futex table, which the WASIX futex calls and the loader's rewritten
 * memory.atomic.wait/notify share. WASIX has futex_wait, futex_wake (one) and futex_wake_all only.
 *
 * futex(uaddr, op, val, deadline, val2, uaddr2, val3) -> count, with Linux's operation numbers:
 * - FUTEX_WAIT 0 and FUTEX_WAIT_BITSET 9: the libc turns WAIT's relative timeout, or WAIT_BITSET's
 *   absolute one (CLOCK_MONOTONIC, or CLOCK_REALTIME with FUTEX_CLOCK_REALTIME), into a
 *   CLOCK_MONOTONIC deadline in ns, so a restart after a handler with SA_RESTART keeps its end;
 * - FUTEX_WAKE 1 and FUTEX_WAKE_BITSET 10 (val3: the mask; a plain WAIT or WAKE has every bit);
 * - FUTEX_REQUEUE 3, FUTEX_CMP_REQUEUE 4: the count is woken + moved, as the kernel returns it;
 * - FUTEX_WAKE_OP 5: an atomic update of *uaddr2, a wake on uaddr, a wake on uaddr2 if the old
 *   value passes the comparison;
 * - FUTEX_LOCK_PI 6 (absolute CLOCK_REALTIME deadline), LOCK_PI2 13, TRYLOCK_PI 8, UNLOCK_PI 7,
 *   FUTEX_WAIT_REQUEUE_PI 11 (absolute deadline as WAIT_BITSET's) and FUTEX_CMP_REQUEUE_PI 12:
 *   futex-pi.ts.
 * FUTEX_PRIVATE_FLAG (128) changes only where an unmapped word faults (no memory is shared between
 * processes here).
 * Checks and errors are Linux's (kernel/futex/): EINVAL for an unaligned word or a negative count,
 * EFAULT for a word outside memory (`word`), EAGAIN when the word is not `val` (WAIT) or `val3`
 * (CMP_REQUEUE), ETIMEDOUT, EINTR when a handler without SA_RESTART ran (with it the wait goes
 * on); a wake of 0 wakes one waiter, as Linux's does.
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { Errno, sysErr } from "../errno.ts";
import { ERESTARTSYS } from "../blocking.ts";
import type { Thread } from "../../process/thread.ts";
import type { GuestMemory } from "../memory.ts";
import { futexTable } from "../../sched/futex.ts";
import { wakeFrom } from "../../process/futex-wake.ts";
import { cmpRequeuePi, lockPi, requeuePiWaiting, unlockPi, waitRequeuePi } from "./futex-pi.ts";

export const FutexOp = {
  WAIT: 0, WAKE: 1, REQUEUE: 3, CMP_REQUEUE: 4, WAKE_OP: 5, LOCK_PI: 6, UNLOCK_PI: 7, TRYLOCK_PI: 8, WAIT_BITSET: 9,
  WAKE_BITSET: 10, WAIT_REQUEUE_PI: 11, CMP_REQUEUE_PI: 12, LOCK_PI2: 13,
} as const;
/** FUTEX_WAKE_OP's operations on *uaddr2 (FUTEX_OP_OPARG_SHIFT: the argument is 1 << oparg) and its comparisons of the old value. */
const OPARG_SHIFT = 8;
const WakeOpOp = { SET: 0, ADD: 1, OR: 2, ANDN: 3, XOR: 4 } as const;
const WakeOpCmp = { EQ: 0, NE: 1, LT: 2, LE: 3, GT: 4, GE: 5 } as const;
const PRIVATE_FLAG = 128;
const CLOCK_REALTIME_FLAG = 256;
const CMD_MASK = ~(PRIVATE_FLAG | CLOCK_REALTIME_FLAG);
/** deadline's "no timeout". */
export const NO_DEADLINE = (1n << 64n) - 1n;

/**
 * The futex word at `addr`: EINVAL unless aligned; EFAULT outside memory when it is `touched`
 * (read or written, or a shared futex's key, which Linux takes from the page: a private
 * futex's is the address alone, so a wake or a requeue target there finds nobody, as Linux).
 */
function word(t: Thread, addr: number, touched: boolean): { m: GuestMemory; key: object } {
  if (addr % 4 !== 0) throw sysErr(Errno.INVAL);
  const m = t.process.memory as GuestMemory | undefined;
  if (!m) throw sysErr(Errno.FAULT);
  if (touched) {
    try {
      m.check(addr, 4, 4);
    } catch {
      throw sysErr(Errno.FAULT); // Linux's futex reports an unmapped word, it does not fault
    }
  }
  return { m, key: m.memory };
}

/**
 * A wake or requeue that `reached` past the word's FUTEX_WAIT waiters fails if FUTEX_WAIT_REQUEUE_PI
 * waiters are there: Linux pairs those with FUTEX_CMP_REQUEUE_PI only (EINVAL).
 */
function refuseRequeuePiWaiter(key: object, addr: number, reached: boolean): void {
  if (reached && requeuePiWaiting(key, addr) > 0) throw sysErr(Errno.INVAL);
}

/** A count argument: Linux takes it as an int. */
function count(v: number): number {
  return v | 0;
}

function occlum_futex(t: Thread, addr: number, op: number, val: number, deadlineNs: bigint, val2: number, addr2: number, val3: number): number | Promise<number> {
  const cmd = op & CMD_MASK;
  const shared = (op & PRIVATE_FLAG) === 0;
  // FUTEX_CLOCK_REALTIME is for the wait operations only (Linux: ENOSYS with any other).
  if ((op & CLOCK_REALTIME_FLAG) !== 0 && cmd !== FutexOp.WAIT && cmd !== FutexOp.WAIT_BITSET && cmd !== FutexOp.WAIT_REQUEUE_PI && cmd !== FutexOp.LOCK_PI2) throw sysErr(Errno.NOSYS);
  switch (cmd) {
    case FutexOp.WAIT:
    case FutexOp.WAIT_BITSET: {
      const bits = cmd === FutexOp.WAIT ? -1 : val3 | 0;
      if (bits === 0) throw sysErr(Errno.INVAL);
      const { m, key } = word(t, addr, true);
      if (m.dv.getUint32(addr, true) !== val >>> 0) throw sysErr(Errno.AGAIN);
      // A pending cancellation ends the wait as a spurious wake-up (Thread.armCancelWake).
      if (t.takeCancelWake()) return 0;
      const deadline = deadlineNs === NO_DEADLINE ? undefined : Number(deadlineNs) / 1e6;
      const ft = futexTable(key);
      const again = t.futexWait(addr);
      const p = bits === -1 ? ft.park(addr, t, deadline, again) : ft.parkBits(addr, t, deadline, bits, again);
      return p.then((why) => {
        if (why === "woken") return 0;
        if (why === "timeout") throw sysErr(Errno.TIMEDOUT);
        throw ERESTARTSYS;
      });
    }
    case FutexOp.WAKE:
    case FutexOp.WAKE_BITSET: {
      const bits = cmd === FutexOp.WAKE ? -1 : val3 | 0;
      if (bits === 0) throw sysErr(Errno.INVAL);
      const { key } = word(t, addr, shared);
      const ft = futexTable(key);
      // Linux wakes one waiter for a count of 0 or less (its loop tests the count after a wake).
      const nWake = Math.max(1, count(val));
      let n: number;
      if (bits === -1) n = wakeFrom(t, ft, addr, nWake);
      else if ((n = ft.wakeBits(addr, nWake, bits)) > 0) t.wokeUp(ft.takeFirstWoken());
      refuseRequeuePiWaiter(key, addr, n < nWake);
      return n;
    }
    case FutexOp.REQUEUE:
    case FutexOp.CMP_REQUEUE: {
      const nWake = count(val), nMove = count(val2);
      if (nWake < 0 || nMove < 0) throw sysErr(Errno.INVAL);
      const { m, key } = word(t, addr, shared || cmd === FutexOp.CMP_REQUEUE);
      word(t, addr2, shared);
      if (cmd === FutexOp.CMP_REQUEUE && m.dv.getUint32(addr, true) !== val3 >>> 0) throw sysErr(Errno.AGAIN);
      const ft = futexTable(key);
      const n = ft.requeue(addr, addr2, nWake, nMove);
      if (nWake > 0 && n > 0) t.wokeUp(ft.takeFirstWoken());
      refuseRequeuePiWaiter(key, addr, n < nWake + nMove);
      return n;
    }
    case FutexOp.WAKE_OP: {
      const nWake = count(val), nWake2 = count(val2);
      const { m, key } = word(t, addr, shared);
      word(t, addr2, true);
      const old = wakeOpUpdate(m, addr2, val3);
      // As Linux: the update is made before an unknown comparison fails.
      if (((val3 >>> 24) & 0xf) > WakeOpCmp.GE) throw sysErr(Errno.NOSYS);
      const ft = futexTable(key);
      let n = ft.wake(addr, Math.max(1, nWake));
      const first = ft.takeFirstWoken();
      refuseRequeuePiWaiter(key, addr, n < Math.max(1, nWake));
      if (wakeOpTest(val3, old)) {
        const n2 = ft.wake(addr2, Math.max(1, nWake2));
        n += n2;
        refuseRequeuePiWaiter(key, addr2, n2 < Math.max(1, nWake2));
      }
      const any = first ?? ft.takeFirstWoken();
      if (n > 0) t.wokeUp(any);
      return n;
    }
    case FutexOp.WAIT_REQUEUE_PI: {
      if (addr === addr2) throw sysErr(Errno.INVAL);
      word(t, addr2, shared);
      const { m, key } = word(t, addr, true);
      if (m.dv.getUint32(addr, true) !== val >>> 0) throw sysErr(Errno.AGAIN);
      const deadline = deadlineNs === NO_DEADLINE ? undefined : Number(deadlineNs) / 1e6;
      return waitRequeuePi(t, m, key, addr, addr2, deadline);
    }
    case FutexOp.CMP_REQUEUE_PI: {
      const nWake = count(val), nMove = count(val2);
      if (nWake < 0 || nMove < 0 || addr === addr2 || nWake !== 1) throw sysErr(Errno.INVAL);
      const { m, key } = word(t, addr, true);
      word(t, addr2, shared);
      if (m.dv.getUint32(addr, true) !== val3 >>> 0) throw sysErr(Errno.AGAIN);
      return cmpRequeuePi(t, m, key, addr, addr2, nMove);
    }
    case FutexOp.LOCK_PI:
    case FutexOp.LOCK_PI2:
    case FutexOp.TRYLOCK_PI: {
      const { m, key } = word(t, addr, true);
      const deadline = deadlineNs === NO_DEADLINE ? undefined : Number(deadlineNs) / 1e6;
      return lockPi(t, m, key, addr, deadline, cmd === FutexOp.TRYLOCK_PI);
    }
    case FutexOp.UNLOCK_PI: {
      const { m, key } = word(t, addr, true);
      return unlockPi(t, m, key, addr);
    }
    default:
      throw sysErr(Errno.NOSYS);
  }
}

/**
 * FUTEX_WAKE_OP's update of *uaddr2, atomic against threads on other vCPUs (the word is in the
 * shared memory); returns the old value. val3 = op << 28 | cmp << 24 | oparg << 12 | cmparg,
 * oparg and cmparg 12-bit signed, as Linux decodes it.
 */
function wakeOpUpdate(m: GuestMemory, addr: number, encoded: number): number {
  let op = (encoded >>> 28) & 0xf;
  let oparg = (encoded << 8) >> 20;
  if (op & OPARG_SHIFT) {
    op &= ~OPARG_SHIFT;
    oparg = 1 << (oparg & 31); // Linux masks a shift out of 0-31 (and warns)
  }
  if (op > WakeOpOp.XOR) throw sysErr(Errno.NOSYS);
  const i32 = new Int32Array(m.memory.buffer, addr, 1);
  for (;;) {
    const old = Atomics.load(i32, 0);
    const v = op === WakeOpOp.SET ? oparg : op === WakeOpOp.ADD ? old + oparg : op === WakeOpOp.OR ? old | oparg : op === WakeOpOp.ANDN ? old & ~oparg : old ^ oparg;
    if (Atomics.compareExchange(i32, 0, old, v | 0) === old) return old;
  }
}

function wakeOpTest(encoded: number, old: number): boolean {
  const cmparg = (encoded << 20) >> 20;
  switch ((encoded >>> 24) & 0xf) {
    case WakeOpCmp.EQ: return old === cmparg;
    case WakeOpCmp.NE: return old !== cmparg;
    case WakeOpCmp.LT: return old < cmparg;
    case WakeOpCmp.LE: return old <= cmparg;
    case WakeOpCmp.GT: return old > cmparg;
    default: return old >= cmparg;
  }
}

export const occlumFutexRows: readonly SyscallRow[] = [
  row("futex", [A.u32, A.u32, A.u32, A.u64, A.u32, A.u32, A.u32], R.size, occlum_futex, {
    blocking: true,
    note: "Linux futex(2) for syscall(SYS_futex): WAIT 0, WAKE 1, REQUEUE 3, CMP_REQUEUE 4, WAKE_OP 5, LOCK_PI 6, UNLOCK_PI 7, TRYLOCK_PI 8, WAIT_BITSET 9, WAKE_BITSET 10 (val3: mask), WAIT_REQUEUE_PI 11, CMP_REQUEUE_PI 12, LOCK_PI2 13; deadline: CLOCK_MONOTONIC ns, ~0 = none; PRIVATE_FLAG accepted; others ENOSYS; on the table WASIX futexes and rewritten atomic waits use",
  }),
];
