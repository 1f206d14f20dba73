/**
 * wasix_32v1 rows for threads and futexes (thread_spawn_v2, thread_exit, thread_id, thread_signal,
 * thread_parallelism, futex_wait/wake/wake_all, ...). Owned by the threads work (issue 6);
 * composed into the wasix_32v1 table by ./table.ts.
 */
import type { SyscallRow } from "../table.ts";

export const threadRows: readonly SyscallRow[] = [];
