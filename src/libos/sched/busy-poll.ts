/**
 * Busy polling of host I/O (OCCLUM_BUSY_POLL_US): how long a vCPU keeps the event loop turning
 * after host I/O made a file ready (Executor.pollHost; Linux's net.core.busy_poll, whose
 * suggested value is 50 µs too), and the poller that does it.
 */
import os from "node:os";
import { nowMs } from "./clock.ts";
import { vcpuRequests } from "./agents.ts";

const CORES = os.availableParallelism();
const BUSY_POLL_US = 50;
export const MAX_BUSY_POLL_US = 100_000;

/**
 * OCCLUM_BUSY_POLL_US as µs: unset or empty → the default (50); "0" turns busy polling off; else an
 * integer up to 100000.
 */
export function parseBusyPoll(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return BUSY_POLL_US;
  const v = value.trim();
  if (!/^\d+$/.test(v) || Number(v) > MAX_BUSY_POLL_US) {
    throw new RangeError(`OCCLUM_BUSY_POLL_US must be an integer from 0 to ${MAX_BUSY_POLL_US} (µs), not ${JSON.stringify(value)}`);
  }
  return Number(v);
}

/** The process's setting: a bad value is a warning, and the default. */
export function busyPollFromEnv(): number {
  try {
    return parseBusyPoll(process.env.OCCLUM_BUSY_POLL_US);
  } catch (e) {
    process.stderr.write(`warning: ${(e as Error).message}; polling ${BUSY_POLL_US} µs\n`);
    return BUSY_POLL_US;
  }
}

/**
 * Busy polling of host I/O, as Linux's net.core.busy_poll does for a blocking poll: host I/O
 * just made a file ready (a socket's read callback, a datagram, a connection), so more is likely
 * soon (the next request of a client, the reply to a request). Until the vCPU has been idle (no
 * coroutine resumed or suspended: `quietSince`) for the window, the event loop keeps turning
 * with a setImmediate, and libuv polls with a zero timeout instead of sleeping in epoll_wait:
 * the next packet is read without the thread being put to sleep and woken, which on this VM
 * costs more latency and CPU than the polls (bench/net/README.md: 1-byte ping-pong at ~2.5x the
 * round trips with less server CPU per round trip). Only when the kernel thread leaves a core
 * free (≥ 2 cores, vCPU workers with live threads included): a poll must never take a core the
 * peer or a computing thread needs.
 */
export class HostPoller {
  /** The window in ms (0: off). */
  private windowMs = busyPollFromEnv() / 1000;
  private polling = false;
  private armedMs = 0;
  /** Turns of the event loop it made (statistics, tests, bench). */
  polls = 0;
  private readonly quietSince: () => number;

  /** `quietSince`: the latest time a coroutine of the vCPU resumed or suspended. */
  constructor(quietSince: () => number) {
    this.quietSince = quietSince;
  }

  /** Host I/O made a file ready: poll until the vCPU has been quiet for the window. */
  arm(): void {
    if (this.polling || this.windowMs === 0) return;
    this.polling = true;
    this.armedMs = nowMs();
    setImmediate(this.turn);
  }

  /** The window in µs (0: off). */
  get windowUs(): number {
    return Math.round(this.windowMs * 1000);
  }

  /** Set the window in µs (tests, bench, embedders); 0 turns polling off. */
  setWindow(us: number): void {
    if (!Number.isInteger(us) || us < 0 || us > MAX_BUSY_POLL_US) throw new RangeError(`busy-poll window ${us} µs out of [0, ${MAX_BUSY_POLL_US}]`);
    this.windowMs = us / 1000;
  }

  /** A check-phase callback: the microtask queue is empty, every coroutine parked or queued. */
  private readonly turn = (): void => {
    const quiet = Math.max(this.armedMs, this.quietSince());
    if (nowMs() - quiet < this.windowMs && vcpuRequests().busyAgents() + 1 < CORES) {
      this.polls++;
      setImmediate(this.turn);
    } else {
      this.polling = false;
    }
  };
}
