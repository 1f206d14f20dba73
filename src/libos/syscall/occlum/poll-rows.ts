/**
 * The `occlum` module's readiness waits. `poll`: Linux's poll(2) in one call, for sdk/libc/poll.c
 * (poll, ppoll, select, pselect). `ppoll` and `epoll_pwait`: poll and WASIX epoll_wait with a
 * signal mask for the wait, applied atomically (process/signals.ts waitWithMask), for ppoll,
 * pselect and epoll_pwait with a mask.
 *
 * poll: WASIX has only poll_oneoff, whose fd subscriptions say "readable" or
 * "writable" plus a hang-up flag: POLLNVAL, POLLERR, a lone POLLHUP, POLLRDHUP and events 0 cannot
 * be expressed, so the libc's poll lost them and its select failed with ENOSYS.
 *
 * The guest passes Linux's struct pollfd array (8 bytes each: fd i32, events i16, revents i16)
 * with Linux's bits (sdk/libc/poll.c converts from the libc's own POLL* values); the kernel fills
 * revents. As on Linux: a negative fd is ignored (revents 0), an fd that is not open is POLLNVAL,
 * ERR and HUP are reported whatever was asked, and the call returns how many entries have revents.
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { Errno, sysErr } from "../errno.ts";
import type { PollEntry } from "../../net/poll.ts";
import type { Thread } from "../../process/thread.ts";
import { waitWithMask } from "../../process/signals.ts";

// net/ is loaded on the first call: a wasip1 program's start-up never loads it (startup.test.ts).
type PollModule = typeof import("../../net/poll.ts");
let pollModule: PollModule | undefined;

let sockRows: typeof import("../wasix/sock-rows.ts") | undefined;

const POLLFD_SIZE = 8;
/** A wait without a deadline: timeouts at or past 2^63 ns (a negative i64), as epoll_wait's. */
const NO_TIMEOUT = 1n << 63n;

/** poll(fds, nfds, timeout_ns) -> nready */
function occlum_poll(t: Thread, fdsPtr: number, nfds: number, timeoutNs: bigint): number | Promise<number> {
  if (pollModule) return poll(pollModule, t, fdsPtr, nfds, timeoutNs);
  return import("../../net/poll.ts").then((m) => poll((pollModule = m), t, fdsPtr, nfds, timeoutNs));
}

function poll({ pollFiles }: PollModule, t: Thread, fdsPtr: number, nfds: number, timeoutNs: bigint): number | Promise<number> {
  // Linux: EINVAL past RLIMIT_NOFILE entries (its soft limit)
  if (nfds > t.process.fds.limit) throw sysErr(Errno.INVAL);
  const m = t.process.memory!;
  m.check(fdsPtr, nfds * POLLFD_SIZE, 4);
  const entries: PollEntry[] = [];
  const slots: number[] = []; // entry k is pollfd slots[k]; negative fds have no entry
  const dv = m.dv;
  for (let i = 0; i < nfds; i++) {
    const o = fdsPtr + i * POLLFD_SIZE;
    const fd = dv.getInt32(o, true);
    dv.setUint16(o + 6, 0, true);
    if (fd < 0) continue;
    const file = t.process.fds.has(fd) ? t.process.fds.get(fd).file : undefined;
    entries.push({ file, events: dv.getUint16(o + 4, true) });
    slots.push(i);
  }
  const ns = BigInt.asUintN(64, timeoutNs);
  const ms = ns >= NO_TIMEOUT ? -1 : Math.ceil(Number(ns) / 1e6);
  const done = (revents: number[]): number => {
    m.refresh(); // after a wait: the views of a memory that grew meanwhile are reloaded
    const out = m.dv;
    let n = 0;
    for (let k = 0; k < slots.length; k++) {
      const r = revents[k]!;
      out.setUint16(fdsPtr + slots[k]! * POLLFD_SIZE + 6, r, true);
      if (r !== 0) n++;
    }
    return n;
  };
  const r = pollFiles(entries, ms, t);
  return r instanceof Promise ? r.then(done) : done(r);
}

/** ppoll(fds, nfds, timeout_ns, mask) -> nready: poll with `mask` as the signal mask of the wait. */
function occlum_ppoll(t: Thread, fdsPtr: number, nfds: number, timeoutNs: bigint, mask: bigint): Promise<number> {
  return waitWithMask(t, mask, () => occlum_poll(t, fdsPtr, nfds, timeoutNs));
}

/** epoll_pwait(epfd, events, maxevents, timeout_ns, mask) -> n: WASIX epoll_wait with `mask` for the wait. */
async function occlum_epoll_pwait(t: Thread, epfd: number, eventsPtr: number, maxevents: number, timeoutNs: bigint, mask: bigint): Promise<number> {
  const { epoll_wait } = (sockRows ??= await import("../wasix/sock-rows.ts"));
  return waitWithMask(t, mask, () => epoll_wait(t, epfd, eventsPtr, maxevents, timeoutNs, undefined));
}

export const occlumPollRows: readonly SyscallRow[] = [
  row("poll", [A.u32, A.u32, A.u64], R.size, occlum_poll, {
    blocking: true,
    note: "Linux poll(2): struct pollfd array with Linux bits (POLLNVAL, POLLERR, POLLHUP, POLLRDHUP; fd < 0 ignored), timeout in ns (>= 2^63: none); EINTR",
  }),
  row("ppoll", [A.u32, A.u32, A.u64, A.u64], R.size, occlum_ppoll, {
    blocking: true,
    note: "poll with a signal mask for the wait, atomically (a pending signal it unblocks: EINTR at once)",
  }),
  row("epoll_pwait", [A.fd, A.u32, A.u32, A.u64, A.u64], R.size, occlum_epoll_pwait, {
    blocking: true,
    note: "WASIX epoll_wait (its event layout) with a signal mask for the wait, atomically",
  }),
];
