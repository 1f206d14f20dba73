/**
 * Differential conformance of POSIX file locking: fcntl record locks (F_SETLK, F_SETLKW, F_GETLK:
 * ranges that split and merge, SEEK_CUR/SEEK_END, l_len 0 and negative, upgrade and downgrade,
 * shared read locks, the conflicting lock's type/start/len/pid, EBADF/EINVAL/EAGAIN), their
 * POSIX semantics (locks belong to the process: a second fd never conflicts, closing any fd of the
 * file drops them all, exit drops them; F_SETLKW waits for the holder, detects a two-process
 * deadlock with EDEADLK, fails with EINTR when a handler without SA_RESTART runs and goes on
 * waiting after one with SA_RESTART), open file description locks (F_OFD_*: two open()s
 * conflict, dup shares, the last close releases, l_pid 0
 * on set and -1 reported, OFD and POSIX locks conflict), flock() (LOCK_SH/EX/UN/NB, dup shares,
 * Linux's non-atomic conversion, last close releases, a blocking LOCK_EX waits, independent of
 * fcntl locks) and lockf() (F_LOCK/F_TLOCK/F_ULOCK/F_TEST at the current offset), between
 * processes started with posix_spawn: test/guest/fs/conform_locks.c prints exactly what Linux
 * prints. LINUX is its output on Linux 6.18 (`gcc -O2 -o /tmp/cl test/guest/fs/conform_locks.c &&
 * cd /tmp && /tmp/cl`, run natively; identical over repeated runs).
 */
import { test, before, after } from "node:test";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { assertPrintsLinux, makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  inst = await makeInstance({ programs: { "/bin/conform_locks": await buildGuest("test/guest/fs/conform_locks.c", { mode: "posix" }) } });
});

after(async () => {
  await inst?.cleanup();
});

test("file locks print what Linux prints", { skip }, async () => {
  assertPrintsLinux(await run(inst, "/bin/conform_locks"), LINUX);
});

