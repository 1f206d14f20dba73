/**
 * Thread: one guest thread, a JSPI coroutine (one per process until wasi-threads lands, issue 6).
 * It is the Interruptible of every wait it makes: interrupt() cancels the current wait (EINTR),
 * kill() also makes the thread unwind at its next return from the kernel.
 *
 * CPU time: a thread is "on CPU" from a resume until its next suspension; dispatch calls
 * offCpu()/onCpu() around real suspensions only, so the accounting costs nothing on the fast path.
 * A switch reads the clock once: offCpu stamps the executor's clock, and the thread resumed next
 * in the same streak starts from that stamp (Executor.resumedAt). Times are nowMs() (sched/clock.ts);
 * the wall time held is charged at the rate the agent really ran on a host CPU (sched/cpu-rate.ts).
 *
 * A direct resume (syscall/dispatch.ts "direct" rows: a futex wake or a yield that hands the
 * parked stack its final result, with no reaction of ours running when it gets the vCPU) marks
 * the thread `resumeDue`; its onCpu then happens at the first use of its CPU state (its next
 * suspension, a CPU-time read, the preemption check's slice), starting from the switch that let
 * it run (Executor.switchedAt). Only guest code of the thread itself can reach those between its
 * resume and its next suspension, so the result is the same as an onCpu at the resume.
 */
import type { Interruptible } from "../sched/wait-queue.ts";
import { executor } from "../sched/executor.ts";
import type { Process } from "./process.ts";
import type { Vfs } from "../fs/types.ts";
import { nowMs } from "../sched/clock.ts";
import { cpuRate } from "../sched/cpu-rate.ts";


/**
 * Threads on the kernel thread that were preempted after computing for a whole time slice, until
 * they next wait (offCpu) or end: while there is one, a new thread is placed on a vCPU worker
 * rather than next to its spawner (vcpu/index.ts).
 */
const cpuBound = new Set<Thread>();
/**
 * How much more CPU (ms) a waker must have had than the thread it woke to give way (wokeUp).
 * Linux's base granularity, 1 ms, made most wakes among 1024 threads give way here (an extra cold
 * switch each: ~4 µs per sysbench op instead of ~1.5).
 */
const WAKEUP_GRAN_MS = 4;
/**
 * How long (ms) a waiter may go on being woken in vain (woken, its lock taken again before it
 * ran, waiting again) before a waker hands it the turn whatever their CPU times (handsOverTo): Go's
 * sync.Mutex hands itself to a waiter that has failed to take it for 1 ms (its starvation mode).
 * Without it a sysbench thread whose next event fell on the mutex it had just left found it free
 * and kept it, and the coroutines' fixed order could repeat that: at 64 threads the fewest ops
 * were 0.53-0.88 of the mean and the most 1.9-2.6x in 500 ms (at 1024 up to 11x in 1 s); with it
 * 0.90-0.95 and 1.09-1.29x.
 */
const STARVE_MS = 1;
/** Linux's real-time policies (sched_setscheduler). */
const SCHED_FIFO = 1, SCHED_RR = 2;

/** Is a CPU-bound thread running on the kernel thread? */
export function kernelThreadBusy(): boolean {
  for (const t of cpuBound) if (t.killed || t.process.status !== undefined || !t.process.threads.has(t)) t.unmarkCpuBound();
  return cpuBound.size > 0;
}

