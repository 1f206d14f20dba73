/**
 * Real-time scheduling policies (issue 6): SCHED_FIFO and SCHED_RR threads on one CPU run
 * before lower priorities and are not time-sliced against them, a woken one preempts its waker,
 * a raised one its raiser, threads of one priority take turns at sched_yield, and pthread_create
 * applies PTHREAD_EXPLICIT_SCHED attributes (sched/executor.ts's real-time run queue,
 * sdk/libc/threads.c). test/guest/threads/conform_rt.c pins every thread to CPU 0 (the kernel
 * thread here) and logs the order threads reach points of their code; it prints exactly what
 * Linux prints. LINUX is its output on Linux 6.18, glibc, as root (`gcc -O2 -pthread -o
 * /tmp/nat/conform_rt test/guest/threads/conform_rt.c && /tmp/nat/conform_rt`; the same over
 * repeated runs).
 */
import { linuxConformance } from "../linux-conformance.ts";

linuxConformance({ title: "real-time scheduling policies on one CPU", source: "test/guest/threads/conform_rt.c", linux: () => LINUX, flags: ["-pthread"], acrossVcpus: true });

const LINUX = `sched_setaffinity {0}: 0
spawned: 0 0 0 0
1 priority order: main C+ C- B+ B- A+ A- D+ D- 
2 wake preemption: post H-woke after-post 
3 yields at one priority: Y1 X1 Y2 X2 Y3 X3 
4 no time slice: N+ F+ F- N- 
raise R to 60: 0
5 raised above the caller: raise R+ R- after-raise 
6 new thread: policy SCHED_RR priority 7
6 SCHED_FIFO attributes, priority 0: EINVAL
6 SCHED_FIFO attributes, priority 50: 0
6 SCHED_FIFO attributes, priority 100: EINVAL
6 SCHED_OTHER attributes, priority 1: EINVAL
raise S to 60: 0
7 a started thread raised above the caller: S+ raise S- after-raise 
`;

// Real-time throttling (sched/rt-budget.ts): a SCHED_FIFO thread computing for 2.1 s leaves the
// rest of each period to a SCHED_OTHER thread on the same CPU, as Linux's default
// sched_rt_runtime_us (950 ms of 1 s) does. Without it the other thread stopped.
linuxConformance({ title: "real-time throttling", source: "test/guest/threads/rt_throttle.c", linux: () => "the other thread ran during the spin: yes\n", flags: ["-pthread"], acrossVcpus: true });

// Locks between real-time threads: futex waiters by priority, and priority inheritance through
// PI futexes (syscall/occlum/futex-pi.ts). LINUX_LOCKS: `gcc -O2 -pthread -o /tmp/nat/conform_rt_locks
// test/guest/threads/conform_rt_locks.c && /tmp/nat/conform_rt_locks` as root, the same over runs.
linuxConformance({ title: "locks between real-time threads", source: "test/guest/threads/conform_rt_locks.c", linux: () => LINUX_LOCKS, flags: ["-pthread"], acrossVcpus: true });

const LINUX_LOCKS = `sched_setaffinity {0}: 0
1 mutex waiters by priority: unlock B C A 
2 PI waiters by priority: unlock B C A 
3 inheritance: L+ H+ L-unlock H-got M+ M- L- 
4 inheritance through a chain: L+ K+ H+ L-unlock K-got H-got M+ M- L- 
words after: 0 0
PRIO_INHERIT mutex init: 0
5 inheritance through a PRIO_INHERIT mutex: L+ H+ L-unlock H-got M+ M- L- 
6 condition variable over a PRIO_INHERIT mutex: 1000 turns
7 a SCHED_OTHER owner inherits: L+ H+ L-unlock H-got M+ M- L- 
PRIO_PROTECT mutex init: 0
8 lock above the ceiling: EINVAL
8 a PRIO_PROTECT mutex raises its owner: L+ L-unlock M+ M- L- 
8 recursive relock at the ceiling: 0 0, priority 25 (its own 20)
8 after one unlock: priority 25
8 after the last: priority 20 (its own 20)
9 an owner queued before the real-time threads inherits: L+ H+ L-unlock H-got M+ M- L- 
`;
