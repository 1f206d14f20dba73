/**
 * The real-time threads (SCHED_FIFO, SCHED_RR) ready to run on a vCPU, in the order Linux runs
 * them: highest priority first, FIFO within a priority, with a preempted SCHED_FIFO thread (and a
 * lowered one) at the head of its priority rather than the tail. The executor serves it before
 * its ready deque (executor.ts).
 */

/** A ready real-time thread's resume: `owner` (its thread) lets a priority change find it. */
export interface RtEntry {
  fn: (v: unknown) => void;
  v: unknown;
  prio: number;
  owner: object | undefined;
}

export class RtQueue {
  private readonly entries: RtEntry[] = [];
  /** How many wait (a field, not a getter: the executor's common path tests it on every switch). */
  length = 0;

  /** The highest priority waiting (0: none). */
  get top(): number {
    return this.length === 0 ? 0 : this.entries[0]!.prio;
  }

  /** Queue `e` behind the others of its priority, or before them (`head`). */
  insert(e: RtEntry, head: boolean): void {
    const q = this.entries;
    let i = 0;
    if (head) while (i < q.length && q[i]!.prio > e.prio) i++;
    else while (i < q.length && q[i]!.prio >= e.prio) i++;
    q.splice(i, 0, e);
    this.length = q.length;
  }

  /** The next to run, taken out. */
  shift(): RtEntry | undefined {
    const e = this.entries.shift();
    this.length = this.entries.length;
    return e;
  }

  /** The first entry `match` accepts. */
  find(match: (e: RtEntry) => boolean): RtEntry | undefined {
    return this.entries.find(match);
  }

  /** The first entry `match` accepts, taken out. */
  take(match: (e: RtEntry) => boolean): RtEntry | undefined {
    const i = this.entries.findIndex(match);
    if (i < 0) return undefined;
    const [e] = this.entries.splice(i, 1);
    this.length = this.entries.length;
    return e;
  }
}
