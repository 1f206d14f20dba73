/**
 * Blocking, in one place (gVisor's rule): files never wait. An operation that cannot progress
 * throws EAGAIN_ERROR; here the calling thread parks on the file's wait queue until the file's
 * readiness changes, a deadline passes (EAGAIN, as SO_RCVTIMEO) or the thread is interrupted
 * (EINTR), then retries. A NONBLOCK description gets EAGAIN at once.
 *
 * Restarts (signal(7)): an interrupted wait without a deadline throws ERESTARTSYS, an EINTR that
 * dispatch turns into a transparent restart of the call when every handler that ran had
 * SA_RESTART; a wait with a deadline (SO_RCVTIMEO/SO_SNDTIMEO) throws a plain EINTR, as Linux
 * does for sockets with timeouts. Calls Linux never restarts (poll, select, epoll_wait, sleeps,
 * sigsuspend) throw EINTR_ERROR themselves.
 *
 * The fast path stays synchronous: when the operation completes at once, no Promise is made and
 * the Suspending import returns without suspending the guest.
 */
import { EAGAIN_ERROR, EINTR_ERROR, Errno, SysError } from "./errno.ts";
import { FdFlags, Ready, type OpenFile } from "../fs/types.ts";
import type { Thread } from "../process/thread.ts";
import { executor } from "../sched/executor.ts";

type Maybe<T> = T | Promise<T>;

/** A preallocated EINTR marker, made without a stack trace (thrown on hot paths, never shown). */
function restartMarker(message: string): SysError {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new SysError(Errno.INTR, message);
  } finally {
    Error.stackTraceLimit = saved;
  }
}

/** EINTR of a call that restarts under SA_RESTART (Linux's -ERESTARTSYS). */
export const ERESTARTSYS: SysError = restartMarker("restartable");

/**
 * EINTR of a call that restarts after the handlers whatever SA_RESTART says (Linux's
 * -ERESTARTNOINTR: FUTEX_LOCK_PI).
 */
export const ERESTARTNOINTR: SysError = restartMarker("restarts");

export interface BlockingOptions {
  /** Ready bits that mean "retry now" (Ready.IN for reads, Ready.OUT for writes). */
  interest: number;
  /** A nowMs() deadline; absent = wait as long as it takes. */
  deadlineMs?: number;
}

export function blockingIo<T>(t: Thread, file: OpenFile, opts: BlockingOptions, op: () => Maybe<T>): Maybe<T> {
  return blockingCall(t, file, opts, callOp as (this: OpenFile, op: () => Maybe<T>, _: undefined) => Maybe<T>, op, undefined);
}

const callOp = function (this: OpenFile, op: () => unknown): unknown {
  return op();
};

/**
 * blockingIo of `op.call(file, a, b)`: no closure is made unless the call has to wait, for the
 * hot socket rows (a server's recv and send nearly always complete at once). `opts` may be a
 * function of the file, then asked only when the call waits (its deadline starts there).
 */
export function blockingCall<F extends OpenFile, A, B, T>(
  t: Thread, file: F, opts: BlockingOptions | ((file: F) => BlockingOptions), op: (this: F, a: A, b: B) => Maybe<T>, a: A, b: B,
): Maybe<T> {
  let r: Maybe<T>;
  try {
    r = op.call(file, a, b);
  } catch (e) {
    if (e !== EAGAIN_ERROR) throw e;
    return waitAndRetry(t, file, typeof opts === "function" ? opts(file) : opts, () => op.call(file, a, b));
  }
  if (r instanceof Promise) {
    return r.catch((e: unknown) => {
      if (e !== EAGAIN_ERROR) throw e;
      return waitAndRetry(t, file, typeof opts === "function" ? opts(file) : opts, () => op.call(file, a, b));
    });
  }
  return r;
}

async function waitAndRetry<T>(t: Thread, file: OpenFile, opts: BlockingOptions, op: () => Maybe<T>): Promise<T> {
  if ((file.flags & FdFlags.NONBLOCK) !== 0) throw EAGAIN_ERROR;
  const queue = file.waitQueue;
  if (!queue) throw EAGAIN_ERROR; // nothing would ever wake us
  const wake = opts.interest | Ready.ERR | Ready.HUP;
  const eintr = opts.deadlineMs === undefined ? ERESTARTSYS : EINTR_ERROR;
  let retried = false;
  for (;;) {
    // Re-check readiness first: the op may have failed asynchronously, after a notify we missed.
    if ((file.poll() & wake) !== 0 && retried) {
      // Ready yet still EAGAIN: a file whose poll() is optimistic. Yield instead of spinning.
      await executor.yieldNow();
      if (t.interruptPending) throw eintr;
    } else if ((file.poll() & wake) === 0) {
      const reason = await queue.wait(opts.deadlineMs !== undefined ? { intr: t, deadlineMs: opts.deadlineMs } : { intr: t });
      if (reason === "interrupted") throw eintr;
      if (reason === "timeout") throw EAGAIN_ERROR;
    }
    try {
      return await op();
    } catch (e) {
      if (e !== EAGAIN_ERROR) throw e;
      retried = true;
    }
  }
}
