/**
 * poll_oneoff: wait until a clock subscription expires or an fd subscription is ready.
 *
 * Readiness is the file's poll() bits; waiting parks the thread on every subscribed file's wait
 * queue at once (waitAny) with the earliest clock deadline as timeout: it suspends, never spins.
 * Errors per subscription (bad fd, missing right) come back as events with `error` set, as in
 * wasmtime; nsubscriptions 0 and an unknown clock id fail the whole call with EINVAL.
 */
import { ClockId, EventType, EVENTRWFLAGS_HANGUP, Rights, SUBCLOCKFLAGS_ABSTIME } from "../abi.ts";
import { Errno, EINTR_ERROR, SysError, sysErr } from "../errno.ts";
import type { PollEvent, Subscriptions } from "../codecs.ts";
import { FileType, Ready, type OpenFile } from "../../fs/types.ts";
import type { WaitQueue } from "../../sched/wait-queue.ts";
import { waitAny } from "../../sched/wait-queue.ts";
import { monotonicNs, realtimeNs, nowMs } from "../../sched/clock.ts";
import type { Thread } from "../../process/thread.ts";

type Maybe<T> = T | Promise<T>;

interface ClockWait {
  userdata: bigint;
  deadline: bigint; // monotonic ns
}

interface FdWait {
  userdata: bigint;
  type: 1 | 2;
  file: OpenFile;
}

export function poll_oneoff(t: Thread, { subs }: Subscriptions): Maybe<PollEvent[]> {
  if (subs.length === 0) throw sysErr(Errno.INVAL);
  const now = monotonicNs();
  const clocks: ClockWait[] = [];
  const fds: FdWait[] = [];
  const immediate: PollEvent[] = [];
  for (const s of subs) {
    if (s.type === EventType.CLOCK) {
      let deadline: bigint;
      if (s.clockId !== ClockId.REALTIME && s.clockId !== ClockId.MONOTONIC) throw sysErr(Errno.INVAL, "poll clock");
      if ((s.flags & SUBCLOCKFLAGS_ABSTIME) === 0) deadline = now + s.timeout;
      else if (s.clockId === ClockId.MONOTONIC) deadline = s.timeout;
      else deadline = now + (s.timeout - realtimeNs());
      clocks.push({ userdata: s.userdata, deadline });
    } else {
      try {
        const need = (s.type === EventType.FD_READ ? Rights.FD_READ : Rights.FD_WRITE) | Rights.POLL_FD_READWRITE;
        fds.push({ userdata: s.userdata, type: s.type, file: t.process.fds.get(s.fd, need).file });
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        immediate.push({ userdata: s.userdata, error: e.errno, type: s.type, nbytes: 0n, flags: 0 });
      }
    }
  }
  const events = collect(clocks, fds, immediate);
  if (events.length > 0) return events;
  return waitLoop(t, clocks, fds);
}

function collect(clocks: ClockWait[], fds: FdWait[], out: PollEvent[]): PollEvent[] {
  if (clocks.length > 0) {
    const now = monotonicNs();
    for (const c of clocks) {
      if (now >= c.deadline) out.push({ userdata: c.userdata, error: 0, type: EventType.CLOCK, nbytes: 0n, flags: 0 });
    }
  }
  for (const f of fds) {
    const r = f.file.poll();
    const want = f.type === EventType.FD_READ ? Ready.IN : Ready.OUT;
    const hup = (r & (Ready.HUP | Ready.ERR)) !== 0;
    if ((r & want) !== 0 || hup) {
      out.push({
        userdata: f.userdata, error: 0, type: f.type,
        nbytes: f.type === EventType.FD_READ && f.file.filetype === FileType.REGULAR_FILE ? 1n : 0n,
        flags: hup ? EVENTRWFLAGS_HANGUP : 0,
      });
    }
  }
  return out;
}

async function waitLoop(t: Thread, clocks: ClockWait[], fds: FdWait[]): Promise<PollEvent[]> {
  const queues: WaitQueue[] = [];
  for (const f of fds) if (f.file.waitQueue && !queues.includes(f.file.waitQueue)) queues.push(f.file.waitQueue);
  let earliest: bigint | undefined;
  for (const c of clocks) if (earliest === undefined || c.deadline < earliest) earliest = c.deadline;
  for (;;) {
    const opts = earliest === undefined
      ? { intr: t }
      : { intr: t, deadlineMs: nowMs() + Math.max(0, Number(earliest - monotonicNs()) / 1e6) };
    const reason = await waitAny(queues, opts);
    if (reason === "interrupted") throw EINTR_ERROR;
    const events = collect(clocks, fds, []);
    if (events.length > 0) return events;
  }
}