export class Thread implements Interruptible {
  readonly tid: number;
  readonly process: Process;
  interruptPending = false;
  /** Blocked signals, bit sig-1 (process/signals.ts; sigprocmask, inherited by new threads). */
  sigmask = 0n;
  /** The set of the sigtimedwait this thread is in (0n: none): those signals wake it although blocked. */
  sigwaitSet = 0n;
  /** Set when the thread must not return to the guest (kill, exit of the process). */
  killed = false;
  /** Its name (Linux's comm): Process.newThread sets it, pthread_setname_np and prctl change it. */
  comm = "";
  private canceller: (() => void) | undefined;
  /** CPU time charged at its switches (wall time held times the agent's rate: sched/cpu-rate.ts), and the largest value read. */
  private cpuMs = 0;
  private cpuRead = 0;
  /** Futile wake-ups (futexWait): the word of the latest wait, cpuMs when a wake ended it (-1: none since), their CPU time. */
  private parkedAddr = -1;
  private cpuAtWake = -1;
  private futilePending = false;
  private futileMs = 0;
  /** When the run of futile wake-ups this thread now waits in began (-1: its wait is no re-wait): handsOverTo. */
  private vainSince = -1;
  /**
   * CPU time of its first run (from its start to its first suspension: its JSPI stack's first
   * use, the libc's thread setup), which wakeup preemption leaves out: up to 4 ms for a thread
   * started among 1024, where a thread's share is ~1 ms a second, so counted it made the thread
   * give way at every wake for seconds (it did 9 ops in a second, the mean ~700).
   */
  private startMs = -1;
  private onCpuSince = nowMs();
  private running = true;
  /** Resumed directly: onCpu is due at the first use of the CPU state (see the header). */
  private resumeDue = false;
  /** resumeLater() while still on the vCPU (a yield): resumeDue once it is off. */
  private dueAfterOff = false;
  /** plainSuspend(): the next start on the vCPU continues the slice. */
  private keepSlice = false;
  private sliceStart = nowMs();
  private busySince = nowMs();
  /** The thread whose thread-spawn created this one (vCPU placement, vcpu/index.ts). */
  spawner: Thread | undefined = undefined;
  /**
   * nowMs() of this thread's latest thread-spawn: a thread preempted while it spawns
   * threads is handing out work, not a CPU-bound thread (markCpuBound).
   */
  lastSpawnMs = -Infinity;
  private cpuBound = false;
  private preempted = false;
  /** wokeUp() asked this thread to give way: its next preemption check yields (loader/kernel-imports.ts). */
  yieldDue = false;
  /** Makes the thread's next preemption check come at once (its fuel below 0): set by the loader. */
  forceCheck: (() => void) | undefined = undefined;
  /**
   * A thread on a vCPU worker: its CPU time in ms as the worker counts it (vcpu/cpu-slot.ts). Only
   * the worker sees its run queue's switches; from here the thread looks busy whenever it is not
   * parked in the kernel.
   */
  remoteCpuMs: (() => number) | undefined = undefined;
  /**
   * A vCPU worker's thread: raises its attention word, so it comes to the kernel at its next fuel
   * check or local fast path (set by vcpu/pool.ts while the thread lives there). Unlike
   * interrupt(), it cancels no wait (job-control.ts stops such threads with it).
   */
  remotePoke: (() => void) | undefined = undefined;
  /**
   * The vCPUs it may run on (sched_setaffinity; bit i = vCPU i, the kernel thread 0), undefined for
   * all. Placement honours it when the thread first runs; a thread never moves afterwards.
   */
  affinity: bigint | undefined = undefined;
  /**
   * Its scheduling attributes as setpriority and sched_setscheduler set them (Linux's nice -20..19,
   * policy and real-time priority), inherited by the threads it creates. The nice value weighs its
   * time slice (sched/nice.ts), and so does SCHED_IDLE; the priority is kept and reported. Set
   * them through setNice and setPolicy, which tell the thread's vCPU worker.
   */
  nice = 0;
  /** A vCPU worker's thread: passes a new nice value or policy on to its worker (vcpu/pool.ts). */
  schedChanged: (() => void) | undefined = undefined;
  schedPolicy = 0;
  schedPriority = 0;
  /** The vCPU it runs on (sched_getcpu): 0, the kernel thread, unless placed on a worker. */
  vcpu = 0;

  constructor(tid: number, process: Process) {
    this.tid = tid;
    this.process = process;
  }

  setNice(nice: number): void {
    this.nice = nice;
    this.schedChanged?.();
  }

  setPolicy(policy: number, priority: number): void {
    this.schedPolicy = policy;
    this.schedPriority = priority;
    if (policy === SCHED_FIFO || policy === SCHED_RR) executor.trackOwners();
    this.schedChanged?.();
  }

  /**
   * This thread, which is running (it made the call), changed its own or another thread's
   * scheduling: its real-time priority now holds the vCPU (or no longer does), and its next
   * preemption check decides whether it goes on (loader/kernel-imports.ts: a ready thread above
   * it runs first).
   */
  schedChangedByMe(): void {
    const prio = this.rtPriority;
    if (prio > 0) executor.gotCpu(this, prio);
    else if (executor.cpuOwner === this) executor.leftCpu(this);
    this.forceCheck?.();
  }

