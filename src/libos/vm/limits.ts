/**
 * Plain-number limits of the memory manager, the one error type it throws, and the page toucher.
 *
 * vm/ does not import src/config: the boot turns the resolved Config into these numbers (bytes as
 * JS numbers: exact up to 2^53, far above the 16 GiB defaults), so vm/ can be tested and reused
 * without an Occlum.json. `limitsFromResolved` shows the mapping the boot is expected to do.
 */

/** WebAssembly page: the unit a process memory grows by. */
export const WASM_PAGE = 65536;
/** OS page: the unit the host commits on first write. */
export const OS_PAGE = 4096;

export interface UserSpaceLimits {
  /** Whether the instance runs with EDMM semantics (after the mismatch decision, see mismatch.ts). */
  readonly edmm: boolean;
  /** user_space_size as resolved (Init). */
  readonly init: number;
  /** Resolved user space Max (EDMM: max(user_space_max_size, 16 GiB); static: the static size). */
  readonly max: number;
  /** process.default_heap_size and default_stack_size: together they cap one process's memory. */
  readonly processHeap: number;
  readonly processStack: number;
  /**
   * The most the host lets us commit for user space (the boot passes e.g. 90% of the host's RAM).
   * Commits beyond it are refused like an exhausted budget, so an EDMM Max of 16 GB on a smaller
   * host ends in ENOMEM for the guest, not in the host's OOM killer. Default: no host cap.
   */
  readonly hostCap?: number;
}

export interface KernelHeapLimits {
  readonly edmm: boolean;
  /** HeapInitSize (kernel_space_heap_size, or the static size without EDMM). */
  readonly init: number;
  /** HeapMaxSize. Without EDMM equal to init. */
  readonly max: number;
}

export interface ThreadLimits {
  readonly edmm: boolean;
  /** TCSNum: thread contexts prepared at boot. */
  readonly init: number;
  /** TCSMaxNum: live threads of all processes. */
  readonly max: number;
}

export interface VmLimits {
  readonly userSpace: UserSpaceLimits;
  readonly kernelHeap: KernelHeapLimits;
  readonly threads: ThreadLimits;
  /** kernel_space_stack_size; only echoed in the sizing report (JS frames live in V8's heap). */
  readonly kernelStack: number;
}

/**
 * The resolved Config as far as vm/ needs it (structurally the same fields as src/config's
 * `Config`, so the boot can pass a Config directly).
 */
export interface ResolvedSizes {
  readonly edmm: { readonly enabled: boolean };
  readonly kernelStack: bigint;
  readonly kernelHeap: { readonly init: bigint; readonly max: bigint };
  readonly userSpace: { readonly init: bigint; readonly max: bigint };
  readonly threads: { readonly init: number; readonly max: number };
  readonly process: { readonly defaultStackSize: bigint; readonly defaultHeapSize: bigint };
}

/** Config (as built) → VmLimits. For the runtime mode after a mismatch, see mismatch.ts. */
export function limitsFromResolved(c: ResolvedSizes, edmm: boolean = c.edmm.enabled): VmLimits {
  const n = (b: bigint): number => Number(b);
  return {
    userSpace: { edmm, init: n(c.userSpace.init), max: n(c.userSpace.max), processHeap: n(c.process.defaultHeapSize), processStack: n(c.process.defaultStackSize) },
    kernelHeap: { edmm, init: n(c.kernelHeap.init), max: n(c.kernelHeap.max) },
    threads: { edmm, init: c.threads.init, max: c.threads.max },
    kernelStack: n(c.kernelStack),
  };
}

export type VmErrorCode = "ENOMEM" | "EAGAIN" | "ENOSPC";

/**
 * A refused allocation. The kernel maps `code` to its Errno (syscall/errno-map); vm/ stays below
 * the syscall layer and so names errnos by string.
 */
export class VmError extends Error {
  readonly code: VmErrorCode;
  constructor(code: VmErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
    this.name = "VmError";
  }
}

/**
 * Makes the host really commit [from, to) of `buf`: one write per 4 KiB page (the host commits a
 * page on its first write fault, whatever value is written; one write per 64 KiB wasm page would
 * commit only 1/16 of it). Each byte is rewritten with its own value, so touching live data (a
 * module's data segments at attach) changes nothing. With `concurrent` (a shared memory whose
 * threads may run) the write is an atomic OR with 0, so a guest thread writing the same word
 * loses nothing (about 1.5x slower). Measured on 256 MB: a fresh WebAssembly.Memory adds ~1 MB
 * of VmRSS, one write per 64 KiB ~17 MB, one write per 4 KiB (or fill) the full 256 MB.
 */
export function touchPages(buf: ArrayBuffer | SharedArrayBuffer, from: number = 0, to: number = buf.byteLength, concurrent = false): void {
  if (concurrent && buf instanceof SharedArrayBuffer) {
    // Other threads may write there: an atomic OR with 0 is a write that changes nothing.
    const i32 = new Int32Array(buf, 0, buf.byteLength >> 2);
    for (let off = from - (from % 4); off < to; off = (Math.floor(off / OS_PAGE) + 1) * OS_PAGE) Atomics.or(i32, off / 4, 0);
    return;
  }
  const u8 = new Uint8Array(buf);
  for (let off = from; off < to; off = (Math.floor(off / OS_PAGE) + 1) * OS_PAGE) u8[off] = u8[off]!;
}

/** ceil(bytes / 64 KiB). */
export function pagesFor(bytes: number): number {
  return Math.ceil(bytes / WASM_PAGE);
}

/** Bytes as an Occlum size string, in the largest unit that divides it exactly ("64MB", "1GB", "300KB", "5B"). */
export function occlumSize(bytes: number): string {
  for (const [unit, f] of [["TB", 2 ** 40], ["GB", 2 ** 30], ["MB", 2 ** 20], ["KB", 2 ** 10]] as const) {
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${unit}`;
  }
  return `${bytes}B`;
}
