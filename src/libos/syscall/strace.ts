/**
 * strace-style formatting of one syscall (OCCLUM_LOG_LEVEL=trace), from the table's codecs:
 *   [pid 1:1] fd_write(1, [6]) = 6
 *   [pid 1:1] path_open(3, SYMLINK_FOLLOW, "nope", 0x0, 0x..., 0x..., 0x0) = -1 ENOENT
 */
import type { SyscallRow } from "./table.ts";
import type { Thread } from "../process/thread.ts";

export function formatCall(t: Thread, row: SyscallRow, args: readonly unknown[] | undefined, result: string): string {
  let shown: string;
  if (args === undefined) shown = "?";
  else shown = row.args.map((c, k) => (k < args.length ? c.show(args[k] as never) : "?")).join(", ");
  return `[pid ${t.process.pid}:${t.tid}] ${row.name}(${shown}) = ${result}`;
}
