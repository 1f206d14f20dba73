/**
 * Differential conformance of threads (issue 6): three programs print one line per case, run in
 * this order (together they were one program; the split is along its case functions, and their
 * outputs concatenated are that program's):
 * - test/guest/threads/conform_threads_sync.c: mutex types, robust mutexes, rwlocks, condvars
 *   with CLOCK_MONOTONIC, barriers, once;
 * - test/guest/threads/conform_threads_life.c: keys and their destructors, join/detach errors,
 *   stacks, semaphores, scheduling calls, pthread_kill and masks, TLS/errno, cancellation, a
 *   handler interrupting a sleeping thread;
 * - test/guest/threads/conform_threads_proc.c: process-shared/PI attributes, names, own stacks,
 *   main's attributes, C11 threads, named semaphores, a process-directed signal taken by the one
 *   thread not blocking it; and argv[1] picks a process-ending case (exit() from a thread,
 *   pthread_exit() from main, a return from main with threads running, abort() in a thread, a
 *   fatal signal sent to a thread);
 * - test/guest/threads/conform_threads_cancel.c: cancellation at the blocking calls POSIX makes
 *   cancellation points (read, write, accept, recv, send, poll, select, epoll_wait, pause,
 *   sigsuspend, sleeps, waitpid, fcntl(F_OFD_SETLKW); open, tcdrain and msync with a cancellation pending), blocked in them or reaching them with a cancellation pending, and a
 *   reader of a trickle of bytes cancelled 60 times at varying moments (the cancellation signal
 *   landing between the libc's check and the call: Thread.armCancelWake);
 * - test/guest/threads/conform_threads_sigwait.c: sigwait/sigwaitinfo/sigtimedwait (a blocked
 *   pending signal taken without its handler, lowest first, EAGAIN, EINVAL, EINTR by another
 *   signal's handler, a dedicated signal thread, a signal sent to another thread left alone;
 *   siginfo's si_code, si_pid, si_uid and si_status for kill, SIGPIPE, an interval timer and
 *   a child's exit or death by a signal; sigqueue's values, real-time signals queueing every
 *   instance in order, a standard one pending once).
 * Their shared helpers are in test/guest/threads/conform_threads.h. The expected output is the
 * same programs' on Linux (gcc -O2 -pthread, glibc 2.36), copied verbatim. Run with the default
 * vCPUs, with 1, and with every spawned thread on a worker ("spread" over 3 vCPUs).
 *
 * Before the fixes in sdk/libc/threads.c (and the cancellation points in timedwait.c/signals.c),
 * the main thread's tid was the libc's 0x3fffffff (musl's "not recoverable" owner): errorcheck
 * relock/trylock and other threads' trylock of a mutex main held gave ENOTRECOVERABLE, and
 * pthread_kill(main) from a thread signalled the caller; robust mutexes never reported
 * EOWNERDEAD (the run hung); pthread_join of a detached thread trapped; pthread_cancel did
 * nothing (the join hung); pthread_kill(self) ran the handler after returning; names, main's
 * pthread_getattr_np and several scheduling calls failed or did not link. Before
 * sdk/libc/cancelpoints.c and the cancellation wrappers in sockets.c, poll.c and epoll.c, a
 * thread cancelled while blocked in read, accept, recv, poll... got EINTR and went on (its
 * joiner hung), and one reaching such a call with a cancellation pending blocked for good.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";
import { setVcpuCount, setVcpuPlacement, vcpuCount } from "../../../src/libos/vcpu/index.ts";

const skip = posixSkip();
/** A regression here tends to hang a thread: fail instead. */
const timeout = 120_000;
let inst: Instance;
let defaultVcpus = 1;
/** The programs, in the order they run (test/guest/threads/conform_threads_<name>.c). */
const names = ["sync", "life", "proc", "cancel", "sigwait"] as const;
type Name = (typeof names)[number];

before(async () => {
  if (skip) return;
  defaultVcpus = vcpuCount();
  const programs: Record<string, string> = {};
  for (const name of names) {
    programs[`/bin/conform_threads_${name}`] = await buildGuest(`test/guest/threads/conform_threads_${name}.c`, { mode: "posix", flags: ["-pthread"] });
  }
  inst = await makeInstance({ programs });
});

after(async () => {
  setVcpuCount(defaultVcpus);
  setVcpuPlacement("affine");
  await inst?.cleanup();
});

