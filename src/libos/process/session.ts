/**
 * Sessions and process groups, as Linux has them (man 2 setsid, setpgid, getsid; man 7
 * credentials). Every process is in one process group (Process.pgid) of one session
 * (Process.sid); a group never spans sessions. A spawned child starts in its parent's group and
 * session (POSIX_SPAWN_SETSID and POSIX_SPAWN_SETPGROUP change that: spawn.ts). The instance's
 * first process starts as the leader of a session and a group of its own (sid = pgid = pid), as
 * if an init outside the LibOS had made it one.
 *
 * Orphaned process groups (POSIX; Linux's kernel/exit.c): a group is orphaned when no member has
 * a parent in another group of the same session: nobody of the session (a shell) is left to
 * continue its stopped members. A process's exit may orphan its own group (it was the last tie)
 * or its children's groups (they lose it as their parent); when such a group has a stopped
 * member, each stopped member gets SIGHUP, then every member SIGCONT (hangUpOrphaned). That is
 * what Linux 6.18 does, measured (ftrace's signal_generate shows SIGHUP generated for the stopped
 * members only; test/guest/process/conform_orphan.c): POSIX's _Exit words it as SIGHUP and
 * SIGCONT to every member, and a running member then dies of SIGHUP unless it handles it. In an
 * orphaned group SIGTSTP, SIGTTIN and SIGTTOU do not stop (signals.ts discards them; SIGSTOP
 * still stops).
 *
 * Who counts as a parent: orphans are adopted by pid 1 (spawn.ts finishProcess), which acts as
 * Linux's child subreaper would, not as its init: a member whose parent is pid 1 ties the group
 * like any other (Linux skips only members whose parent is the global init, which the LibOS has no
 * process for). The first process's parent is outside the LibOS: the host (`occlum run`, and the
 * shell that started it, which continues the program when it stops: boot.ts parentlessStop). It
 * counts as a parent in another group of the same session, as a shell is for the job it started,
 * so the first process's group is not orphaned while it lives: a SIGTSTP there stops the program,
 * and `occlum run` with it. A process the kernel adopted (no pid 1 left: the instance is ending)
 * has no parent to tie its group.
 */
import { Errno, sysErr } from "../syscall/errno.ts";
import type { Process } from "./process.ts";
import type { ProcessTable } from "./process-table.ts";
import type { Thread } from "./thread.ts";
import { signalProcess, SIGCONT } from "./signals.ts";

const SIGHUP = 1;

/**
 * Does `m`'s parent tie m's group to its session: a parent in another group of the same session?
 * `parent` undefined: the host for the first process (see the header), nobody otherwise.
 */
function ties(m: Process, parent: Process | undefined): boolean {
  if (parent === undefined) return m.startedByHost;
  return parent.pgid !== m.pgid && parent.sid === m.sid;
}

/** Is group `pgid` orphaned (no live member's parent ties it to the session)? Linux's is_orphaned_pgrp. */
export function isOrphanedGroup(table: ProcessTable, pgid: number): boolean {
  for (const m of table.all()) if (m.pgid === pgid && !m.zombie && ties(m, m.parent)) return false;
  return true;
}

/** Has group `pgid` a member whose stop is complete (Linux's has_stopped_jobs)? */
function hasStopped(table: ProcessTable, pgid: number): boolean {
  for (const m of table.all()) if (m.pgid === pgid && !m.zombie && m.job.stopped) return true;
  return false;
}

/**
 * Group `pgid` is orphaned: if a member is stopped, SIGHUP to each stopped member, then SIGCONT to
 * every member (from the kernel: SI_KERNEL), as Linux (see the header).
 */
function hangUpIfStopped(table: ProcessTable, pgid: number): void {
  if (!isOrphanedGroup(table, pgid) || !hasStopped(table, pgid)) return;
  const members = [...table.all()].filter((m) => m.pgid === pgid && !m.zombie);
  for (const m of members) if (m.job.stopped) signalProcess(m, SIGHUP);
  for (const m of members) signalProcess(m, SIGCONT);
}

/**
 * `p` has ended (a zombie now) and its `children` went to their new parent (spawn.ts
 * finishProcess): hang up the groups this orphaned that have a stopped member, as Linux's
 * exit_notify does: each child's group that p tied (p in another group of the child's session),
 * then p's own group when p's parent tied it (p was perhaps the last tie). A group continued by the
 * first check has nothing stopped left for a second.
 */
export function hangUpOrphaned(p: Process, children: readonly Process[]): void {
  const table = p.kernel.processes;
  for (const c of children) if (p.pgid !== c.pgid && p.sid === c.sid) hangUpIfStopped(table, c.pgid);
  if (ties(p, p.parent)) hangUpIfStopped(table, p.pgid);
}

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
