/**
 * The `occlum` module's root directory fd, for sdk/libc/preopen.c: root_dirfd() -> the fd the
 * libc resolves absolute paths from (process/fd-table.ts ROOT_DIRFD). Importing it is also how a
 * program says it needs no root preopen at fd 3 (process/run.ts), so fd 3 is its first free fd.
 */
import { R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import { ROOT_DIRFD } from "../../process/fd-table.ts";

function occlum_root_dirfd(): number {
  return ROOT_DIRFD;
}

export const occlumRootRows: readonly SyscallRow[] = [
  row("root_dirfd", [], R.size, occlum_root_dirfd, { note: "the root directory's fd, apart from the fd numbers (a program that imports this has no preopen at fd 3)" }),
];