/** The output of each program on Linux (gcc -O2 -pthread conform_threads_<name>.c && ./a.out). */
const linux: Record<Name, string> = {
  sync: [
    "mutexattr default type is NORMAL/DEFAULT: 1",
    "mutexattr_settype 99: EINVAL",
    "mutexattr_settype ERRORCHECK: 0",
    "mutexattr_gettype is ERRORCHECK: 1",
    "errorcheck unlock unlocked: EPERM",
    "errorcheck lock: 0",
    "errorcheck relock: EDEADLK",
    "errorcheck trylock held by self: EBUSY",
    "errorcheck timedlock held by self: EDEADLK",
    "errorcheck unlock by other thread: EPERM",
    "errorcheck trylock by other thread: EBUSY",
    "errorcheck timedlock by other thread: ETIMEDOUT",
    "errorcheck unlock: 0",
    "errorcheck unlock again: EPERM",
    "recursive lock 1: 0",
    "recursive lock 2: 0",
    "recursive trylock 3: 0",
    "recursive timedlock 4: 0",
    "recursive trylock by other thread: EBUSY",
    "recursive unlock by other thread: EPERM",
    "recursive unlock 1: 0",
    "recursive unlock 2: 0",
    "recursive unlock 3: 0",
    "recursive unlock 4: 0",
    "recursive unlock 5: EPERM",
    "recursive trylock by other thread after: 0",
    "recursive trylock by self after: EBUSY",
    "normal trylock: 0",
    "normal trylock held by self: EBUSY",
    "normal trylock by other thread: EBUSY",
    "normal timedlock by other thread: ETIMEDOUT",
    "normal timedlock bad nsec (held): EINVAL",
    "normal unlock: 0",
    "normal timedlock bad nsec (free): 0",
    "normal timedlock past (free): 0",
    "normal timedlock past (held): ETIMEDOUT",
    "static initializer lock: 0",
    "static initializer unlock: 0",
    "mutex destroy: 0",
    "robust default STALLED: 1",
    "mutexattr_setrobust ROBUST: 0",
    "robust lock after owner died: EOWNERDEAD",
    "robust consistent: 0",
    "robust unlock: 0",
    "robust lock again: 0",
    "robust consistent when consistent: EINVAL",
    "robust unlock again: 0",
    "robust lock (owner died again): EOWNERDEAD",
    "robust unlock without consistent: 0",
    "robust lock now unrecoverable: ENOTRECOVERABLE",
    "rwlock rdlock 1: 0",
    "rwlock rdlock 2: 0",
    "rwlock tryrdlock 3: 0",
    "rwlock trywrlock while read-held: EBUSY",
    "rwlock timedwrlock while read-held: ETIMEDOUT",
    "rwlock trywrlock by other while read-held: EBUSY",
    "rwlock timedwrlock by other while read-held: ETIMEDOUT",
    "rwlock tryrdlock by other while read-held: 0",
    "rwlock unlock 1: 0",
    "rwlock unlock 2: 0",
    "rwlock unlock 3: 0",
    "rwlock wrlock: 0",
    "rwlock tryrdlock by other while write-held: EBUSY",
    "rwlock timedrdlock by other while write-held: ETIMEDOUT",
    "rwlock trywrlock by other while write-held: EBUSY",
    "rwlock unlock: 0",
    "rwlock trywrlock free: 0",
    "rwlock unlock: 0",
    "rwlock timedrdlock bad nsec (held): EINVAL",
    "rwlock timedrdlock bad nsec (free): EINVAL",
    "rwlock timedwrlock bad nsec (free): EINVAL",
    "rwlock destroy: 0",
    "condattr default clock REALTIME: 1",
    "condattr_setclock MONOTONIC: 0",
    "condattr_setclock PROCESS_CPUTIME: EINVAL",
    "condattr_getclock MONOTONIC: 1",
    "cond_signal no waiters: 0",
    "cond_broadcast no waiters: 0",
    "cond_timedwait MONOTONIC 60ms: ETIMEDOUT",
    "cond_timedwait waited 60ms..10s: 1",
    "cond_timedwait holds mutex after (trylock): EBUSY",
    "cond_timedwait MONOTONIC now: ETIMEDOUT",
    "cond_timedwait past: ETIMEDOUT",
    "cond_timedwait bad nsec: EINVAL",
    "cond_timedwait signalled: 0",
    "cond_timedwait flag: 1",
    "cond_timedwait REALTIME 30ms: ETIMEDOUT",
    "cond_timedwait errorcheck mutex not held: EPERM",
    "cond_broadcast: 0",
    "cond_broadcast woke: 5",
    "cond destroy: 0",
    "barrier_init count 0: EINVAL",
    "barrier_init count 4: 0",
    "barrier 3 rounds x 4: serial=3 zero=9",
    "barrier destroy: 0",
    "barrier of 1 is serial: 1",
    "pthread_once 8 threads: calls=1 all_saw_done=8",
    "pthread_once again: 0",
    "pthread_once calls after: 1",
    "",
  ].join("\n"),
  life: [
    "key_create k1: 0",
    "key_create k2: 0",
    "key_create k3: 0",
    "key destructors: d1 calls=4 sum=10 d2 calls=0 d3 calls=3",
    "main value kept: 500",
    "key_delete k2: 0",
    "setspecific k1: 0",
    "join pthread_exit value: 0",
    "  value is arg+1: 1",
    "join return value: 0",
    "  value: 77",
    "join NULL retval: 0",
    "join self: EDEADLK",
    "equal(self, self): 1",
    "child equal main: 0, child equal self: 1, equal(main, child): 0",
    "gettid: main == getpid: 1, child distinct: 1, child > 0: 1",
    "detach running: 0",
    "join detached (running): EINVAL",
    "attr default JOINABLE: 1",
    "attr_setdetachstate 7: EINVAL",
    "attr_setdetachstate DETACHED: 0",
    "create detached: 0",
    "join created-detached (running): EINVAL",
    "tryjoin_np running: EBUSY",
    "timedjoin_np running: ETIMEDOUT",
    "timedjoin_np finishing: 0",
    "  value: 9",
    "attr default stacksize >= 16K: 1",
    "attr_setstacksize 1 MiB: 0",
    "attr_getstacksize: 1048576",
    "attr_setstacksize 100: EINVAL",
    "attr_getstacksize after EINVAL: 1048576",
    "create with 1 MiB stack: 0",
    "getattr_np stack >= 1 MiB: 1, 768K array ok: 1",
    "attr default guardsize > 0: 1",
    "attr scope SYSTEM: 1",
    "attr_setscope PROCESS: ENOTSUP",
    "getschedparam self: 0",
    "  policy OTHER: 1, priority: 0",
    "sem_init 2: 0",
    "sem_getvalue: 2",
    "sem_trywait 1: 0",
    "sem_wait 2: 0",
    "sem_trywait empty: -1 EAGAIN",
    "sem_getvalue empty: 0",
    "sem_timedwait 50ms: -1 ETIMEDOUT",
    "sem_timedwait waited 50ms..10s: 1",
    "sem_timedwait bad nsec (empty): -1 EINVAL",
    "sem_timedwait past (empty): -1 ETIMEDOUT",
    "sem_post: 0",
    "sem_timedwait bad nsec (available): -1 EINVAL",
    "sem_timedwait past (available): 0",
    "sem_wait woken by post: 0",
    "sem_timedwait woken by post: 0",
    "sem_getvalue end: 0",
    "sem_init SEM_VALUE_MAX+1: -1 EINVAL",
    "sem_init SEM_VALUE_MAX: 0",
    "sem_post at SEM_VALUE_MAX: -1 EOVERFLOW",
    "sem_destroy: 0",
    "sched_yield: 0",
    "sysconf NPROCESSORS_ONLN > 0: ok",
    "sysconf NPROCESSORS_CONF >= ONLN: ok",
    "sched_getaffinity: 0 count > 0: ok",
    "sched_setaffinity same set: 0",
    "sched_setaffinity empty set: -1 EINVAL",
    "sched_get_priority_max OTHER: 0",
    "sched_get_priority_min OTHER: 0",
    "sched_get_priority_max FIFO: 99",
    "sched_get_priority_max 77: -1 EINVAL",
    "sched_getscheduler OTHER: 1",
    "sched_getparam: 0",
    "  priority: 0",
    "spin_init: 0",
    "spin_lock: 0",
    "spin_trylock held: EBUSY",
    "spin_unlock: 0",
    "spin_trylock free: 0",
    "clock_gettime THREAD_CPUTIME: 0",
    "pthread_kill(main, USR2) from a thread: 0",
    "  handler ran on main: 1",
    "pthread_kill self SIGUSR1: 0",
    "  handler ran on the thread before return: 1 sig is SIGUSR1: 1",
    "raise SIGUSR1 in a thread: 0",
    "  handler ran on the thread before return: 1",
    "pthread_sigmask block USR1: 0",
    "pthread_kill self blocked: 0",
    "  pending USR1: 1 handled: 0",
    "pthread_sigmask unblock USR1: 0",
    "  handled before unblock returned: 1",
    "main mask has USR1: 0",
    "kill(getpid(), USR2) from main: 0",
    "  handler ran before return: 1",
    "pthread_kill sig 0 to self: 0",
    "pthread_kill sig 65: EINVAL",
    "pthread_kill sig 256: EINVAL",
    "pthread_kill sig 999: EINVAL",
    "pthread_sigmask bad how: EINVAL",
    "tls child initial: 42, main after: 5",
    "errno per thread: child 1, main 0",
    "cancel thread in sem_wait: 0",
    "  join: 0",
    "  PTHREAD_CANCELED: 1 cleanup ran: 7",
    "cancel thread in sleep: 0",
    "  join: 0",
    "  PTHREAD_CANCELED: 1",
    "cancel thread with cancel disabled: 0",
    "  join: 0",
    "  PTHREAD_CANCELED: 1 reached: 1",
    "cancel thread in cond_wait: 0",
    "  join: 0",
    "  PTHREAD_CANCELED: 1 cleanup held the mutex: 1",
    "  mutex free after: 0",
    "setcancelstate 5: EINVAL",
    "setcanceltype ASYNC: 0",
    "  old type DEFERRED: 1",
    "nanosleep interrupted in a thread: -1 EINTR rem in (0,5s]: 1",
    "pthread_kill sleeping thread: 0",
    "  handler ran: 1",
    "getcpuclockid self: 0, negative 1, readable 1",
    "clock_getres of it: 0",
    "spinner's CPU time grew 100 ms: 1, the sleeper's under half of that: 1",
    "spinner's clock advances: 1",
    "",
  ].join("\n"),
  proc: [
    "mutexattr_setpshared SHARED: 0",
    "mutexattr_setpshared 9: EINVAL",
    "mutexattr_setprotocol INHERIT: 0",
    "PI mutex init: 0",
    "PI mutex lock: 0",
    "PI mutex trylock by other thread: EBUSY",
    "PI mutex unlock: 0",
    "PI mutex trylock: 0",
    "PI mutex unlock: 0",
    "barrierattr_setpshared SHARED: 0",
    "condattr_setpshared SHARED: 0",
    "rwlockattr_setpshared SHARED: 0",
    "setname_np short: 0",
    "getname_np: 0",
    "  name: worker-1",
    "setname_np 16 chars: ERANGE",
    "getname_np short buffer: ERANGE",
    "getname_np after ERANGE: 0",
    "  name: worker-1",
    "setname_np self: 0",
    "  self name: main-x",
    "attr_setstack: 0",
    "  getstack same: 1 1",
    "create on own stack: 0",
    "  value: 5",
    "getattr_np main: 0",
    "  main joinable: 1",
    "  main stack >= 64K: 1, holds a local: 1",
    "getpid in thread == main: 1",
    "mtx_init timed: 1",
    "cnd_init: 1",
    "tss_create: 1",
    "thrd_create: 1",
    "thrd_join: 1 res=33",
    "tss dtor calls: 1, call_once calls: 1",
    "cnd_timedwait timedout: 1",
    "thrd_equal self: 1",
    "thrd_sleep: 0",
    "sem_open create: ok",
    "sem_open O_EXCL again: EEXIST",
    "sem_wait named: 0",
    "sem_trywait named: -1 EAGAIN",
    "sem_post named: 0",
    "sem_close: 0",
    "sem_unlink: 0",
    "sem_unlink again: -1 ENOENT",
    "sem_open missing: ENOENT",
    "new thread inherits the blocked mask: 1",
    "kill(getpid(), USR1) with main blocking it: 0",
    "  taken by: the thread that does not block it",
    "done",
    "",
  ].join("\n"),
  cancel: [
    "OFD lock held: 0",
    "cancel thread blocked in read: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in readv: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in accept: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in recv: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in recvfrom: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in recvmsg: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in poll: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in select: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in epoll_wait: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in pause: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in sigsuspend: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in nanosleep: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in usleep: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in fcntl: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel pending at read: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at readv: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at accept: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at recv: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at recvfrom: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at recvmsg: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at poll: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at select: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at epoll_wait: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at pause: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at sigsuspend: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at nanosleep: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at usleep: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at fcntl: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel thread blocked in write: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel thread blocked in send: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel pending at write: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at send: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "cancel pending at open: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "  cancelled at open itself: 1",
    "cancel pending at tcdrain: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "  cancelled at tcdrain itself: 1",
    "cancel pending at msync: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "  cancelled at msync itself: 1",
    "cancel while disabled: 0, its read completed: 1, cancelled at testcancel: 1",
    "cancel a reader of a trickle, 60 times: cancelled 60",
    "cancel thread blocked in waitpid: 0, join: 0, PTHREAD_CANCELED: 1, cleanup ran: 1",
    "cancel pending at waitpid: 0, join: 0, PTHREAD_CANCELED: 1, went past getpid and a mutex: 1",
    "child killed: 1",
    "asynchronous cancel of a computing thread: 0, join 0, PTHREAD_CANCELED 1, cleanup ran 1, it computed 1",
    "setcanceltype: default deferred 1, reads back asynchronous 1",
    "done",
    "",
  ].join("\n"),
  sigwait: [
    "sigwait of a raised blocked signal: 0 sig 10, its handler ran 0",
    "still pending after: 0",
    "sigtimedwait with nothing pending: -1 EAGAIN, waited 50..2000 ms 1",
    "sigtimedwait bad nsec: -1 EINVAL",
    "sigtimedwait zero timeout: -1 EAGAIN",
    "sigwaitinfo of kill(getpid()): 10 si_signo 10",
    "two pending, lowest first: 10 then 12",
    "sigtimedwait ended by another signal: -1 EINTR, its handler ran 1",
    "signal thread took a process-directed signal: 10",
    "signal thread took one sent to it: 10",
    "one sent to the other thread: here -1 EAGAIN, there 10",
    "handler of USR1 never ran: 1",
    "a thread took the one sent to it after another ended with one pending: 10",
    "the second thread sent the same signal took its own: 10",
    "the process's one stays with a thread's beside it: pending here 1, taken 10 then -1",
    "siginfo of kill(getpid()): 10 si_signo 10 si_code 0 si_pid matches 1 si_uid 0",
    "write to a pipe with no reader: -1",
    "siginfo of SIGPIPE: 13 si_signo 13 si_code 0 si_pid matches 1 si_uid 0",
    "siginfo of setitimer: 14 si_signo 14 si_code 128 si_pid matches 1 si_uid 0",
    "siginfo of a child's exit(7): 17 si_signo 17 si_code 1 si_pid matches 1 si_uid 0 si_status 7",
    "siginfo of a child's SIGTERM: 17 si_signo 17 si_code 2 si_pid matches 1 si_uid 0 si_status 15",
    "real-time 0: SIGRTMIN+1 si_code SI_QUEUE value 10 pid matches 1",
    "real-time 1: SIGRTMIN+1 si_code SI_QUEUE value 20 pid matches 1",
    "real-time 2: SIGRTMIN+1 si_code SI_QUEUE value 30 pid matches 1",
    "real-time 3: SIGRTMIN+1 si_code SI_USER value -1 pid matches 1",
    "then none: -1 EAGAIN",
    "a standard signal queued twice: 12 value 7, then -1",
    "sigqueue to no process: -1 ESRCH",
    "sigqueue of signal 65: -1 EINVAL",
    "sigqueue of signal 0: 0",
    "done",
    "",
  ].join("\n"),
};

