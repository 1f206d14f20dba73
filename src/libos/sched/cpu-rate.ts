/**
 * How much of its busy wall time this agent (the kernel thread or a vCPU worker: one JS thread)
 * really ran on a host CPU, so that guest threads are charged CPU time, not wall time.
 *
 * Why: a guest thread's CPU time is the wall time it held its vCPU, read from the clock once per
 * switch (process/thread.ts, vcpu/cpu-slot.ts). When the host runs something else on the same
 * core, that wall time stretches while the thread gets no CPU, and clock(), getrusage,
 * CLOCK_*_CPUTIME_ID and the CPU-time timers counted it all, where Linux counts only CPU. Reading
 * the thread's real CPU time at every switch (process.threadCpuUsage, ~0.4 µs) would cost more
 * than the switch.
 *
 * How: once per WINDOW_MS of wall time, at a switch, the agent's CPU time over the window
 * (process.threadCpuUsage: this JS thread only) is divided by its busy time over the window
 * (performance.eventLoopUtilization's active time: the wall time outside the event loop's idle
 * poll). Held wall time is then charged at that rate, so a thread that computed through a window
 * in which a host process took half of its core is charged half. The rate never exceeds 1 (work
 * of the agent's own, such as serving I/O, makes busy time that is CPU too) and a window with
 * under MIN_BUSY_MS of busy time keeps the previous rate (too little to measure).
 */
import { performance } from "node:perf_hooks";

const WINDOW_MS = 10;
const MIN_BUSY_MS = 2;
/** Lowest rate (a guest thread that held a vCPU was on a CPU part of that time at least). */
const MIN_RATE = 0.01;

/** The rate of one agent (a module instance per JS thread: workers load their own). */
export class CpuRate {
  /** CPU ms per held wall ms, as of the latest window. */
  rate = 1;
  private sampledAt = -Infinity;
  private cpuMs = 0;
  private busyMs = 0;
  /** Samples taken (tests). */
  samples = 0;

  private readonly cpu: () => number;
  private readonly busy: () => number;

  /** `cpu`: this JS thread's CPU time, `busy`: its event loop's active time, both in ms (tests pass their own). */
  constructor(cpu?: () => number, busy?: () => number) {
    this.cpu = cpu ?? (() => {
      const u = process.threadCpuUsage();
      return (u.user + u.system) / 1000;
    });
    this.busy = busy ?? (() => performance.eventLoopUtilization().active);
  }

  /** The rate at wall time `now` (ms), measuring a new window first once the last one is WINDOW_MS old. */
  rateAt(now: number): number {
    if (now - this.sampledAt >= WINDOW_MS) this.sample(now);
    return this.rate;
  }

  private sample(now: number): void {
    const cpu = this.cpu();
    const busy = this.busy();
    const first = this.sampledAt === -Infinity;
    this.sampledAt = now;
    const dBusy = busy - this.busyMs;
    const dCpu = cpu - this.cpuMs;
    this.samples++;
    if (!first && dBusy >= MIN_BUSY_MS) this.rate = Math.min(1, Math.max(MIN_RATE, dCpu / dBusy));
    this.cpuMs = cpu;
    this.busyMs = busy;
  }
}

export const cpuRate = new CpuRate();
