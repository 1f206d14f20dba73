/**
 * Sessions and process groups, as Linux has them (man 2 setsid, setpgid, getsid; man 7
 * credentials). Every process is in one process group (Process.pgid) of one session
 * (Process.sid); a group never spans sessions. A spawned child starts in its parent's group and
 * session (POSIX_SPAWN_SETSID and POSIX_SPAWN_SETPGROUP change that: spawn.ts). The instance's
 * first process starts as the leader of a session and a group of its own (sid = pgid = pid), as
 * if an init outside the LibOS had made it one.
 */
import { Errno, sysErr } from "../syscall/errno.ts";
import type { Process } from "./process.ts";
import type { Thread } from "./thread.ts";

/**
 * A group a process of `self`'s session may join: some process (a zombie not yet waited for
 * included, as Linux keeps it in its group) is in it, and in that session; EPERM otherwise.
 */
export function checkGroup(self: Process, pgid: number): void {
  for (const m of self.kernel.processes.all()) if (m.pgid === pgid && m.sid === self.sid) return;
  throw sysErr(Errno.PERM);
}

/**
 * setpgid(pid, pgid), in Linux's order of checks: pid 0 is the caller, pgid 0 the target's pid;
 * a negative group EINVAL; the target is the caller or a child of it (ESRCH), in the caller's
 * session (EPERM), not a session leader (EPERM); a group other than the target's own pid must
 * exist in the caller's session (EPERM). (Linux also refuses a child that has called execve,
 * EACCES; every child here is a program started by posix_spawn, and setpgid on it is allowed.)
 */
export function setpgid(t: Thread, pid: number, pgid: number): void {
  const self = t.process;
  const id = pid === 0 ? self.pid : pid;
  const group = pgid === 0 ? id : pgid;
  if (group < 0) throw sysErr(Errno.INVAL);
  const target = id === self.pid ? self : self.kernel.processes.get(id);
  if (!target || target.zombie || (target !== self && target.parent !== self)) throw sysErr(Errno.SRCH);
  if (target.sid !== self.sid || target.sid === target.pid) throw sysErr(Errno.PERM);
  if (group !== target.pid) checkGroup(self, group);
  target.pgid = group;
}

/** getpgid(pid): 0 is the caller; any process of the kernel (a zombie too) may be asked; ESRCH. */
export function getpgid(t: Thread, pid: number): number {
  return pid === 0 ? t.process.pgid : lookup(t, pid).pgid;
}

/** getsid(pid): 0 is the caller; any process of the kernel (a zombie too, in another session too); ESRCH. */
export function getsid(t: Thread, pid: number): number {
  return pid === 0 ? t.process.sid : lookup(t, pid).sid;
}

function lookup(t: Thread, pid: number): Process {
  const p = pid > 0 ? t.process.kernel.processes.get(pid) : undefined;
  if (!p) throw sysErr(Errno.SRCH);
  return p;
}

/**
 * setsid(): the caller leads a new session and a new group, both with its pid, and returns it.
 * EPERM for a session leader, and when a group with the caller's pid exists (the caller leads
 * one, or did and members are left), as Linux.
 */
export function setsid(t: Thread): number {
  const self = t.process;
  if (self.sid === self.pid) throw sysErr(Errno.PERM);
  for (const m of self.kernel.processes.all()) if (m.pgid === self.pid) throw sysErr(Errno.PERM);
  self.sid = self.pid;
  self.pgid = self.pid;
  return self.pid;
}
