/**
 * The kernel heap budget (kernel_space_heap_size / kernel_space_heap_max_size): what the kernel's
 * caches and buffers (page cache, pipe and socket buffers, ramfs contents) may hold at once.
 *
 * The objects themselves live in V8's heap, which cannot be pre-committed for them, so this is an
 * exact ledger, not an allocator: every cache charges what it holds and uncharges what it drops.
 * Limit: HeapMaxSize (EDMM; Init is what the report sizes start-up by) or the static size
 * (HeapMaxSize = HeapInitSize without EDMM).
 *
 * Before a charge fails, registered shrinkers are asked (in registration order) to give memory
 * back: a shrinker frees clean objects synchronously and calls `uncharge` for them itself, and
 * returns how many bytes it freed (statistics only: the ledger is the truth). Shrinkers must not
 * await (a charge is synchronous), so dirty data that needs writeback cannot be shrunk here.
 * A charge made from inside a shrinker does not recurse into shrinking.
 */
import { VmError, type KernelHeapLimits } from "./limits.ts";

export type Shrinker = (wantBytes: number) => number;

export interface KernelHeapStats {
  readonly edmm: boolean;
  readonly init: number;
  readonly max: number;
  readonly used: number;
  readonly peak: number;
  /** Peak until markStarted(). */
  readonly startupPeak: number;
  /** Bytes charged by each owner right now. */
  readonly byOwner: Readonly<Record<string, number>>;
  readonly shrinkCalls: number;
  readonly shrunkBytes: number;
  readonly failedCharges: number;
}

export class KernelHeap {
  readonly limits: KernelHeapLimits;
  readonly limit: number;
  private used = 0;
  private peak = 0;
  private startupPeak = 0;
  private started = false;
  private shrinking = false;
  private shrinkCalls = 0;
  private shrunkBytes = 0;
  private failed = 0;
  private readonly owners = new Map<string, number>();
  private readonly shrinkers: { readonly name: string; readonly fn: Shrinker }[] = [];

  constructor(limits: KernelHeapLimits) {
    if (!(limits.init >= 0 && limits.max >= limits.init)) throw new RangeError(`kernel heap Init ${limits.init} > Max ${limits.max}`);
    this.limits = limits;
    this.limit = limits.edmm ? limits.max : Math.max(limits.init, limits.max);
  }

  get inUse(): number {
    return this.used;
  }

  get available(): number {
    return this.limit - this.used;
  }

  /** Registers a cache's shrinker; returns the function that unregisters it. */
  registerShrinker(name: string, fn: Shrinker): () => void {
    const entry = { name, fn };
    this.shrinkers.push(entry);
    return () => {
      const i = this.shrinkers.indexOf(entry);
      if (i >= 0) this.shrinkers.splice(i, 1);
    };
  }

  /** Charges `bytes` to `who`, shrinking caches first if needed; false if it still does not fit. */
  tryCharge(bytes: number, who: string): boolean {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`bad charge ${bytes}`);
    if (this.used + bytes > this.limit) this.shrink(bytes);
    if (this.used + bytes > this.limit) {
      this.failed++;
      return false;
    }
    this.used += bytes;
    this.owners.set(who, (this.owners.get(who) ?? 0) + bytes);
    if (this.used > this.peak) this.peak = this.used;
    if (!this.started && this.used > this.startupPeak) this.startupPeak = this.used;
    return true;
  }

  /** As tryCharge, but throws VmError(code) for the operation that needed the memory. */
  charge(bytes: number, who: string, code: "ENOMEM" | "ENOSPC" = "ENOMEM"): void {
    if (!this.tryCharge(bytes, who)) {
      throw new VmError(code, `kernel heap exhausted: ${who} needs ${bytes} bytes, ${this.used} of ${this.limit} in use`);
    }
  }

  uncharge(bytes: number, who: string): void {
    const had = this.owners.get(who) ?? 0;
    if (bytes > had) throw new Error(`kernel heap: ${who} uncharges ${bytes} bytes but holds ${had}`);
    if (had === bytes) this.owners.delete(who);
    else this.owners.set(who, had - bytes);
    this.used -= bytes;
  }

  markStarted(): void {
    this.started = true;
  }

  stats(): KernelHeapStats {
    return {
      edmm: this.limits.edmm, init: this.limits.init, max: this.limit, used: this.used, peak: this.peak,
      startupPeak: this.startupPeak, byOwner: Object.fromEntries(this.owners), shrinkCalls: this.shrinkCalls,
      shrunkBytes: this.shrunkBytes, failedCharges: this.failed,
    };
  }

  /** Asks shrinkers, in order, until `bytes` more would fit. */
  private shrink(bytes: number): void {
    if (this.shrinking) return;
    this.shrinking = true;
    try {
      for (const { fn } of [...this.shrinkers]) {
        const excess = this.used + bytes - this.limit;
        if (excess <= 0) break;
        const before = this.used;
        this.shrinkCalls++;
        fn(excess);
        this.shrunkBytes += Math.max(0, before - this.used);
      }
    } finally {
      this.shrinking = false;
    }
  }
}
