/**
 * poll(2) as a service over open files: readiness masks for a set of (file, events), waiting on
 * all their wait queues at once (suspending, never spinning) until one is ready, the timeout
 * passes or the thread is interrupted. poll_oneoff and select map onto it.
 *
 * As Linux, ERR and HUP are always reported, NVAL for a missing file, and RDHUP only when asked.
 */
import { Ready, type OpenFile } from "../fs/types.ts";
import { EINTR_ERROR } from "../syscall/errno.ts";
import { waitAny, type Interruptible, type WaitQueue } from "../sched/wait-queue.ts";
import { nowMs } from "../sched/clock.ts";

export interface PollEntry {
  /** undefined: the fd is not open (POLLNVAL). */
  file: OpenFile | undefined;
  events: number;
}

/** One non-blocking pass: the revents of every entry and how many are non-zero. */
export function pollOnce(entries: readonly PollEntry[]): { revents: number[]; count: number } {
  const revents = new Array<number>(entries.length);
  let count = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const r = e.file ? e.file.poll() & (e.events | Ready.ERR | Ready.HUP) : Ready.NVAL;
    revents[i] = r;
    if (r !== 0) count++;
  }
  return { revents, count };
}

/**
 * poll(): timeoutMs < 0 waits without a deadline, 0 never waits. Throws EINTR_ERROR when `intr`
 * interrupts the wait. Returns synchronously when something is ready at once.
 */
export function pollFiles(entries: readonly PollEntry[], timeoutMs: number, intr?: Interruptible): number[] | Promise<number[]> {
  const first = pollOnce(entries);
  if (first.count > 0 || timeoutMs === 0) return first.revents;
  return pollWait(entries, timeoutMs < 0 ? undefined : nowMs() + timeoutMs, intr);
}

async function pollWait(entries: readonly PollEntry[], deadlineMs: number | undefined, intr: Interruptible | undefined): Promise<number[]> {
  const queues: WaitQueue[] = [];
  const seen = new Set<WaitQueue>();
  for (const e of entries) {
    const q = e.file?.waitQueue;
    if (q && !seen.has(q)) {
      seen.add(q);
      queues.push(q);
    }
  }
  for (;;) {
    const opts = { ...(deadlineMs !== undefined ? { deadlineMs } : {}), ...(intr ? { intr } : {}) };
    const reason = await waitAny(queues, opts);
    if (reason === "interrupted") throw EINTR_ERROR;
    const r = pollOnce(entries);
    if (r.count > 0 || reason === "timeout") return r.revents;
  }
}
