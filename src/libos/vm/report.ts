/**
 * The sizing report printed at exit (`occlum run --mem-report`, wired by the CLI), and the numbers
 * procfs shows in /proc/meminfo and /proc/<pid>/status. Plain data in, plain data / text out.
 *
 * Recommendation rules (Init covers the start-up need, Max gives headroom):
 * - user_space_size = the peak in use during start-up (until markStarted: the app's first process
 *   instantiated); user_space_max_size = 1.5 × the peak in use, at least Init.
 * - kernel_space_heap_size / _max_size: the same from the kernel heap's peaks.
 * - init_num_of_threads = the peak of live threads during start-up (≥ 1);
 *   max_num_of_threads = ceil(1.5 × the peak of live threads), at least peak + 1.
 * - kernel_space_stack_size is echoed from the config (a required field, not measured here).
 * Sizes are rounded up to a step, then written in the largest exact unit ("24MB", "2GB"):
 *   < 64 MB → 1 MB steps (minimum 1 MB); < 1 GB → 8 MB; < 16 GB → 128 MB; above → 1 GB.
 * With EDMM the resolver raises Max values to its floors (16 GB user space, 1 GB kernel heap, 4096
 * threads), so the Max values matter for builds without EDMM, where they are the static sizes.
 */
import { WASM_PAGE, occlumSize } from "./limits.ts";
import type { KernelHeapStats } from "./kernel-heap.ts";
import type { ThreadStats } from "./threads.ts";
import type { ProcessMemory, UserSpaceStats } from "./user-space.ts";

const MB = 2 ** 20;
const GB = 2 ** 30;

export interface Peaks {
  readonly userSpace: UserSpaceStats;
  readonly kernelHeap: KernelHeapStats;
  readonly threads: ThreadStats;
  /** kernel_space_stack_size in bytes. */
  readonly kernelStack: number;
}

/** Rounds a size up by the report's steps (see the module header). */
export function roundSize(bytes: number): number {
  const step = bytes < 64 * MB ? MB : bytes < GB ? 8 * MB : bytes < 16 * GB ? 128 * MB : GB;
  return Math.max(MB, Math.ceil(bytes / step) * step);
}

export interface Recommendation {
  readonly kernel_space_stack_size: string;
  readonly kernel_space_heap_size: string;
  readonly kernel_space_heap_max_size: string;
  readonly user_space_size: string;
  readonly user_space_max_size: string;
  readonly init_num_of_threads: number;
  readonly max_num_of_threads: number;
}

export function recommend(p: Peaks): Recommendation {
  const pair = (startup: number, peak: number): [string, string] => {
    const init = roundSize(startup);
    return [occlumSize(init), occlumSize(Math.max(init, roundSize(peak * 1.5)))];
  };
  const [ui, um] = pair(p.userSpace.startupPeakInUse, p.userSpace.peakInUse);
  const [hi, hm] = pair(p.kernelHeap.startupPeak, p.kernelHeap.peak);
  const ti = Math.max(1, p.threads.startupPeakLive);
  const tm = Math.max(ti, p.threads.peakLive + 1, Math.ceil(p.threads.peakLive * 1.5));
  return {
    kernel_space_stack_size: occlumSize(roundSize(p.kernelStack)),
    kernel_space_heap_size: hi, kernel_space_heap_max_size: hm,
    user_space_size: ui, user_space_max_size: um,
    init_num_of_threads: ti, max_num_of_threads: tm,
  };
}

/** A valid Occlum.json fragment (2-space JSON, as Occlum's files are written). */
export function recommendationJson(r: Recommendation): string {
  return JSON.stringify({ resource_limits: r }, null, 2);
}

/** "12.5MB"-style, for the human part of the report. */
export function human(bytes: number): string {
  for (const [unit, f] of [["GB", GB], ["MB", MB], ["KB", 1024]] as const) {
    if (bytes >= f) return `${+(bytes / f).toFixed(1)}${unit}`;
  }
  return `${bytes}B`;
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${+((100 * part) / whole).toFixed(1)}%` : "-";
}

/** The text printed at exit. */
export function sizingReport(p: Peaks): string {
  const u = p.userSpace;
  const h = p.kernelHeap;
  const t = p.threads;
  const rec = recommend(p);
  const lines = [
    `occlum memory report (${u.edmm ? "EDMM: Init committed at start-up, the rest on demand up to Max" : "no EDMM: the static size committed at start-up"})`,
    `  user space:  peak in use ${human(u.peakInUse)} (${pct(u.peakInUse, u.limit)} of ${u.edmm ? "Max" : "the static size"}), at start-up ${human(u.startupPeakInUse)}; peak committed ${human(u.peakCommitted)}` +
      `; Init ${occlumSize(u.init)}, Max ${occlumSize(u.max)}`,
    `  kernel heap: peak ${human(h.peak)} (${pct(h.peak, h.max)} of ${h.edmm ? "Max" : "the static size"}), at start-up ${human(h.startupPeak)}; Init ${occlumSize(h.init)}, Max ${occlumSize(h.max)}`,
    `  threads:     peak ${t.peakLive} live, at start-up ${t.startupPeakLive}; Init ${t.init}, Max ${t.max}`,
  ];
  const refusals: string[] = [];
  if (u.refused.cap > 0) refusals.push(`${u.refused.cap} memory.grow past a process's cap (raise process.default_heap_size)`);
  if (u.refused.budget > 0) refusals.push(`${u.refused.budget} allocations refused: user space exhausted`);
  if (u.refused.host > 0) refusals.push(`${u.refused.host} allocations refused by the host`);
  if (h.failedCharges > 0) refusals.push(`${h.failedCharges} kernel heap charges failed`);
  if (t.refused > 0) refusals.push(`${t.refused} threads refused (EAGAIN)`);
  if (refusals.length > 0) lines.push(`  refused:     ${refusals.join("; ")}`);
  lines.push("Recommended resource_limits for Occlum.json (Init covers start-up, Max adds 50% headroom):");
  lines.push(recommendationJson(rec));
  if (u.edmm) lines.push("Note: with EDMM, occlum build raises the Max values to at least 16GB (user space), 1GB (kernel heap) and 4096 threads; they bound a build without EDMM, where they are the static sizes.");
  return lines.join("\n") + "\n";
}

/**
 * /proc/meminfo numbers, in bytes (procfs prints kB). Our "RAM" is the user space:
 * MemTotal = its limit (Max, or the static size); MemFree = MemAvailable = what processes could
 * still take; Committed_AS = what processes hold; CommitLimit = MemTotal; Slab = the kernel heap
 * in use, Cached = its "page-cache" share. UserCommitted / UserReserve are ours: the memory really
 * held for user space and the committed part no process holds.
 */
export function meminfo(u: UserSpaceStats, h: KernelHeapStats): Record<string, number> {
  const free = u.limit - u.inUse;
  return {
    MemTotal: u.limit, MemFree: free, MemAvailable: free, Buffers: 0, Cached: h.byOwner["page-cache"] ?? 0,
    Slab: h.used, CommitLimit: u.limit, Committed_AS: u.inUse, UserCommitted: u.committed, UserReserve: u.reserve,
    KernelHeapTotal: h.max,
  };
}

/** /proc/<pid>/status memory lines, in bytes (VmRSS = VmSize: every charged page is touched). */
export function processStatus(pm: ProcessMemory, threads: number): Record<string, number> {
  const size = pm.pages * WASM_PAGE;
  const peak = pm.peakPages * WASM_PAGE;
  return { VmPeak: peak, VmSize: size, VmHWM: peak, VmRSS: size, Threads: threads };
}
