/**
 * Differential conformance of syscall(SYS_futex, ...), which Linux programs call directly (no libc
 * function wraps it) and wasix-libc lacked entirely (sdk/libc/syscall.c, the kernel's occlum.futex
 * in src/libos/syscall/occlum/futex-rows.ts): FUTEX_WAIT (the word compared, relative timeouts,
 * EINVAL for a bad timespec), FUTEX_WAKE (counts, a count of 0 waking one), FUTEX_REQUEUE and
 * FUTEX_CMP_REQUEUE (woken + moved as the count, EAGAIN for a differing word, waiters moved to
 * another word and woken there, onto the same word, a moved waiter's own timeout),
 * FUTEX_WAIT_BITSET/FUTEX_WAKE_BITSET (absolute deadlines on either clock, masks), FUTEX_WAKE_OP
 * (each update and comparison, signed arguments, an unknown comparison failing after the
 * update), the PI operations (LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI: the owner's tid in the word,
 * FUTEX_WAITERS, a hand-over to the oldest waiter, EDEADLK/EPERM/ESRCH/EAGAIN, timeouts on either
 * clock, a waiting lock restarted after a handler without SA_RESTART, an owner that ends passing it
 * on with FUTEX_OWNER_DIED), the requeue of a condition's waiters onto a PI lock
 * (FUTEX_WAIT_REQUEUE_PI / FUTEX_CMP_REQUEUE_PI: a free lock taken for the oldest waiter, which
 * returns owning it; a held one waited for, its unlocks handing it on; the word's FUTEX_WAITERS as
 * Linux writes it; a deadline before or after the move; a handler before the move restarting the
 * wait, after it ending it with EAGAIN; EINVAL for a plain wake, requeue or wake_op reaching such a
 * waiter, a FUTEX_WAIT waiter in the mix or another target, ESRCH, EDEADLK; conform_futex_rqpi.c), the private forms, EINVAL, EFAULT (but a private futex's wake or requeue target at
 * an unmapped word finds nobody, as Linux) and ENOSYS cases, a wait interrupted by a handler
 * (EINTR without SA_RESTART, waiting on with it). test/guest/threads/conform_futex.c prints exactly what Linux prints, with the
 * waiters next to the waker on the kernel thread and on vCPU workers. LINUX is its output on Linux
 * 6.18 (`gcc -O2 -pthread -o /tmp/cf test/guest/threads/conform_futex.c && /tmp/cf`, glibc; the
 * same over repeated runs).
 */
import { test, before, after } from "node:test";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { assertPrintsLinux, makeInstance, run, type Instance } from "../helpers.ts";
import { setVcpuCount, setVcpuPlacement } from "../../../src/libos/vcpu/index.ts";

const skip = posixSkip();
const timeout = 60_000;
let inst: Instance;

before(async () => {
  if (skip) return;
  inst = await makeInstance({
    programs: {
      "/bin/conform_futex": await buildGuest("test/guest/threads/conform_futex.c", { mode: "posix", flags: ["-pthread"] }),
      "/bin/conform_futex_rqpi": await buildGuest("test/guest/threads/conform_futex_rqpi.c", { mode: "posix", flags: ["-pthread"] }),
    },
  });
});

after(async () => {
  setVcpuCount(1);
  setVcpuPlacement("affine");
  await inst?.cleanup();
});

for (const [label, vcpus, placement] of [["one vCPU", 1, "affine"], ["waiters on vCPU workers", 3, "spread"]] as const) {
  test(`syscall(SYS_futex) prints what Linux prints (${label})`, { skip, timeout }, async () => {
    setVcpuCount(vcpus);
    setVcpuPlacement(placement);
    assertPrintsLinux(await run(inst, "/bin/conform_futex"), LINUX);
  });

  test(`FUTEX_WAIT_REQUEUE_PI / FUTEX_CMP_REQUEUE_PI print what Linux prints (${label})`, { skip, timeout }, async () => {
    setVcpuCount(vcpus);
    setVcpuPlacement(placement);
    assertPrintsLinux(await run(inst, "/bin/conform_futex_rqpi"), LINUX_REQUEUE_PI);
  });
}