async function cases(name: Name, vcpus: number, placement: "affine" | "spread"): Promise<void> {
  setVcpuCount(vcpus);
  setVcpuPlacement(placement);
  const r = await run(inst, `/bin/conform_threads_${name}`);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, linux[name]);
  assert.equal(r.code, 0);
}

for (const name of names) {
  test(`every ${name} thread case prints what Linux prints (default vCPUs)`, { skip, timeout }, () => cases(name, defaultVcpus, "affine"));
  test(`every ${name} thread case prints what Linux prints (1 vCPU)`, { skip, timeout }, () => cases(name, 1, "affine"));
  test(`every ${name} thread case prints what Linux prints (threads on vCPU workers)`, { skip, timeout }, () => cases(name, 3, "spread"));
}

// argv[1] → Linux's stdout and exit status (128 + the signal for a fatal one, as a shell reports it).
const endings: [string, string, number][] = [
  ["exit-thread", "thread calls exit(5)\natexit ran\n", 5],
  ["main-pthread-exit", "main calls pthread_exit\nlate thread done (1)\natexit ran\n", 0],
  ["main-return", "main returns 4\natexit ran\n", 4],
  ["thread-abort", "", 134],
  ["thread-sigterm", "", 143],
];

for (const vcpus of [1, 3]) {
  test(`process endings from threads match Linux (${vcpus} vCPU${vcpus > 1 ? "s, spread" : ""})`, { skip, timeout }, async () => {
    setVcpuCount(vcpus);
    setVcpuPlacement(vcpus > 1 ? "spread" : "affine");
    for (const [mode, stdout, code] of endings) {
      const r = await run(inst, "/bin/conform_threads_proc", { args: [mode] });
      assert.equal(r.stdout, stdout, mode);
      assert.equal(r.code, code, mode);
    }
  });
}