  /**
   * Its SCHED_FIFO or SCHED_RR priority (1..99; 0: neither). On the kernel thread such a thread
   * runs before every ready thread of a lower one, and none of those runs until it leaves the
   * CPU (sched/executor.ts); threads on vCPU workers are scheduled round robin whatever their
   * policy. A priority inherited through a PI lock (piBoost) counts when it is higher, for a
   * SCHED_OTHER thread too, as Linux runs a boosted one in the real-time class.
   */
  get rtPriority(): number {
    // Until some thread has had a real-time policy none has a priority (nor inherited one), and
    // a futex wake of a cold thread (1024 threads) touches none of its fields for it.
    if (!executor.realtimeSeen) return 0;
    const own = this.schedPolicy === SCHED_FIFO || this.schedPolicy === SCHED_RR ? this.schedPriority : 0;
    const top = own > this.piBoost ? own : this.piBoost;
    return top === 0 || this.vcpu !== 0 || this.gone ? 0 : top;
  }

  /**
   * The highest priority of the threads waiting, directly or through a chain, for PI locks it
   * holds (syscall/occlum/futex-pi.ts): Linux's priority inheritance.
   */
  piBoost = 0;
  /** Its resume while it waits in the executor's ready deque or drain queue (QueuedOwner). */
  queuedFn: ((v: unknown) => void) | undefined = undefined;

  /**
   * A call of this running thread left a thread of a higher real-time priority than its own ready
   * (a PI lock handed on, its own priority lowered): that one runs before the call returns, as
   * Linux preempts at a syscall's return, and this one waits at the head of its priority. `v`:
   * the call's result.
   */
  yieldAtReturn<T>(v: T): T | Promise<T> {
    const mine = this.rtPriority;
    if (executor.rtTop <= mine) return v;
    this.yieldDue = false;
    return mine > 0 ? executor.yieldRt(v, mine, true, this) : executor.yieldNow(this).then(() => v);
  }


  private threadVfs: Vfs | undefined;
  /** The process's file system view as this thread sees it (/proc/thread-self is its own). */
  get vfs(): Vfs {
    return (this.threadVfs ??= this.process.vfs.forThread?.(this.tid) ?? this.process.vfs);
  }

  /** nowMs() when the thread last got the vCPU (preemption measures its slice from here). */
  get sliceStartMs(): number {
    if (this.resumeDue) this.lateOnCpu();
    return this.sliceStart;
  }
  set sliceStartMs(ms: number) {
    this.sliceStart = ms;
  }

  /** nowMs() when the thread last got the vCPU back from a wait (preemptions do not count). */
  get busySinceMs(): number {
    if (this.resumeDue) this.lateOnCpu();
    return this.busySince;
  }

  setCanceller(cancel: (() => void) | undefined): void {
    this.canceller = cancel;
  }

  /** Cancel the current (or next) wait with "interrupted". */
  interrupt(): void {
    this.interruptPending = true;
    const c = this.canceller;
    this.canceller = undefined;
    c?.();
  }

  /**
   * The syscall that saw the interruption consumed it. A cancellation wake outlives it: the
   * interruption stays pending until a call consumes the wake (takeCancelWake).
   */
  clearInterrupt(): void {
    if (!this.killed && !this.cancelWake) this.interruptPending = false;
  }

  /**
   * pthread_cancel's signal (SIGCANCEL) came: the wait this thread is in, or else the next one it
   * starts, ends "interrupted", and a call it ends fails with EINTR, never restarted. The libc
   * acts on the cancellation after that EINTR (sdk/libc/cancel.h). Without it a signal taken
   * between the libc's check of its cancel flag and the blocking call (at a fuel check, or a
   * worker's attention request) was consumed there, and the call then blocked for good: Linux's
   * musl closes that window by the signal handler's view of the instruction pointer, which a
   * wasm guest does not have.
   */
  private cancelWake = false;

  armCancelWake(): void {
    this.cancelWake = true;
    this.interrupt();
  }