const LINUX = `wait, word differs: -1 EAGAIN
wait private, word differs: -1 EAGAIN
wait 30 ms: -1 ETIMEDOUT
  waited at least 30 ms: 1
wait 0 ns: -1 ETIMEDOUT
wait, tv_nsec 1e9: -1 EINVAL
wait, tv_sec -1: -1 EINVAL
wake, nobody waits: 0
wake private, nobody waits: 0
wake, unaligned: -1 EINVAL
wait, unaligned: -1 EINVAL
cmp_requeue, unaligned target: -1 EINVAL
wait, unmapped word: -1 EFAULT
wake, unmapped word: -1 EFAULT
cmp_requeue, unmapped target: -1 EFAULT
wake private, unmapped word: 0
cmp_requeue private, unmapped target: 0
cmp_requeue private, unmapped word: -1 EFAULT
wake_op private, unmapped word: 0
wake_op private, unmapped target: -1 EFAULT
cmp_requeue, nwake -1: -1 EINVAL
cmp_requeue, nmove -1: -1 EINVAL
requeue, nmove -1: -1 EINVAL
cmp_requeue, word differs: -1 EAGAIN
cmp_requeue, nobody waits: 0
operation 99: -1 ENOSYS
FUTEX_CLOCK_REALTIME with FUTEX_WAKE: -1 ENOSYS
syscall(SYS_gettid) is gettid(): 1
syscall(99999): -1 ENOSYS
wake 1 of 4: 1
after wake 1: returned 1
cmp_requeue, word differs: -1 EAGAIN
cmp_requeue 0 woken, 2 moved to B: 2
after the requeue: returned 1
wake all of A: 1
after wake all of A: returned 2
wake 1 of B: 1
after wake 1 of B: returned 3
wake 0 of B: 1
after wake 0 of B: returned 4
wake B, empty now: 0
  waiter 0: 0 
  waiter 1: 0 
  waiter 2: 0 
  waiter 3: 0 
requeue 1 woken, 1 moved: 2
after the requeue: returned 1
wake all of B: 1
after wake all of B: returned 2
wake all of A: 1
after wake all of A: returned 3
  waiter 0: 0 
  waiter 1: 0 
  waiter 2: 0 
cmp_requeue onto itself, 1 woken, 5 moved: 3
after it: returned 1
wake all of A: 2
after wake all: returned 3
  waiter 0: 0 
  waiter 1: 0 
  waiter 2: 0 
wake a 5 s wait: 1
after the wake: returned 1
  waiter 0: 0 
requeue a 200 ms wait onto B: 1
after its timeout: returned 1
  waiter 0: -1 ETIMEDOUT
wait_bitset, mask 0: -1 EINVAL
wake_bitset, mask 0: -1 EINVAL
wait_bitset, word differs: -1 EAGAIN
wait_bitset until monotonic now + 30 ms: -1 ETIMEDOUT
  waited at least 25 ms: 1
wait_bitset until a monotonic time past: -1 ETIMEDOUT
wait_bitset until realtime now + 30 ms: -1 ETIMEDOUT
  waited at least 25 ms: 1
wake_bitset, nobody waits: 0
wake_bitset mask 4: 1
wake_bitset mask 2, count 1: 1
after it: returned 2
wake_bitset mask 2: 1
after it: returned 3
wake (every bit): 1
after it: returned 4
  waiter 0: 0 
  waiter 1: 0 
  waiter 2: 0 
  waiter 3: 0 
wake_op B+=3, B>4?, nobody waits: 0
  B=8
wake_op, unknown operation: -1 ENOSYS
  B=8
wake_op, unknown comparison: -1 ENOSYS
  B=9
wake_op B|=1<<4, B<-1? (signed): 0
  B=25
wake_op, unaligned B: -1 EINVAL
wake_op B=8, B==0?, 1 on A, 1 on B: 2
after it: returned 2
  B=8
wake_op B^=8, B!=8?, 0 on A (one), 5 on B: 1
after it: returned 3
  B=0
wake_op B&=~0, B>=0?, 0 on B: 1
after it: returned 4
  waiter 0: 0 
  waiter 1: 0 
  waiter 2: 0 
  waiter 3: 0 
no SA_RESTART: handled 1, returned 1
  waiter 0: -1 EINTR
SA_RESTART: handled 1, returned 0
  wake after the handler: 1
  waiter 0: 0 
lock_pi of a free word: 0
  then: owner main
lock_pi again: -1 EDEADLK
trylock_pi by the owner: -1 EDEADLK
  trylock_pi by another thread: -1 EAGAIN
  unlock_pi by a non-owner: -1 EPERM
  lock_pi until realtime now + 30 ms: -1 ETIMEDOUT
  after it: owner main +waiters
  lock_pi2 until monotonic now + 30 ms: -1 ETIMEDOUT
  after the other thread's timeouts: owner main +waiters
unlock_pi: 0
  then: owner nobody
unlock_pi of a free word: -1 EPERM
trylock_pi of a free word: 0
  t0 waits: owner main +waiters
  t1 waits too: owner main +waiters
unlock_pi with two waiters: 0
  t0: lock_pi 0, the word then named t0, its unlock_pi 0
  t1: lock_pi 0, the word then named t1, its unlock_pi 0
  at the end: owner nobody
unlock_pi after the waiter's handler ran: 0
  t0: handled 1, lock_pi 0, the word then named t0
  after its owner ended, t0: lock_pi 0, the word named t0 +owner-died +waiters
lock_pi of a word naming an ended thread: -1 ESRCH
lock_pi of a word naming no thread: -1 ESRCH
trylock_pi of a word naming no thread: -1 ESRCH
lock_pi with a bad timeout: -1 EINVAL
lock_pi with FUTEX_CLOCK_REALTIME: -1 ENOSYS
lock_pi, unaligned: -1 EINVAL
`;

