/**
 * Sessions and orphaned process groups on kernel objects alone (no guest): setsid, getsid and
 * setpgid with Linux's errors, which groups are orphaned (the host tying the first process's
 * group, pid 1 tying the groups of the orphans it adopts like any parent), what an exit that
 * orphans a group with a stopped member sends, and stop signals in an orphaned group. The
 * guest-level behaviour, against Linux: test/libos/process/conform-orphan.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Process } from "./process.ts";
import { ProcessTable } from "./process-table.ts";
import { Logger, LogLevel } from "../log.ts";
import type { Kernel } from "../kernel.ts";
import type { Vfs } from "../fs/types.ts";
import { Errno, SysError } from "../syscall/errno.ts";
import { getpgid, getsid, isOrphanedGroup, setpgid, setsid } from "./session.ts";
import { finishProcess } from "./spawn.ts";
import { parkStopped, stopProcess } from "./job-control.ts";
import { signalProcess, SigKind, SIGCONT, SIGSTOP } from "./signals.ts";

const SIGHUP = 1, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22;

function kernel(): Kernel {
  return { fs: { forProcess: () => ({}) as Vfs }, log: new Logger(LogLevel.error, () => {}), processes: new ProcessTable(0n), trace: false };
}

/** A process of `k`: the first (no parent: the host's child) or a child of `parent`, in its session unless told. */
function proc(k: Kernel, pid: number, parent?: Process, ids: { pgid?: number; sid?: number } = {}): Process {
  const p = new Process(k, {
    pid, ppid: parent?.pid ?? 0, exe: `/bin/p${pid}`, argv: [], env: [],
    pgid: ids.pgid ?? parent?.pgid ?? pid, sid: ids.sid ?? parent?.sid ?? pid,
  });
  k.processes.add(p);
  if (parent) {
    p.parent = parent;
    parent.children.add(p);
  }
  return p;
}

function errno(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return undefined;
}

/** A guest-like process: a signal callback, so signals stay pending (`pending`), with handlers for `handled`. */
function catching(p: Process, ...handled: number[]): number[] {
  p.signalCallback = "__wasm_signal";
  p.exports = { __wasm_signal: () => {} };
  p.reportsSigactions = true;
  for (const s of handled) p.sigactions.set(s, { kind: SigKind.HANDLER, flags: 0, mask: 0n });
  return p.pendingSignals;
}

/** Stop `p` and let its one thread park: the stop is complete (Linux's SIGNAL_STOP_STOPPED). */
function stopped(p: Process): Promise<void> {
  const t = p.newThread();
  stopProcess(p, SIGSTOP);
  const parked = parkStopped(t);
  assert.equal(p.job.stopped, true);
  return parked;
}

test("setsid: a new session and group with the caller's pid; EPERM for a session leader, a group leader, a pid that names a group", () => {
  const k = kernel();
  const init = proc(k, 1);
  const a = proc(k, 2, init);
  const b = proc(k, 3, init, { pgid: 3 });
  assert.equal(errno(() => setsid(init.newThread())), Errno.PERM, "the first process leads its session");
  assert.equal(errno(() => setsid(b.newThread())), Errno.PERM, "a group leader");
  assert.equal(setsid(a.newThread()), 2);
  assert.deepEqual([a.sid, a.pgid], [2, 2]);
  assert.equal(errno(() => setsid(a.newThread())), Errno.PERM, "now a session leader");
  // b leaves its group while a member stays in it: its pid still names a group
  const c = proc(k, 4, b);
  setpgid(b.newThread(), 0, 1);
  assert.equal(errno(() => setsid(b.newThread())), Errno.PERM);
  c.pgid = 1;
  assert.equal(setsid(b.newThread()), 3);
});

test("getsid and getpgid: 0 is the caller, any process (a zombie, another session) may be asked; ESRCH", () => {
  const k = kernel();
  const init = proc(k, 1);
  const a = proc(k, 2, init, { sid: 2, pgid: 2 });
  const t = init.newThread();
  assert.equal(getsid(t, 0), 1);
  assert.equal(getsid(t, 2), 2);
  a.zombie = true;
  assert.equal(getsid(t, 2), 2, "a zombie keeps its session until it is reaped");
  assert.equal(getpgid(t, 2), 2);
  for (const pid of [-1, 99]) {
    assert.equal(errno(() => getsid(t, pid)), Errno.SRCH);
    assert.equal(errno(() => getpgid(t, pid)), Errno.SRCH);
  }
});