  /** A call ends because of the interruption: true (and the wake is spent) if it was a cancellation wake. */
  takeCancelWake(): boolean {
    if (!this.cancelWake) return false;
    this.cancelWake = false;
    if (!this.killed) this.interruptPending = false;
    return true;
  }

  kill(): void {
    this.killed = true;
    this.interrupt();
  }

  /**
   * Wakeup preemption, as Linux's CFS does it: this thread just woke `woken` (a futex wake); if
   * that thread has had WAKEUP_GRAN_MS less CPU than this one, this one gives way at its next
   * preemption check, which the loader places right after every futex wake (Ev.WakeCall), so the
   * woken thread (first in the run queue: executor.resume's `next`) runs before this one can take
   * the lock it just released again. Without it a thread that loops lock / sched_yield / unlock
   * kept its lock for ever (sysbench with one lock: one of 16 threads did every op). Threads that
   * hand over to each other (a mutex+condvar ping-pong) have about the same CPU time and go on.
   */
  wokeUp(woken: Interruptible | undefined, givesWay?: boolean): void {
    if (!(woken instanceof Thread)) return;
    woken.cpuAtWake = woken.cpuMs; // off the CPU: final
    if (this.forceCheck === undefined) return; // a vCPU worker's thread: no checks of ours
    // Real-time priorities first, as Linux's: a higher one preempts at once, a lower one never.
    // Between normal threads, the CPU comparison; `givesWay`: the caller made it (givesWayTo).
    const mine = this.rtPriority, theirs = woken.rtPriority;
    if (mine > 0 || theirs > 0) {
      if (theirs <= mine) return;
    } else if (!(givesWay ?? this.usefulCpuMs() - woken.usefulCpuMs() >= WAKEUP_GRAN_MS)) return;
    this.yieldDue = true;
    this.forceCheck();
  }

  /**
   * Has `head` (the first waiter of a word this thread is about to wake) been woken in vain for
   * STARVE_MS? Then this thread wakes it and gives way, so it takes the lock this thread just
   * released before this one can take it back.
   */
  handsOverTo(head: Interruptible): boolean {
    return this.normalPair(head) && head.vainSince >= 0 && executor.clockMs - head.vainSince >= STARVE_MS;
  }

  /** Both normal threads, and this one on the kernel thread (a worker's thread has no checks of ours to give way at). */
  private normalPair(head: Interruptible): head is Thread {
    return head instanceof Thread && this.forceCheck !== undefined && this.rtPriority === 0 && head.rtPriority === 0;
  }

  /**
   * Would waking `head` (the oldest waiter of a word) make this thread give way (wokeUp's rule
   * for two normal threads)? Then the turn goes to the waiter with the least CPU among the first
   * few (neediest), not to whichever the FIFO order put first.
   */
  givesWayTo(head: Interruptible): boolean {
    return this.normalPair(head) && this.usefulCpuMs() - head.usefulCpuMs() >= WAKEUP_GRAN_MS;
  }

  /** givesWayTo(head) held: the one of `candidates` (normal threads; head among them) with the least CPU. */
  neediest(head: Thread, candidates: readonly Interruptible[]): Interruptible {
    let best: Thread = head, least = head.usefulCpuMs();
    for (const c of candidates) {
      if (!(c instanceof Thread) || c.rtPriority > 0) continue;
      const u = c.usefulCpuMs();
      if (u < least) {
        least = u;
        best = c;
      }
    }
    return best;
  }

  /**
   * CPU time less that of futile wake-ups, for wakeup preemption. A waiter woken from a futex
   * that finds its lock taken again runs a moment and waits on the same word once more; with one
   * lock and 16 threads that was most of every waiter's CPU time (~11 ms in 500 ms, a holder's
   * whole turn adding ~4), so a thread that never got the lock could count as much CPU as one
   * that had held it: under host load one thread did 1 op in 500 ms while the others did ~10000
   * (sysbench.test.ts, 16 threads on 1 lock).
   */
  private usefulCpuMs(): number {
    return this.cpuMsCoarse() - this.futileMs - Math.max(0, this.startMs);
  }

