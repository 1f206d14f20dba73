/**
 * The `occlum` module's sysinfo, for sdk/libc/sysinfo.c (wasix-libc declares sysinfo() in
 * sys/sysinfo.h without defining it: programs that called it did not link).
 *
 * sysinfo(info*) writes Linux's struct sysinfo as a 32-bit program gets it (compat_sysinfo: 4-byte
 * longs, 64 bytes; musl's wasm32 struct has the same fields at the same offsets, then a larger
 * reserve the call leaves alone):
 * - uptime: seconds since the instance booted, a partial second counted whole (Linux rounds up);
 *   /proc/uptime counts from the same boot (process-table.ts bootNs);
 * - loads: 0, the kernel keeps no load average;
 * - totalram, freeram: /proc/meminfo's MemTotal and MemFree (the memory manager's user space, as
 *   process-table.ts memory() reports it); sharedram, bufferram, swap and high memory: 0;
 * - procs: the instance's tasks as Linux counts them (ProcessTable.tasks: threads, and zombies);
 * - mem_unit: 1, unless totalram does not fit 32 bits: then, as Linux does for 32-bit callers,
 *   the memory fields are in units of 4096 bytes.
 * EFAULT when the 64 bytes are not all inside memory (the libc refuses NULL itself).
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { Errno, sysErr } from "../errno.ts";
import type { Thread } from "../../process/thread.ts";
import { monotonicNs } from "../../sched/clock.ts";

/** Bytes of Linux's compat struct sysinfo (what the call writes). */
export const SYSINFO_BYTES = 64;

/** What sysinfo reports, in the kernel's units. */
export interface SystemInfo {
  uptimeNs: bigint;
  totalBytes: number;
  freeBytes: number;
  tasks: number;
}

/** Linux's 32-bit struct sysinfo of `s` at `ptr` (SYSINFO_BYTES bytes; padding zeroed). */
export function encodeSysinfo(dv: DataView, ptr: number, s: SystemInfo): void {
  for (let i = 0; i < SYSINFO_BYTES; i += 4) dv.setUint32(ptr + i, 0, true);
  const secs = s.uptimeNs / 1_000_000_000n + (s.uptimeNs % 1_000_000_000n > 0n ? 1n : 0n);
  // Page units (PAGE_SHIFT 12) only when a byte count would not fit, as compat_sysinfo scales.
  const shift = s.totalBytes >= 2 ** 32 ? 12 : 0;
  const units = (bytes: number): number => Math.floor(bytes / 2 ** shift) >>> 0;
  dv.setUint32(ptr, Number(BigInt.asUintN(32, secs)), true); // uptime; loads[3] at 4..15 stay 0
  dv.setUint32(ptr + 16, units(s.totalBytes), true); // totalram
  dv.setUint32(ptr + 20, units(s.freeBytes), true); // freeram; sharedram, bufferram, swap: 0
  dv.setUint16(ptr + 40, s.tasks & 0xffff, true); // procs (an unsigned short, as Linux's)
  dv.setUint32(ptr + 52, 2 ** shift, true); // mem_unit; totalhigh, freehigh (44, 48): 0
}

/** sysinfo(info*): see the header. */
function occlum_sysinfo(t: Thread, ptr: number): void {
  const k = t.process.kernel.processes;
  const mem = k.memory(); // the numbers /proc/meminfo prints
  const info: SystemInfo = { uptimeNs: monotonicNs() - k.bootNs, totalBytes: mem.totalBytes, freeBytes: mem.freeBytes, tasks: k.tasks() };
  const m = t.process.memory;
  if (!m) throw sysErr(Errno.FAULT);
  try {
    m.check(ptr, SYSINFO_BYTES);
  } catch {
    throw sysErr(Errno.FAULT); // Linux's copy_to_user fails; the caller is not killed
  }
  encodeSysinfo(m.dv, ptr, info);
}

export const occlumSysinfoRows: readonly SyscallRow[] = [
  row("sysinfo", [A.u32], R.none, occlum_sysinfo, { note: "Linux's 32-bit struct sysinfo (64 bytes): uptime since boot (rounded up), MemTotal/MemFree as totalram/freeram, procs = the instance's tasks, mem_unit 1 (4096 past 4 GiB); loads, shared, buffers, swap, high memory 0" }),
];