test("setpgid: EINVAL before ESRCH; EPERM across sessions and for a session leader", () => {
  const k = kernel();
  const init = proc(k, 1);
  const other = proc(k, 2, init, { sid: 2, pgid: 2 }); // a child that called setsid
  const kid = proc(k, 3, init);
  const t = init.newThread();
  assert.equal(errno(() => setpgid(t, -5, 0)), Errno.INVAL, "pgid 0 is the pid: negative");
  assert.equal(errno(() => setpgid(t, 0, -1)), Errno.INVAL);
  assert.equal(errno(() => setpgid(t, -5, 3)), Errno.SRCH);
  assert.equal(errno(() => setpgid(t, 2, 0)), Errno.PERM, "a child in another session");
  assert.equal(errno(() => setpgid(t, 0, 0)), Errno.PERM, "the caller leads its session");
  assert.equal(errno(() => setpgid(other.newThread(), 0, 2)), Errno.PERM, "a session leader, even to its own group");
  const member = proc(k, 4, other);
  assert.equal(errno(() => setpgid(member.newThread(), 0, 1)), Errno.PERM, "a group of another session");
  setpgid(member.newThread(), 0, 0);
  assert.equal(member.pgid, 4);
  setpgid(t, 3, 0);
  assert.equal(kid.pgid, 3);
  setpgid(t, 3, 1);
  assert.equal(kid.pgid, 1);
});

test("orphaned groups: no member's parent in another group of the same session; the host ties the first process's group; pid 1 ties like any parent", () => {
  const k = kernel();
  const init = proc(k, 1);
  const t = k.processes;
  assert.equal(isOrphanedGroup(t, 1), false, "the first process's parent is the host");
  const job = proc(k, 2, init, { pgid: 2 });
  proc(k, 3, job); // in job's group, its parent in the same group: no tie of its own
  assert.equal(isOrphanedGroup(t, 2), false, "job's parent (pid 1) is in another group of the session");
  const leader = proc(k, 4, init, { sid: 4, pgid: 4 });
  assert.equal(isOrphanedGroup(t, 4), true, "a session leader's group: its parent is in another session");
  const g = proc(k, 5, leader, { pgid: 5 });
  assert.equal(isOrphanedGroup(t, 5), false);
  g.parent = init; // adopted by pid 1, of another session
  assert.equal(isOrphanedGroup(t, 5), true);
  job.zombie = true;
  assert.equal(isOrphanedGroup(t, 2), true, "a zombie ties nothing");
});

test("a parent's exit that orphans its children's group with a stopped member: SIGHUP to the stopped ones, SIGCONT to every member", async () => {
  const k = kernel();
  const init = proc(k, 1);
  const leader = proc(k, 2, init, { sid: 2, pgid: 2 });
  const a = proc(k, 3, leader, { pgid: 3 });
  const b = proc(k, 4, leader, { pgid: 3 });
  const c = proc(k, 5, b); // b's child: its parent is in the group
  const [pa, pb, pc] = [catching(a, SIGHUP, SIGCONT), catching(b, SIGHUP, SIGCONT), catching(c)];
  c.newThread(); // a thread that may take SIGCONT: at SIG_DFL it is then discarded, as Linux
  const parked = stopped(a);
  finishProcess(leader);
  await parked;
  assert.equal(a.stopSignal, 0, "continued");
  assert.deepEqual(pa, [SIGHUP, SIGCONT], "the stopped member: SIGHUP, then SIGCONT");
  assert.deepEqual(pb, [SIGCONT], "a running member: SIGCONT alone (Linux 6.18)");
  assert.deepEqual(pc, [], "SIGHUP at SIG_DFL never sent; SIGCONT at SIG_DFL discarded");
  assert.equal(c.status, undefined);
  assert.equal(a.parent, init, "adopted by pid 1");
});

test("no stopped member, or another member still tying the group: nothing; the last tie's exit then hangs it up", async () => {
  const k = kernel();
  const init = proc(k, 1);
  const leader = proc(k, 2, init, { sid: 2, pgid: 2 });
  const x = proc(k, 3, leader, { pgid: 3 });
  const z = proc(k, 4, leader, { pgid: 3 });
  const y = proc(k, 5, x);
  const quiet = proc(k, 6, leader, { pgid: 6 });
  const [py, pz, pq] = [catching(y, SIGHUP, SIGCONT), catching(z, SIGHUP, SIGCONT), catching(quiet, SIGHUP, SIGCONT)];
  const parked = stopped(y);
  finishProcess(x);
  assert.deepEqual(py, [], "z's parent still ties the group");
  assert.equal(y.job.stopped, true);
  finishProcess(z);
  await parked;
  assert.deepEqual(py, [SIGHUP, SIGCONT], "z was the last tie");
  assert.deepEqual(pz, []);
  finishProcess(leader);
  assert.deepEqual(pq, [], "orphaned, but nothing stopped");
});

test("SIGTSTP, SIGTTIN and SIGTTOU do not stop a process of an orphaned group; SIGSTOP does", () => {
  const k = kernel();
  const init = proc(k, 1);
  const leader = proc(k, 2, init, { sid: 2, pgid: 2 });
  leader.newThread();
  for (const s of [SIGTSTP, SIGTTIN, SIGTTOU]) {
    signalProcess(leader, s);
    assert.equal(leader.stopSignal, 0, `signal ${s}`);
  }
  signalProcess(leader, SIGSTOP);
  assert.equal(leader.stopSignal, SIGSTOP);
  signalProcess(leader, SIGCONT);
  const job = proc(k, 3, init, { pgid: 3 });
  job.newThread();
  signalProcess(job, SIGTSTP);
  assert.equal(job.stopSignal, SIGTSTP, "not orphaned: it stops");
});
