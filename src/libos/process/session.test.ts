/**
 * Sessions on kernel objects alone (no guest): setsid, getsid and setpgid with Linux's errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Process } from "./process.ts";
import { ProcessTable } from "./process-table.ts";
import { Logger, LogLevel } from "../log.ts";
import type { Kernel } from "../kernel.ts";
import type { Vfs } from "../fs/types.ts";
import { Errno, SysError } from "../syscall/errno.ts";
import { getpgid, getsid, setpgid, setsid } from "./session.ts";

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
