/**
 * Calls wasix-libc declares without defining (programs that used them did not link) or gets wrong,
 * which sdk/libc supplies: err.h's warn/warnx/err/errx and their v- forms (sdk/libc/err.c, with
 * the program's name that sdk/libc/progname.c sets: the libc left __progname NULL), ctermid and
 * cuserid (sdk/libc/login.c), pthread_attr_getschedpolicy/getschedparam and a setschedpolicy that
 * refuses what glibc refuses (sdk/libc/threads.c). test/guest/process/conform_libc_extras.c prints
 * exactly what Linux prints, on stdout and on stderr, the exiting forms from children it spawns.
 * LINUX_OUT and LINUX_ERR are its output on Linux 6.18, glibc 2.36 (`gcc -O2 -pthread -o
 * /tmp/conform_libc_extras test/guest/process/conform_libc_extras.c && /tmp/conform_libc_extras`,
 * as root, whose /etc/passwd names uid 0 "root": the instance gets the same line).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  inst = await makeInstance({
    programs: { "/bin/conform_libc_extras": await buildGuest("test/guest/process/conform_libc_extras.c", { mode: "posix", flags: ["-pthread"] }) },
    files: { "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n" },
  });
});

after(async () => {
  await inst?.cleanup();
});

test("err.h, ctermid, cuserid and the scheduling attributes print what Linux prints", { skip }, async () => {
  const r = await run(inst, "/bin/conform_libc_extras");
  assert.equal(r.stdout, LINUX_OUT);
  assert.equal(r.stderr, LINUX_ERR);
  assert.equal(r.code, 0);
});

const LINUX_OUT = `errno after warn: ENOENT
ctermid: /dev/tty /dev/tty
cuserid: root root
attr default: getschedpolicy 0 policy 0, getschedparam 0 priority 0
setschedpolicy(SCHED_FIFO): 0, now SCHED_FIFO
setschedparam(10): 0, now 10
setschedpolicy(99): EINVAL
setschedpolicy(SCHED_BATCH): EINVAL
err exits 3
errx exits 4
err-null exits 5
`;

const LINUX_ERR = `conform_libc_extras: warn 1: No such file or directory
conform_libc_extras: warnx two
conform_libc_extras: Invalid argument
conform_libc_extras: 
conform_libc_extras: vwarn 3: No such file or directory
conform_libc_extras: vwarnx ff
conform_libc_extras: err here: No such file or directory
conform_libc_extras: errx 42
conform_libc_extras: No such file or directory
`;