  /**
   * This thread is about to wait on futex word `addr` (a futex wait or a rewritten
   * memory.atomic.wait, before its offCpu). If a futex wake ended its wait on the same word and
   * it has not been off the CPU since (no yield, preemption or other wait: it found the lock taken
   * again at once), the run in between was futile: offCpu charges its CPU time to futileMs.
   * Returns whether it was: such a wait keeps its place at the head of the queue (FutexTable.park's
   * `again`).
   */
  futexWait(addr: number): boolean {
    if (this.remoteCpuMs) return false; // a worker's thread: its worker counts its time
    if (this.resumeDue) this.lateOnCpu(); // resumed directly by the wake: its run starts there
    const vain = (this.futilePending = this.cpuAtWake >= 0 && addr === this.parkedAddr && this.running);
    this.parkedAddr = addr;
    if (!vain) this.vainSince = -1;
    else if (this.vainSince < 0) this.vainSince = executor.clockMs;
    return vain;
  }

  private chargeFutile(): void {
    this.futileMs += Math.max(0, this.cpuMs - this.cpuAtWake);
  }

  /**
   * Wall time it has held the vCPU (not scaled by the host's CPU rate), up to `now`: how long its
   * code has run, which the fuel grants are calibrated against (a thread that mostly waits has
   * not run: its grants must not shrink for the time it waited).
   */
  heldAt(now: number): number {
    if (this.resumeDue) this.lateOnCpu();
    return this.running ? this.heldMs + Math.max(0, now - this.onCpuSince) : this.heldMs;
  }

  /** cpuMsCoarse() for the kernel's preemption check (SCHED_RR quanta). */
  cpuMsNow(): number {
    return this.cpuMsCoarse();
  }

  /** CPU time in ms without a clock read (executor.clockMs: at most about a time slice behind). */
  private cpuMsCoarse(): number {
    if (this.remoteCpuMs) return this.remoteCpuMs();
    return this.running ? this.cpuMs + Math.max(0, executor.clockMs - this.onCpuSince) * cpuRate.rate : this.cpuMs;
  }

  /**
   * Suspended in the kernel (a wait, a preemption, a yield not yet answered), and not resumed
   * directly since: the thread cannot run guest code before it passes a check on its way out
   * (process/job-control.ts). A direct resume (resumeLater) leaves it off the CPU's books but
   * on its way back to guest code, so it does not count.
   */
  inKernelWait(): boolean {
    return !this.running && !this.resumeDue;
  }

  /** Preempted after a whole slice of computing (see kernelThreadBusy). */
  markCpuBound(): void {
    this.cpuBound = true;
    cpuBound.add(this);
  }

  unmarkCpuBound(): void {
    this.cpuBound = false;
    cpuBound.delete(this);
  }

  /**
   * Off the vCPU: into a wait, or `preempted` (still computing: busySinceMs and the mark stay).
   * `plain`: a suspension that is no switch of its own (plainSuspend): a real-time thread keeps
   * the vCPU from lower priorities through it.
   */
  offCpu(preempted = false, plain = false): void {
    this.yieldDue = false; // it gives way now anyway
    if (this.resumeDue) this.lateOnCpu();
    this.preempted = preempted;
    if (this.cpuBound && !preempted) this.unmarkCpuBound();
    if (this.running) {
      this.running = false;
      const now = executor.stampSwitch();
      this.heldMs += now - this.onCpuSince;
      this.cpuMs += (now - this.onCpuSince) * cpuRate.rateAt(now);
      if (this.futilePending) this.chargeFutile();
      else if (this.startMs < 0) this.startMs = this.cpuMs;
    }
    this.futilePending = false;
    // Any other suspension ends the futile run (futexWait), but a preemption check that goes on
    // is none: counted as one, the futile runs of a thread whose checks came often (a young
    // thread's small grants) became CPU of its own, and holders never gave way to it (under
    // host load one of 16 threads on one lock did 178 ops in 500 ms, the mean ~17000).
    if (!plain) this.cpuAtWake = -1;
    if (this.dueAfterOff) {
      this.dueAfterOff = false;
      this.resumeDue = true;
      this.plainDue = false;
    }
    if (!plain && executor.cpuOwner === this) executor.leftCpu(this);
  }

