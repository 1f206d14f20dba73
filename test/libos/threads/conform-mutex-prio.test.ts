/**
 * Mutex priority protocols (sdk/libc/mutexprio.c): wasix-libc lacked
 * pthread_mutexattr_{get,set}prioceiling (programs did not link), its setprotocol accepted any
 * value and kept none (getprotocol always said PTHREAD_PRIO_NONE), its
 * pthread_mutex_{get,set}prioceiling always failed, and it destroyed process-shared mutexes of
 * the recursive and errorcheck types with EINVAL. test/guest/threads/conform_mutex_prio.c prints
 * the attributes, the ceilings of PRIO_PROTECT mutexes, the EINVAL of every other mutex, and what
 * locks do under each protocol for an ordinary thread (PRIO_PROTECT: EINVAL, as glibc's raise to
 * the ceiling fails for SCHED_OTHER); LINUX is its output on Linux 6.18, glibc 2.36 (`gcc -O2
 * -pthread -o /tmp/cmp test/guest/threads/conform_mutex_prio.c && /tmp/cmp`, the same over
 * repeated runs). Run on one vCPU and with the new threads on vCPU workers.
 */
import { test, before, after } from "node:test";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { assertPrintsLinux, makeInstance, run, type Instance } from "../helpers.ts";
import { setVcpuCount, setVcpuPlacement } from "../../../src/libos/vcpu/index.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  inst = await makeInstance({ programs: { "/bin/conform_mutex_prio": await buildGuest("test/guest/threads/conform_mutex_prio.c", { mode: "posix", flags: ["-pthread"] }) } });
});

after(async () => {
  setVcpuCount(1);
  setVcpuPlacement("affine");
  await inst?.cleanup();
});

for (const [label, vcpus, placement] of [["one vCPU", 1, "affine"], ["threads on vCPU workers", 3, "spread"]] as const) {
  test(`mutex protocols and ceilings print what Linux prints (${label})`, { skip, timeout: 60_000 }, async () => {
    setVcpuCount(vcpus);
    setVcpuPlacement(placement);
    assertPrintsLinux(await run(inst, "/bin/conform_mutex_prio"), LINUX);
  });
}

const LINUX = `attr default getprotocol: 0
  protocol 0
attr default getprioceiling: 0
  ceiling 1
SCHED_FIFO priorities 1..99
setprotocol(1): 0
  protocol 1
setprotocol(2): 0
  protocol 2
setprotocol(0): 0
  protocol 0
setprotocol(3): EINVAL
  protocol 0
setprotocol(-1): EINVAL
  protocol 0
setprotocol(100): EINVAL
  protocol 0
setprioceiling(1): 0
  ceiling 1
setprioceiling(50): 0
  ceiling 50
setprioceiling(99): 0
  ceiling 99
setprioceiling(0): EINVAL
  ceiling 99
setprioceiling(100): EINVAL
  ceiling 99
setprioceiling(-1): EINVAL
  ceiling 99
setprioceiling(255): EINVAL
  ceiling 99
setprioceiling(256): EINVAL
  ceiling 99
setprioceiling(1000): EINVAL
  ceiling 99
all set: type 1 pshared 1 robust 1 protocol 2 ceiling 42
reset: type 0 ceiling 42
NONE init: 0
NONE getprioceiling: EINVAL
  ceiling -5
NONE setprioceiling(20): EINVAL
  old -5
NONE lock: 0
NONE trylock by other thread: EBUSY
NONE unlock: 0
NONE destroy: 0
static getprioceiling: EINVAL
  ceiling -5
static setprioceiling(20): EINVAL
  old -5
INHERIT init: 0
INHERIT getprioceiling: EINVAL
  ceiling -5
INHERIT setprioceiling(20): EINVAL
  old -5
INHERIT errorcheck lock: 0
INHERIT errorcheck relock: EDEADLK
INHERIT errorcheck trylock by other thread: EBUSY
INHERIT errorcheck unlock: 0
INHERIT errorcheck unlock again: EPERM
INHERIT destroy: 0
INHERIT recursive init: 0
INHERIT recursive lock: 0
INHERIT recursive relock: 0
INHERIT recursive unlock: 0
INHERIT recursive timedlock by other thread: ETIMEDOUT
INHERIT recursive unlock: 0
INHERIT recursive trylock by other thread: 0
INHERIT destroy: 0
PROTECT init, no ceiling set: 0
PROTECT getprioceiling: 0
  ceiling 1
PROTECT destroy: 0
PROTECT init, ceiling 10: 0
PROTECT getprioceiling: 0
  ceiling 10
PROTECT setprioceiling(20): 0
  old 10
PROTECT setprioceiling(30): 0
PROTECT setprioceiling(0): EINVAL
  old -5
PROTECT setprioceiling(100): EINVAL
  old -5
PROTECT setprioceiling(-1): EINVAL
  old -5
PROTECT getprioceiling: 0
  ceiling 30
PROTECT setprioceiling(99): 0
  ceiling 99
PROTECT setprioceiling(1): 0
  ceiling 1
PROTECT lock in a new thread: EINVAL
PROTECT trylock in a new thread: EINVAL
PROTECT timedlock in a new thread: EINVAL
PROTECT destroy: 0
PROTECT errorcheck init: 0
PROTECT errorcheck lock in a new thread: EINVAL
PROTECT errorcheck unlock, not held: EPERM
PROTECT errorcheck setprioceiling(7): 0
  old 50
PROTECT errorcheck destroy: 0
PROTECT recursive shared init: 0
  ceiling 50
PROTECT recursive shared lock in a new thread: EINVAL
PROTECT recursive shared destroy: 0
PROTECT robust init: ENOTSUP
shared type 0 destroy: 0
shared type 1 destroy: 0
shared type 2 destroy: 0
INHERIT mutex, two threads counting: 40000
`;
