/**
 * Differential conformance of sessions and orphaned process groups (process/session.ts):
 * getsid/setsid and their errors (EPERM for a session leader, for a group leader, for a pid that
 * still names a group; ESRCH), setpgid refused across sessions and for a session leader (EPERM),
 * its EINVAL/ESRCH order, POSIX_SPAWN_SETSID (EPERM with SETPGROUP), the session and group in
 * /proc/<pid>/stat, getsid of a zombie; a group orphaned by the exit of its members' parent, or of
 * its last member with a parent outside it, that has a stopped member: SIGHUP to the stopped
 * member, SIGCONT to every member (a running one gets SIGCONT alone, its SIGHUP-default child
 * lives on); nothing while another member still ties the group, nothing when none is stopped;
 * SIGTSTP/SIGTTIN/SIGTTOU, sent or blocked then unblocked, do not stop a process of an orphaned
 * group, SIGSTOP does. test/guest/process/conform_orphan.c prints exactly what Linux prints.
 * LINUX is its output on Linux 6.18, glibc 2.36 (`gcc -O2 -pthread -o /tmp/co
 * test/guest/process/conform_orphan.c && cd /tmp && ./co`, run natively, also under setsid, with
 * its output to a pipe and four at once; identical over repeated runs).
 *
 * Before sessions, setsid and getsid failed (the libc's EINVAL), the groups were never hung up (the
 * stopped member stayed stopped: "stopped member got: - -") and SIGTSTP stopped a process of an
 * orphaned group.
 */
import { test, before, after } from "node:test";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { assertPrintsLinux, makeInstance, run, type Instance } from "../helpers.ts";
import { setVcpuCount, vcpuCount } from "../../../src/libos/vcpu/index.ts";

const skip = posixSkip();
/** A regression here tends to leave a process stopped for good: fail instead of hanging. */
const timeout = 120_000;
let inst: Instance;
let defaultVcpus = 1;

before(async () => {
  if (skip) return;
  defaultVcpus = vcpuCount();
  inst = await makeInstance({
    programs: { "/bin/conform_orphan": await buildGuest("test/guest/process/conform_orphan.c", { mode: "posix", flags: ["-pthread"] }) },
  });
});

after(async () => {
  setVcpuCount(defaultVcpus);
  await inst?.cleanup();
});

test("sessions and orphaned process groups print what Linux prints", { skip, timeout }, async () => {
  assertPrintsLinux(await run(inst, "/bin/conform_orphan"), LINUX);
});

test("sessions and orphaned process groups print what Linux prints with one vCPU", { skip, timeout }, async () => {
  setVcpuCount(1);
  try {
    assertPrintsLinux(await run(inst, "/bin/conform_orphan"), LINUX, "1 vCPU: ");
  } finally {
    setVcpuCount(defaultVcpus);
  }
});

const LINUX = `== sessions
  getsid(0) == getsid(getpid()): 1
  /proc/self/stat pgrp == getpgrp(): 1, session == getsid(0): 1
  getsid(-1): -1 ESRCH
  setpgid(0, -1): -1 EINVAL
  setpgid(-5, 0): -1 EINVAL
  setpgid(-5, 3): -1 ESRCH
  child: getsid(0) == parent's: 1, getpgrp() == parent's: 1
  child: setsid() == getpid(): 1
  child: getsid(0) == getpid(): 1, getpgrp() == getpid(): 1
  child: /proc/self/stat pgrp == getpid(): 1, session == getpid(): 1
  child: setsid() again: -1 EPERM
  child: setpgid(0, 0): -1 EPERM
  child: setpgid(0, parent's group): -1 EPERM
  child: getsid(getppid()) == old session: 1
  member: getsid(0) == parent's: 1, getpgrp() == parent's: 1
  member: setpgid(0, group of another session): -1 EPERM
  member: setpgid(0, 0): 0 ok
  member: getpgrp() == getpid(): 1
  member: setpgid(0, the leader's group): 0 ok
  member: getpgrp() == leader: 1
  member: setsid() == getpid(): 1, getsid(getppid()) != getsid(0): 1
  child: member exited 0
  child ready: s
  getsid(child) == child: 1, getpgid(child) == child: 1
  /proc/<child>/stat pgrp == child: 1, session == child: 1
  setpgid(child in another session, 0): -1 EPERM
  setpgid(child in another session, our group): -1 EPERM
  child: x
  child: exited 0
  group leader: setsid(): -1 EPERM
  group leader: exited 0
  former leader: setpgid(0, 0): 0 ok
  former leader: setpgid(0, parent's group): 0 ok
  former leader: setsid() while its old group has a member: -1 EPERM
  former leader: setsid() once that member is gone == getpid(): 1
  former leader: exited 0
  spawned with SETSID: getsid(0) == getpid(): 1, getpgrp() == getpid(): 1
  SETSID child, a zombie: getsid(child) == child: 1, getpgid(child) == child: 1
  SETSID child: exited 0
  getsid(reaped child): -1 ESRCH
  posix_spawn(SETSID | SETPGROUP): EPERM
== the parent of a group with a stopped member exits
  leader: member stopped: s
  ready: 1 1 1
  /proc: stopped member T: 1, others: 0 0
  leader: x
  leader: exited 0
  stopped member got: H C, then .
  /proc: stopped member T: 0
  running member got: C, then .
  its child (SIGHUP at SIG_DFL, running): .
== stop signals in an orphaned group
  SIGTSTP: reply ., /proc T: 0
  SIGTTIN: reply ., /proc T: 0
  SIGTTOU: reply ., /proc T: 0
  SIGTSTP to the group: replies . ., /proc T: 0 0
  block them: b
  sent while blocked, pending (TSTP 1, TTIN 2, TTOU 4): 7
  unblock: u, then ., /proc T: 0
  pending after unblocking: 0
  SIGSTOP: /proc T: 1
  reply while stopped: -
  after SIGCONT: C .
  end: x x, its child reaped: E, x
== the last member tying a group with a stopped member exits
  leader: s
  ready: 1 1 1
  /proc: stopped member T: 1
  its parent: x, reaped by the leader: E
  another member's parent still ties the group: stopped member got -, /proc T: 1
  that member: x, reaped by the leader: E
  stopped member got: H C, then ., /proc T: 0
  end: x x
  leader: exited 0
== the parent of a group with no stopped member exits
  leader: s
  ready: 1
  leader: x
  leader: exited 0
  member got: . (before its reply to q)
  SIGTSTP: reply ., /proc T: 0
  end: x
done
`;