const LINUX = `== ranges, split, merge, upgrade, downgrade
setlk w 0 100: ok
getlk w 0 100: UNLCK 0 100 pid=0
setlk u 40 20: ok
  child getlk w 0 100: WRLCK 0 40 pid=parent
  child getlk w 40 20: UNLCK 40 20 pid=0
  child getlk w 50 100: WRLCK 60 40 pid=parent
  child getlk r 99 1: WRLCK 60 40 pid=parent
setlk w 40 20: ok
  child getlk r 0 1000: WRLCK 0 100 pid=parent
setlk r 100 100: ok
setlk r 0 50: ok
  child getlk r 0 300: WRLCK 50 50 pid=parent
  child getlk w 0 300: RDLCK 0 50 pid=parent
  child getlk w 150 1: RDLCK 100 100 pid=parent
  child setlk r 0 50: ok
  child setlk r 0 51: EAGAIN
  child setlk w 150 1: EAGAIN
setlk w 0 200: ok
  child getlk r 0 1: WRLCK 0 200 pid=parent
  child getlk r 199 5: WRLCK 0 200 pid=parent
  child getlk r 200 1: UNLCK 200 1 pid=0
setlk u 0 0: ok
  child getlk w 0 0: UNLCK 0 0 pid=0
== whence, len 0, negative len, errors
setlk w 5 10 cur: ok
setlk w -10 10 end: ok
setlk w 50 -10: ok
setlk r 3000 0: ok
  child getlk w 0 100: WRLCK 40 10 pid=parent
  child getlk w 100 100: WRLCK 105 10 pid=parent
  child getlk w 1000 1000: WRLCK 1990 10 pid=parent
  child getlk w 2500 0: RDLCK 3000 0 pid=parent
  child getlk r 99999 1: UNLCK 99999 1 pid=0
  child getlk w -1 1 end: WRLCK 1990 10 pid=parent
  child getlk w 120 -10: WRLCK 105 10 pid=parent
  child getlk w 1 0 cur: WRLCK 40 10 pid=parent
setlk w 5 -10: EINVAL
setlk w -1 10: EINVAL
setlk w -200 5 cur: EINVAL
setlk w -3000 5 end: EINVAL
setlk x 0 10: EINVAL
setlk w 0 10 whence?: EINVAL
getlk u 0 10: EINVAL
getlk x 0 10: EINVAL
getlk w 0 10 whence?: EINVAL
getlk w 5 -10: EINVAL
setlk w 0 10: EBADF
setlk r 0 10: ok
getlk w 0 10: UNLCK 0 10 pid=0
setlk u 0 10: ok
setlk r 0 10: EBADF
setlk w 0 10: ok
ofd-setlk r 0 10: EBADF
ofd-setlk w 0 10: EBADF
fd -1: setlk w 0 10: EBADF
fd -1: getlk w 0 10: EBADF
fd -1: ofd-setlk w 0 10: EBADF
== locks belong to the process
setlk w 0 100: ok
setlk w 0 100: ok
getlk w 0 100: UNLCK 0 100 pid=0
setlk u 50 50: ok
  child getlk w 0 100: WRLCK 0 50 pid=parent
  child getlk w 0 100: UNLCK 0 100 pid=0
setlk w 0 10: ok
  child getlk w 0 10: UNLCK 0 10 pid=0
setlk r 0 100: ok
  child setlk r 0 100: ok
  child setlk w 0 10: EAGAIN
  child getlk w 0 10: RDLCK 0 100 pid=parent
setlk w 0 10: EAGAIN
getlk w 50 10: RDLCK 0 100 pid=child
getlk w 50 10: UNLCK 50 10 pid=0
setlk w 0 10: ok
== F_SETLKW waits, detects deadlock, is interrupted
setlk w 0 100: ok
child blocked: yes
  child setlkw w 50 10: ok
  child marker: U
unlock 0 100: ok
setlk r 0 100: ok
child blocked: yes
  child setlkw w 0 1: ok
  child marker: U
setlk w 0 1: ok
  child setlk w 1 1: ok
setlkw w 1 1: EDEADLK
  child setlkw w 0 1: ok
unlock 0 1: ok
  child setlk w 0 10: ok
setlkw w 0 10: EINTR
handler ran: yes
getlk w 0 10: WRLCK 0 10 pid=child
getlk w 0 10: UNLCK 0 10 pid=0
  child setlk w 0 10: ok
setlkw w 0 10: ok
handler ran: yes
== open file description locks
ofd-setlk w 0 100: ok
ofd-setlk w 0 10: EAGAIN
ofd-setlk r 50 10: EAGAIN
ofd-getlk w 0 10: WRLCK 0 100 pid=-1
setlk w 0 10: EAGAIN
getlk w 0 10: WRLCK 0 100 pid=-1
ofd-getlk w 0 10: UNLCK 0 10 pid=0
getlk w 0 10: WRLCK 0 100 pid=-1
  child ofd-getlk w 0 10: WRLCK 0 100 pid=-1
  child getlk r 0 10: WRLCK 0 100 pid=-1
  child ofd-setlk r 0 10: EAGAIN
  child setlk r 0 10: EAGAIN
ofd-setlk r 0 100: ok
ofd-setlk r 0 10: ok
ofd-setlk u 0 10: ok
ofd-setlk w 0 100: ok
ofd-getlk w 0 10: WRLCK 0 100 pid=-1
ofd-getlk w 0 10: UNLCK 0 10 pid=0
ofd-setlk with l_pid 1: EINVAL
ofd-getlk with l_pid 1: EINVAL
setlk w 200 10: ok
ofd-setlk w 200 1: EAGAIN
ofd-getlk w 0 1000: WRLCK 200 10 pid=parent
ofd-setlk w 0 50: ok
child blocked: yes
  child ofd-setlkw w 0 10: ok
  child marker: U
  child ofd-setlk w 300 10: ok
ofd-getlk w 0 1000: WRLCK 300 10 pid=-1
getlk w 0 1000: WRLCK 300 10 pid=-1
ofd-getlk w 0 1000: UNLCK 0 1000 pid=0
== flock
flock ex|nb: ok
flock sh|nb: EAGAIN
flock ex|nb: EAGAIN
  child flock sh|nb: EAGAIN
flock ex|nb: ok
flock un: ok
flock sh|nb: ok
flock sh|nb: ok
flock ex|nb: EAGAIN
flock ex|nb: ok
flock un: ok
flock sh: ok
flock ex|nb: ok
flock sh|nb: EAGAIN
flock sh|nb: EAGAIN
flock sh|nb: ok
flock un: ok
flock ex|nb: ok
  child ofd-setlk w 200 10: ok
  child setlk w 0 100: ok
  child flock sh|nb: EAGAIN
setlk w 0 100: ok
ofd-setlk w 200 10: ok
child blocked: yes
  child flock ex: ok
  child marker: U
flock un: ok
flock 0: EINVAL
fd -1: flock sh|nb: EBADF
fd -1: flock 0: EINVAL
flock ex|nb: ok
== lockf
lockf lock 100 50: ok
lockf lock 100 -10: ok
lockf tlock 3000 0: ok
setlk r 500 10: ok
  child getlk w 0 1000: WRLCK 90 60 pid=parent
  child getlk w 150 100: UNLCK 150 100 pid=0
  child getlk w 2000 2000: WRLCK 3000 0 pid=parent
  child lockf test 120 1: EACCES
  child lockf test 500 10: ok
  child lockf tlock 0 10: ok
  child lockf tlock 95 10: EAGAIN
  child lockf test 200 100: ok
  child lockf lock 200 10: ok
lockf ulock 100 25: ok
lockf test 0 10: ok
  child getlk w 0 1000: WRLCK 90 10 pid=parent
  child getlk w 100 1000: WRLCK 125 25 pid=parent
  child lockf tlock 100 25: ok
lockf 99 0 10: EINVAL
lockf lock 0 10: EBADF
lockf test 0 10: ok
fd -1: lockf tlock 0 10: EBADF
`;