  /**
   * A Suspending import returned a plain value (a fuel check that does not switch): V8 suspends
   * the stack all the same and runs whatever its microtask queue holds first, e.g. a thread this
   * one woke directly or a spawned thread's start, so this may be a switch. Off the vCPU, then,
   * back on lazily at its next kernel entry (from the latest switch, as a direct resume), its
   * slice and busy time going on: counted as running, both threads' clocks ran at once.
   */
  plainSuspend(): void {
    this.offCpu(true, true);
    // Still on its way (V8 runs queued microtasks first): no thread starts meanwhile, and
    // nothing below a real-time priority runs.
    executor.gotCpu(this, this.rtPriority);
    this.keepSlice = true;
    this.resumeDue = true;
    this.plainDue = true;
  }

  onCpu(): void {
    this.resumeDue = this.plainDue = false;
    if (this.running) return;
    this.running = true;
    this.started(executor.resumedAt());
  }

  /**
   * The thread will get the vCPU with no reaction of ours running first (a direct resume): its
   * onCpu happens later, from the switch that let it run (see the header).
   */
  resumeLater(): void {
    if (this.resumeDue) this.lateOnCpu(); // the current run began with a direct resume too
    if (this.running) this.dueAfterOff = true; // a yield, about to suspend: due after that
    else {
      this.resumeDue = true;
      this.plainDue = false;
    }
  }

  private lateOnCpu(): void {
    this.resumeDue = false;
    const plain = this.plainDue;
    this.plainDue = false;
    if (this.running) return;
    this.running = true;
    // After a plain suspension it ran on from the latest switch even outside a streak (a
    // real-time thread back from the event loop's turn is resumed by no streak): dated "now",
    // a check's run seemed to last µs, and its grants swung 4x up and down (~37 ms apart).
    this.started(executor.switchedAt(plain));
  }

  /**
   * A spawned thread waits for its first run (thread-spawn): off the CPU, with no CPU time. A
   * Thread counts as running from its creation (the process's first thread is), so 1000 threads
   * waiting to start each counted the time since their creation in the process's CPU clock, which
   * then went back when their runs began (test/guest/threads/cpu_exits.c).
   */
  notStarted(): void {
    this.running = false;
  }

  /**
   * A spawned thread gets the vCPU for the first time, at `ms`: its CPU time and first slice start
   * here, not when thread-spawn made it (it waited in the run queue meanwhile).
   */
  beginRun(ms: number): void {
    this.cpuMs = this.cpuRead = 0;
    this.startMs = -1;
    this.running = true;
    this.resumeDue = this.dueAfterOff = this.plainDue = false;
    this.started(ms);
  }

  private started(ms: number): void {
    this.onCpuSince = ms;
    if (this.schedPolicy === SCHED_FIFO || this.schedPolicy === SCHED_RR || this.piBoost > 0) executor.gotCpu(this, this.rtPriority);
    if (this.keepSlice) {
      this.keepSlice = false;
      return;
    }
    this.sliceStart = ms;
    if (!this.preempted) this.busySince = ms;
  }

  /** Time this thread spent running guest or kernel code (not parked). */
  cpuTimeNs(): bigint {
    if (this.remoteCpuMs) return BigInt(Math.round(this.remoteCpuMs() * 1e6));
    if (this.resumeDue) this.lateOnCpu();
    const ms = this.running ? this.cpuMs + Math.max(0, nowMs() - this.onCpuSince) * cpuRate.rate : this.cpuMs;
    // The rate may fall between a read and the switch that charges the interval: never go back.
    if (ms > this.cpuRead) this.cpuRead = ms;
    return BigInt(Math.round(this.cpuRead * 1e6));
  }

  // Real-time scheduling and spawn state, last: the fields above are the switch path's, and
  // keep their places in the object.
  /** It has ended (Process.removeThread): it never holds the CPU from others again. */
  gone = false;
  /** The policy and priority the next thread it spawns gets (sched_policy's NEXT_SPAWN), once. */
  spawnPolicy: [number, number] | undefined = undefined;
  /** CPU time (ms) when its current SCHED_RR quantum began (loader/kernel-imports.ts). */
  rrQuantumStartMs = 0;
  /** Wall time held on the vCPU (heldAt). */
  private heldMs = 0;
  /** resumeDue comes from plainSuspend (lateOnCpu). */
  private plainDue = false;
}
