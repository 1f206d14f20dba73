/**
 * A thread's futex wake, with the scheduler's say in who runs next. Every wake path goes
 * through it: WASIX futex_wake/futex_wake_all (wasix-libc's pthreads), the loader's rewritten
 * memory.atomic.notify (wasi-sdk and Rust binaries) and syscall(SYS_futex)'s FUTEX_WAKE.
 *
 * Waking one waiter, the waker decides first whether it gives way (Thread.wokeUp, Linux's wakeup
 * preemption): when it has had WAKEUP_GRAN_MS more CPU than the first waiter, the turn goes to
 * the waiter with the least CPU among the first few (Thread.neediest), not to whichever the FIFO
 * order put first; when the first waiter has been woken in vain for a while, to that one
 * (Thread.handsOverTo, Go's mutex starvation mode). Otherwise the first waiter is woken and runs
 * next, and the waker goes on.
 */
import type { FutexTable } from "../sched/futex.ts";
import type { Thread } from "./thread.ts";

/** Waiters a waker that gives way chooses among (Thread.neediest). */
const GIVE_WAY_CHOICE = 16;

/** Wake up to `n` waiters of `addr` in `ft` on behalf of `t`; returns how many were woken. */
export function wakeFrom(t: Thread, ft: FutexTable, addr: number, n: number): number {
  if (n <= 0) return 0;
  let givesWay: boolean | undefined;
  if (n === 1) {
    const head = ft.firstWaiter(addr);
    if (head === undefined) return 0;
    givesWay = t.givesWayTo(head);
    if (!givesWay) givesWay = t.handsOverTo(head);
    else {
      const needy = t.neediest(head as Thread, ft.firstOwners(addr, GIVE_WAY_CHOICE));
      if (needy !== head && ft.wakeOwner(addr, needy)) {
        t.wokeUp(ft.takeFirstWoken(), true);
        return 1;
      }
    }
  }
  const woken = ft.wake(addr, n);
  if (woken > 0) t.wokeUp(ft.takeFirstWoken(), givesWay);
  return woken;
}
