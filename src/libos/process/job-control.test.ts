/**
 * Job control's bookkeeping on kernel objects alone (no guest): which threads a stop waits for,
 * when it completes and what the parent's wait then reports (once, or kept with WNOWAIT), how
 * SIGCONT, an ending thread and SIGKILL end it. The guest-level behaviour is
 * test/libos/process/conform-jobctl.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Process } from "./process.ts";
import { ProcessTable } from "./process-table.ts";
import { Logger, LogLevel } from "../log.ts";
import type { Kernel } from "../kernel.ts";
import type { Vfs } from "../fs/types.ts";
import type { Thread } from "./thread.ts";
import { continueProcess, holdIfStopped, parkStopped, stopProcess, takeReport, threadLeft } from "./job-control.ts";
import { signalProcess, SIGCONT, SIGSTOP } from "./signals.ts";
import { ThreadKilled } from "./exit.ts";

const SIGTSTP = 20;

function kernel(onParentlessStop?: Kernel["onParentlessStop"]): Kernel {
  return {
    fs: { forProcess: () => ({}) as Vfs },
    log: new Logger(LogLevel.error, () => {}),
    processes: new ProcessTable(0n),
    trace: false,
    ...(onParentlessStop ? { onParentlessStop } : {}),
  };
}

/**
 * A parent and a child process of one kernel; the child has `n` threads, all running. The child
 * leads its own group in its parent's session (a group that is not orphaned: a SIGTSTP stops it).
 */
function family(n: number, k = kernel()): { parent: Process; child: Process; threads: Thread[] } {
  const parent = new Process(k, { pid: 1, ppid: 0, exe: "/bin/p", argv: [], env: [] });
  const child = new Process(k, { pid: 2, ppid: 1, sid: 1, exe: "/bin/c", argv: [], env: [] });
  k.processes.add(parent);
  k.processes.add(child);
  child.parent = parent;
  parent.children.add(child);
  const threads = Array.from({ length: n }, () => child.newThread());
  return { parent, child, threads };
}

/** Let every queued resume and continuation run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("a stop waits for the running threads, not for one blocked in the kernel; then reports once", async () => {
  const { parent, child, threads } = family(3);
  const [a, b, blocked] = threads as [Thread, Thread, Thread];
  blocked.offCpu(); // in a kernel wait: its way out passes a check
  let woken = 0;
  void parent.childEvents.wait().then(() => woken++);
  stopProcess(child, SIGSTOP);
  assert.equal(child.stopSignal, SIGSTOP);
  assert.equal(child.job.stopped, false);
  assert.deepEqual([...child.job.unparked], [a, b]);
  assert.equal(a.interruptPending, true, "a running thread is interrupted (a wait it starts ends at once)");
  assert.equal(blocked.interruptPending, false, "a blocked thread's wait goes on");
  const parkedA = parkStopped(a);
  assert.equal(child.job.stopped, false);
  assert.equal(takeReport(child, true, true, false), undefined, "nothing to report before the stop completes");
  const parkedB = parkStopped(b);
  assert.equal(child.job.stopped, true);
  await settle();
  assert.equal(woken, 1, "the parent's waits look again");
  assert.deepEqual(takeReport(child, true, false, true), { kind: "stopped", signo: SIGSTOP }, "WNOWAIT keeps it");
  assert.equal(takeReport(child, false, true, false), undefined, "WCONTINUED alone does not take a stop");
  assert.deepEqual(takeReport(child, true, false, false), { kind: "stopped", signo: SIGSTOP });
  assert.equal(takeReport(child, true, true, false), undefined, "reported once");
  assert.equal(continueProcess(child), true);
  await Promise.all([parkedA, parkedB]);
  assert.equal(child.stopSignal, 0);
  assert.deepEqual(takeReport(child, true, true, false), { kind: "continued" });
  assert.equal(takeReport(child, true, true, false), undefined, "reported once");
  assert.equal(continueProcess(child), false, "SIGCONT to a running process continues nothing");
});

test("a second stop signal leaves the first stop as it is; SIGCONT before the stop completes reports nothing", async () => {
  const { child, threads } = family(1);
  stopProcess(child, SIGTSTP);
  stopProcess(child, SIGSTOP);
  assert.equal(child.stopSignal, SIGTSTP);
  assert.equal(continueProcess(child), true);
  assert.equal(threads[0]!.interruptPending, false, "the stop's interruption is withdrawn");
  assert.equal(takeReport(child, true, true, false), undefined);
  assert.equal(holdIfStopped(threads[0]!), undefined, "no Promise on the way out of a running process");
});

test("a thread that ends no longer holds up a stop", () => {
  const { child, threads } = family(2);
  stopProcess(child, SIGSTOP);
  void parkStopped(threads[0]!);
  assert.equal(child.job.stopped, false);
  child.threads.delete(threads[1]!);
  threadLeft(threads[1]!);
  assert.equal(child.job.stopped, true);
  assert.deepEqual(child.job.report, { kind: "stopped", signo: SIGSTOP });
});

test("SIGKILL ends a stopped process: its parked threads unwind, no stop is left to report", async () => {
  const { child, threads } = family(1);
  stopProcess(child, SIGSTOP);
  const parked = parkStopped(threads[0]!);
  assert.equal(child.job.stopped, true);
  signalProcess(child, 9);
  await assert.rejects(parked, ThreadKilled);
  assert.equal(child.stopSignal, 0);
  assert.equal(child.job.report, undefined);
  assert.deepEqual(child.status, { kind: "signal", signo: 9 });
});

test("signals to a process without a signal callback: stop signals stop it, SIGCONT continues it and drops pending stops", async () => {
  const { child, threads } = family(1);
  signalProcess(child, SIGTSTP);
  assert.equal(child.stopSignal, SIGTSTP);
  const parked = parkStopped(threads[0]!);
  signalProcess(child, SIGCONT);
  await parked;
  assert.equal(child.stopSignal, 0);
  assert.deepEqual(takeReport(child, false, true, false), { kind: "continued" });
});

test("a process with no parent in the LibOS that stops: the kernel's hook is told, once the stop is complete", async () => {
  const seen: [number, number][] = [];
  const k = kernel((p, signo) => seen.push([p.pid, signo]));
  const top = new Process(k, { pid: 1, ppid: 0, exe: "/bin/top", argv: [], env: [] });
  const t = top.newThread();
  stopProcess(top, SIGSTOP);
  assert.deepEqual(seen, []);
  const parked = parkStopped(t);
  assert.deepEqual(seen, [[1, SIGSTOP]]);
  continueProcess(top);
  await parked;
});