/** conform_futex_rqpi.c on Linux 6.18, glibc (`gcc -O2 -pthread -o /tmp/rq test/guest/threads/conform_futex_rqpi.c && /tmp/rq`; the same over repeated runs). */
const LINUX_REQUEUE_PI = `wait_requeue_pi, the same word twice: -1 EINVAL
wait_requeue_pi, word differs: -1 EAGAIN
wait_requeue_pi, unaligned target: -1 EINVAL
wait_requeue_pi, bad timeout: -1 EINVAL
wait_requeue_pi until monotonic now + 30 ms: -1 ETIMEDOUT
  waited at least 25 ms: 1
wait_requeue_pi until realtime now + 30 ms: -1 ETIMEDOUT
  waited at least 25 ms: 1
cmp_requeue_pi, nwake 2: -1 EINVAL
cmp_requeue_pi, nwake 0: -1 EINVAL
cmp_requeue_pi, nmove -1: -1 EINVAL
cmp_requeue_pi, onto the same word: -1 EINVAL
cmp_requeue_pi, word differs: -1 EAGAIN
cmp_requeue_pi, nobody waits: 0
  M: owner nobody
FUTEX_CLOCK_REALTIME with cmp_requeue_pi: -1 ENOSYS
cmp_requeue_pi, M free, 1 waiter: 1
  w0: 0 , M then named w0, its unlock 0
  M after: owner nobody
cmp_requeue_pi, M held, 3 waiters, move 1: 2
  M: owner main +waiters
wake on C (a requeue-PI waiter there): -1 EINVAL
wake_bitset on C: -1 EINVAL
cmp_requeue of C onto M2: -1 EINVAL
requeue of C onto M2: -1 EINVAL
wake_op, C first: -1 EINVAL
wake_op, C second: -1 EINVAL
wake_op, C second, comparison false: 0
cmp_requeue_pi, another target than the waiter's: -1 EINVAL
unlock_pi by main: 0
  w0: 0 , M then named w0 +waiters, its unlock 0
  w1: 0 , M then named w1 +waiters, its unlock 0
  M after w0 and w1: owner nobody
cmp_requeue_pi, the last waiter: 1
  w2: 0 , M then named w2 +waiters, its unlock 0
  M at the end: owner nobody
cmp_requeue_pi of a FUTEX_WAIT waiter: -1 EINVAL
wake it: 1
  its wait: 0
cmp_requeue_pi, M held, a waiter with a 200 ms deadline: 1
  w0: -1 ETIMEDOUT, M then named main +waiters, its unlock 0
  M after its timeout: owner main +waiters
unlock_pi by main: 0
  M: owner nobody
signal before the requeue: handled 1
cmp_requeue_pi, M free: 1
  w0: 0 , M then named w0, its unlock 0
cmp_requeue_pi, M held: 1
signal after the requeue: handled 1
  w0: -1 EAGAIN, M then named main +waiters, its unlock 0
  M: owner main +waiters
unlock_pi by main: 0
cmp_requeue_pi, M naming no thread: -1 ESRCH
cmp_requeue_pi, M free again: 1
  w0: 0 , M then named w0 +waiters, its unlock 0
  M: owner w0
cmp_requeue_pi, the waiter owns M: -1 EDEADLK
  w0: -1 ETIMEDOUT, M then named w0, its unlock 0
  M at the end: owner nobody
`;
