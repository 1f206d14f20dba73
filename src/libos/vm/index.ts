/**
 * src/libos/vm/: the memory manager. User space (shared budget, really committed, EDMM Init/Max),
 * kernel heap ledger with shrinkers, thread contexts, the EDMM mismatch decision and the sizing
 * report. All synchronous but `Vm.bootOverlapped` (the boot commitment touched by a host service
 * the caller passes in); vm/ imports nothing above it (not even src/config: plain numbers).
 *
 * Wiring (for the boot, loader and kernel):
 * - boot: `p = platformEdmm(env)` (error line if !p.ok) → `m = decideRuntimeMode(
 *   limitsFromResolved(config), p.edmm, env)` → print `m.messages`, exit non-zero on `m.fatal` →
 *   `Vm.boot({ ...m.limits, userSpace: { ...m.limits.userSpace, hostCap } })` (or
 *   `Vm.bootOverlapped(limits, touch)`, awaiting `committed` before the first process) with hostCap e.g.
 *   90% of os.totalmem(); optionally `vm.userSpace.prewarm(...)` with the entry program's memory
 *   import; `vm.markStarted()` once the app's first process is instantiated.
 * - loader, imported memory: `pm = vm.userSpace.reserveForProcess(imp.initial, imp.maximum,
 *   { shared: imp.shared, owner: pid })` and import `pm.memory` (instead of `new Memory`).
 *   Defined memory: the same with `{ defined: true }` before instantiation, then
 *   `attach(pm, exports.memory)`. `memory.grow` rewritten into a kernel import that returns
 *   `vm.userSpace.grow(pm, delta)` (old size or -1: malloc gets NULL). A module left
 *   uninstrumented grows natively: call `sync(pm)` at syscalls/exit. At exit `release(pm)`.
 * - threads: `vm.threads.acquire(pid)` when a thread is created, `release(ctx)` when it ends.
 * - caches and buffers: `vm.kernelHeap.charge(bytes, who)` / `uncharge`, `registerShrinker`.
 * - errors: VmError.code "ENOMEM" | "EAGAIN" | "ENOSPC" → Errno.NOMEM / AGAIN / NOSPC
 *   (syscall/errno-map); spawn fails with it, grow returns -1.
 * - procfs: `vm.meminfo()`, `processStatus(pm, vm.threads.threadsOf(pid))`; at exit with
 *   --mem-report: `vm.report()`.
 */
import { KernelHeap } from "./kernel-heap.ts";
import { ThreadBudget } from "./threads.ts";
import { UserSpace, type AsyncToucher } from "./user-space.ts";
import { meminfo, sizingReport, type Peaks } from "./report.ts";
import type { VmLimits } from "./limits.ts";

export { VmError, WASM_PAGE, OS_PAGE, limitsFromResolved, occlumSize, touchPages, type VmLimits, type VmErrorCode, type UserSpaceLimits, type KernelHeapLimits, type ThreadLimits, type ResolvedSizes } from "./limits.ts";
export { UserSpace, ProcessMemory, type AsyncToucher, type ReserveOptions, type UserSpaceStats, type Refusal } from "./user-space.ts";
export { KernelHeap, type Shrinker, type KernelHeapStats } from "./kernel-heap.ts";
export { ThreadBudget, ThreadContext, DEFAULT_CONTEXT_BYTES, type ThreadStats } from "./threads.ts";
export { decideRuntimeMode, platformEdmm, type RuntimeMode, type MismatchCase, type PlatformEdmm } from "./mismatch.ts";
export { sizingReport, recommend, recommendationJson, roundSize, meminfo, processStatus, type Peaks, type Recommendation } from "./report.ts";

/** The three budgets together, as the boot holds them. */
export class Vm {
  readonly limits: VmLimits;
  readonly userSpace: UserSpace;
  readonly kernelHeap: KernelHeap;
  readonly threads: ThreadBudget;

  private constructor(limits: VmLimits, threadContextBytes?: number) {
    this.limits = limits;
    this.userSpace = new UserSpace(limits.userSpace);
    this.kernelHeap = new KernelHeap(limits.kernelHeap);
    this.threads = ThreadBudget.boot(limits.threads, threadContextBytes);
  }

  /** Commits the boot commitment of user space and prepares TCSNum thread contexts. */
  static boot(limits: VmLimits, threadContextBytes?: number): Vm {
    const vm = new Vm(limits, threadContextBytes);
    vm.userSpace.commitBoot();
    return vm;
  }

  /**
   * As boot, but user space's boot commitment is touched by `touch` off the JS thread
   * (UserSpace.commitBootAsync): `committed` resolves when it is done, and no process may be
   * started before (the boot overlaps it with mounting and compiling the first program).
   */
  static bootOverlapped(limits: VmLimits, touch: AsyncToucher, threadContextBytes?: number): { vm: Vm; committed: Promise<void> } {
    const vm = new Vm(limits, threadContextBytes);
    return { vm, committed: vm.userSpace.commitBootAsync(touch) };
  }

  /** End of start-up (the app's first process is instantiated): Init is sized by the peaks so far. */
  markStarted(): void {
    this.userSpace.markStarted();
    this.kernelHeap.markStarted();
    this.threads.markStarted();
  }

  peaks(): Peaks {
    return { userSpace: this.userSpace.stats(), kernelHeap: this.kernelHeap.stats(), threads: this.threads.stats(), kernelStack: this.limits.kernelStack };
  }

  report(): string {
    return sizingReport(this.peaks());
  }

  meminfo(): Record<string, number> {
    return meminfo(this.userSpace.stats(), this.kernelHeap.stats());
  }
}
