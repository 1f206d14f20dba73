/**
 * Kernel: the state one booted instance shares between its processes (one file system tree, one
 * process table, one logger). Several kernels may run in one Node process (tests, `occlum exec`
 * later); they share only the executor (one event loop = one vCPU) and the compile cache.
 */
import type { Vfs } from "./fs/types.ts";
import type { MqueueSource } from "./fs/mqueuefs/mqueuefs.ts";
import type { Logger } from "./log.ts";
import type { ProcessTable } from "./process/process-table.ts";
import type { Process } from "./process/process.ts";
import type { Vm } from "./vm/index.ts";

export interface FileSystemService {
  /** The path service as process `pid` sees it (procfs shows that process as /proc/self). */
  forProcess(pid: number): Vfs;
  /** Show the kernel's message queues at /dev/mqueue (createVfs's service has it; test doubles may not). */
  bindMqueue?(source: MqueueSource): void;
}

export interface Kernel {
  readonly fs: FileSystemService;
  readonly log: Logger;
  readonly processes: ProcessTable;
  /** Trace every syscall (OCCLUM_LOG_LEVEL=trace). */
  readonly trace: boolean;
  /** The memory manager (budgets of user space, kernel heap, threads); absent: nothing is charged. */
  readonly vm?: Vm;
  /**
   * A process with no parent in the LibOS (the instance's first one) completed a stop by `signo`:
   * nobody inside can continue it (process/job-control.ts; boot.ts decides what happens).
   */
  readonly onParentlessStop?: (p: Process, signo: number) => void;
}
