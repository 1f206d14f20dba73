/**
 * Kernel: the state one booted instance shares between its processes (one VFS, one process
 * table, one logger). Several kernels may run in one Node process (tests, `occlum exec` later);
 * they share only the executor (one event loop = one vCPU).
 */
import type { Vfs } from "./fs/types.ts";
import type { Logger } from "./log.ts";
import type { ProcessTable } from "./process/process-table.ts";

export interface Kernel {
  readonly vfs: Vfs;
  readonly log: Logger;
  readonly processes: ProcessTable;
}
