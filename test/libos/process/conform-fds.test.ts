/**
 * Differential conformance of fd numbers (sdk/libc/preopen.c, process/fd-table.ts ROOT_DIRFD):
 * the first open() is fd 3, as on Linux; a program that closed every fd from 3 to 1023 (as daemons
 * do) or dup2'd stdout to fd 3 still opens files and directories by path, relative paths after
 * chdir too, and a spawned child inherits the pipe at fd 3 and opens files. Before, fd 3 was the
 * WASI root preopen: the first open() got 4, and once fd 3 was closed no path could be opened.
 * test/guest/process/conform_fds.c prints exactly what Linux prints. LINUX is its output on Linux
 * 6.18, glibc (`gcc -O2 -o /tmp/fds/conform_fds test/guest/process/conform_fds.c &&
 * /tmp/fds/conform_fds`; the same over repeated runs).
 */
import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "fd numbers", source: "test/guest/process/conform_fds.c", linux: () => LINUX });

const LINUX = `first open: 3
the next: 4
after closing fds 3-1023, open: 3
opendir("/"): 1
dup2(1, 3): 3
fopen with stdout at fd 3: 1, its fd 4
chdir(/tmp/conform_fds): 0
open("here.txt") relative: 3
it is /tmp/conform_fds/here.txt: 1
a pipe's write end at fd 3, its read end at 4
posix_spawn: 0; the child wrote to fd 3: child: open(/dev/null) 5
`;
