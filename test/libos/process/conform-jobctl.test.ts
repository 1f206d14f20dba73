/**
 * Differential conformance of job control (stopped and continued processes): SIGSTOP, and
 * SIGTSTP/SIGTTIN/SIGTTOU at SIG_DFL, stop a child; waitpid with WUNTRACED reports the stop once
 * and with WCONTINUED the continue once (with WNOHANG too; a plain waitpid reports neither and
 * keeps waiting); /proc/<pid>/stat and status say T (stopped); the parent's SA_SIGINFO SIGCHLD
 * handler gets CLD_STOPPED/CLD_CONTINUED with the signal as si_status, none with SA_NOCLDSTOP;
 * a stopped child runs nothing (no reply to a pipe, no handler for a SIGUSR1 sent meanwhile, a
 * sleep that ends meanwhile returns after SIGCONT), then does; SIGCONT and stop signals discard
 * each other's pending instances; a blocked pending SIGTSTP stops when unblocked; SIGKILL kills a
 * stopped child; SIGTSTP with a handler or ignored does not stop; raise(SIGSTOP) and
 * raise(SIGTSTP) stop the caller until SIGCONT; SIGCONT continues with a handler or blocked; a
 * child whose two threads compute stops in both (no records through a pipe while stopped, new
 * ones after SIGCONT); kill(-pgid) stops and continues a group, waitpid(-pgid) reports each;
 * Linux's errors; waitid with WSTOPPED/WCONTINUED/WEXITED/WNOWAIT/WNOHANG.
 * test/guest/process/conform_jobctl.c prints exactly what Linux prints. LINUX is its output on
 * Linux 6.18, glibc 2.36 (`gcc -O2 -pthread -o /tmp/cj test/guest/process/conform_jobctl.c &&
 * cd /tmp && ./cj`, run natively, also under setsid; identical over repeated runs).
 *
 * Run with the default vCPUs, with one (the computing threads stop at their fuel checks on the
 * kernel thread) and with every spawned thread on a vCPU worker ("spread" over 3 vCPUs: they
 * stop there through their attention word). Before job
 * control, stop signals were ignored: the first check already printed "waitpid WUNTRACED" for a
 * child that never stopped, and waitpid ignored WCONTINUED.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { assertPrintsLinux, makeInstance, run, type Instance } from "../helpers.ts";
import { setVcpuCount, setVcpuPlacement, vcpuCount, vcpuStats } from "../../../src/libos/vcpu/index.ts";

const skip = posixSkip();
/** A regression here tends to leave a child stopped for good: fail instead of hanging. */
const timeout = 120_000;
let inst: Instance;
let defaultVcpus = 1;

before(async () => {
  if (skip) return;
  defaultVcpus = vcpuCount();
  inst = await makeInstance({
    programs: {
      "/bin/conform_jobctl": await buildGuest("test/guest/process/conform_jobctl.c", { mode: "posix", flags: ["-pthread"] }),
      "/bin/stop_race": await buildGuest("test/guest/process/stop_race.c", { mode: "posix", flags: ["-pthread"] }),
    },
  });
});

after(async () => {
  setVcpuCount(defaultVcpus);
  setVcpuPlacement("affine");
  await inst?.cleanup();
});

test("job control prints what Linux prints", { skip, timeout }, async () => {
  assertPrintsLinux(await run(inst, "/bin/conform_jobctl"), LINUX);
});

// A thread woken (its futex wait completed directly) just before its process stops reaches its
// next call before any preemption check: a blocking call there starts only after SIGCONT. Before,
// the stop's interruption ended its nanosleep at once, EINTR after SIGCONT; Linux sleeps it out.
test("a stop between a thread's wake-up and its next call does not fail that call (stop_race.c prints what Linux prints)", { skip, timeout }, async () => {
  assertPrintsLinux(await run(inst, "/bin/stop_race"), "parent: child stopped\nchild: nanosleep 0 , slept its 300 ms: 1\nparent: child exited 0\n");
});

test("job control prints what Linux prints with one vCPU (every thread on the kernel thread)", { skip, timeout }, async () => {
  setVcpuCount(1);
  try {
    assertPrintsLinux(await run(inst, "/bin/conform_jobctl"), LINUX, "1 vCPU: ");
  } finally {
    setVcpuCount(defaultVcpus);
  }
});

test("job control prints what Linux prints with threads on vCPU workers", { skip, timeout }, async () => {
  setVcpuCount(3);
  setVcpuPlacement("spread");
  try {
    const before = vcpuStats().spawned;
    assertPrintsLinux(await run(inst, "/bin/conform_jobctl"), LINUX, "spread: ");
    // the two counting threads and the parent's stopper thread ran on workers
    assert.ok(vcpuStats().spawned - before >= 3, `threads on workers: ${vcpuStats().spawned - before}`);
  } finally {
    setVcpuCount(defaultVcpus);
    setVcpuPlacement("affine");
  }
});

const LINUX = `== SIGSTOP (parent's group)
  ready: r
  waitpid WUNTRACED: child stopped SIGSTOP
  sigchld: CLD_STOPPED status=SIGSTOP pid=child
  again WUNTRACED|WNOHANG: 0
  plain WNOHANG: 0
  WCONTINUED|WNOHANG: 0
  proc: stat T, State: T (stopped)
  ack while stopped: none
  waitpid WCONTINUED: child continued (status 0xffff)
  sigchld: CLD_CONTINUED status=SIGCONT pid=child
  again WCONTINUED|WNOHANG: 0
  WUNTRACED|WNOHANG: 0
  ack after SIGCONT: a
  SIGCONT while running, WCONTINUED|WNOHANG: 0
  sigchld pending: 0
  end: child exited 3
== SIGTSTP (own group)
  ready: r
  waitpid WUNTRACED: child stopped SIGTSTP
  sigchld: CLD_STOPPED status=SIGTSTP pid=child
  again WUNTRACED|WNOHANG: 0
  plain WNOHANG: 0
  WCONTINUED|WNOHANG: 0
  proc: stat T, State: T (stopped)
  ack while stopped: none
  waitpid WCONTINUED: child continued (status 0xffff)
  sigchld: CLD_CONTINUED status=SIGCONT pid=child
  again WCONTINUED|WNOHANG: 0
  WUNTRACED|WNOHANG: 0
  ack after SIGCONT: a
  SIGCONT while running, WCONTINUED|WNOHANG: 0
  sigchld pending: 0
  end: child exited 3
== SIGTTIN (own group)
  ready: r
  waitpid WUNTRACED: child stopped SIGTTIN
  sigchld: CLD_STOPPED status=SIGTTIN pid=child
  again WUNTRACED|WNOHANG: 0
  plain WNOHANG: 0
  WCONTINUED|WNOHANG: 0
  proc: stat T, State: T (stopped)
  ack while stopped: none
  waitpid WCONTINUED: child continued (status 0xffff)
  sigchld: CLD_CONTINUED status=SIGCONT pid=child
  again WCONTINUED|WNOHANG: 0
  WUNTRACED|WNOHANG: 0
  ack after SIGCONT: a
  SIGCONT while running, WCONTINUED|WNOHANG: 0
  sigchld pending: 0
  end: child exited 3
== SIGTTOU (own group)
  ready: r
  waitpid WUNTRACED: child stopped SIGTTOU
  sigchld: CLD_STOPPED status=SIGTTOU pid=child
  again WUNTRACED|WNOHANG: 0
  plain WNOHANG: 0
  WCONTINUED|WNOHANG: 0
  proc: stat T, State: T (stopped)
  ack while stopped: none
  waitpid WCONTINUED: child continued (status 0xffff)
  sigchld: CLD_CONTINUED status=SIGCONT pid=child
  again WCONTINUED|WNOHANG: 0
  WUNTRACED|WNOHANG: 0
  ack after SIGCONT: a
  SIGCONT while running, WCONTINUED|WNOHANG: 0
  sigchld pending: 0
  end: child exited 3
== SIGTSTP, WNOHANG|WUNTRACED
  ready: r
  sigchld: CLD_STOPPED status=SIGTSTP pid=child
  WNOHANG|WUNTRACED: child stopped SIGTSTP
  again: 0
  WNOHANG|WCONTINUED: child continued (status 0xffff)
  sigchld: CLD_CONTINUED status=SIGCONT pid=child
  ack: a
  end: child exited 3
== SIGUSR1 to a stopped child
  ready: r
  waitpid WUNTRACED: child stopped SIGSTOP
  handler while stopped: no
  after SIGCONT: U
  waitpid WCONTINUED: child continued (status 0xffff)
  ack: a
  end: child exited 3
== SIGCONT and stop signals discard each other (both blocked)
  ready: r
  TSTP then CONT: TSTP pending 0, CONT pending 1
  cleared: k
  CONT then TSTP: TSTP pending 1, CONT pending 0
  not stopped, WUNTRACED|WNOHANG: 0
== a blocked pending SIGTSTP stops when unblocked
  waitpid WUNTRACED: child stopped SIGTSTP
  sigchld: CLD_STOPPED status=SIGTSTP pid=child
  unblock returned while stopped: no
  unblock returned after SIGCONT: u
  waitpid WCONTINUED: child continued (status 0xffff)
  sigchld: CLD_CONTINUED status=SIGCONT pid=child
  end: child exited 3
== SIGKILL of a stopped child
  ready: r
  waitpid WUNTRACED: child stopped SIGSTOP
  sigchld: CLD_STOPPED status=SIGSTOP pid=child
  waitpid: child killed SIGKILL
  sigchld: CLD_KILLED status=SIGKILL pid=child
  again: ECHILD
== SIGTSTP with a handler
  ready: r
  got: T
  got: a
  WUNTRACED|WNOHANG: 0
  sigchld pending: 0
  end: child exited 3
== SIGTSTP ignored
  ready: r
  got: a
  WUNTRACED|WNOHANG: 0
  sigchld pending: 0
  end: child exited 3
== raise-stop in a child
  ready: r
  waitpid WUNTRACED: child stopped SIGSTOP
  sigchld: CLD_STOPPED status=SIGSTOP pid=child
  raise returned while stopped: no
  raise returned after SIGCONT: a
  waitpid WCONTINUED: child continued (status 0xffff)
  sigchld: CLD_CONTINUED status=SIGCONT pid=child
  end: child exited 3
== raise-tstp in a child
  ready: r
  waitpid WUNTRACED: child stopped SIGTSTP
  sigchld: CLD_STOPPED status=SIGTSTP pid=child
  raise returned while stopped: no
  raise returned after SIGCONT: a
  waitpid WCONTINUED: child continued (status 0xffff)
  sigchld: CLD_CONTINUED status=SIGCONT pid=child
  end: child exited 3
== a sleep that ends while stopped
  ready: r
  waitpid WUNTRACED: child stopped SIGSTOP
  sleep returned while stopped: no
  sleep returned after SIGCONT: a
  end: child exited 3
== SIGCONT with a handler
  ready: r
  handler: C
  WCONTINUED|WNOHANG: 0
  waitpid WUNTRACED: child stopped SIGSTOP
  waitpid WCONTINUED: child continued (status 0xffff)
  handler after continuing: C
  ack: a
  end: child exited 3
== SIGCONT blocked, with a handler
  ready: r
  waitpid WUNTRACED: child stopped SIGSTOP
  waitpid WCONTINUED: child continued (status 0xffff)
  first: a
  CONT pending: 1
  after unblocking: C u
  end: child exited 3
== SA_NOCLDSTOP
  ready: r
  waitpid WUNTRACED: child stopped SIGSTOP
  waitpid WCONTINUED: child continued (status 0xffff)
  ack: a
  sigchld pending: 0
  end: child exited 3
  sigchld: CLD_EXITED status=3 pid=child
== a plain waitpid does not report stops
  ready: r
  thread: waitpid WUNTRACED: child stopped SIGSTOP
  thread: waitpid WCONTINUED: child continued (status 0xffff)
  main: waitpid: child exited 3
== a multi-threaded child computing
  ready: r
  both threads counting: 1
  waitpid WUNTRACED: child stopped SIGSTOP
  records while stopped: 0
  both advanced after SIGCONT: 1
  end: child killed SIGKILL
== kill(-pgid) of a group
  ready: r r
  stopped reports: first 1, second 1
  waitpid(-pgid, WUNTRACED|WNOHANG): 0
  continued reports: first 1, second 1
  acks: a a
  end: child exited 3
  end: child exited 3
== errors
  ready: r
  kill(child, 65): -1 EINVAL
  kill(child, -1): -1 EINVAL
  kill(-99999, SIGSTOP): -1 ESRCH
  kill(99999, SIGCONT): -1 ESRCH
  waitpid(child, 0x10): -1 EINVAL
  waitpid(child, WEXITED): -1 EINVAL
  waitpid(child, WNOWAIT): -1 EINVAL
  waitpid(99999, WUNTRACED): -1 ECHILD
  sigaction(SIGSTOP): -1 EINVAL
  signal(SIGSTOP, SIG_IGN): SIG_ERR EINVAL
  SIGSTOP blockable: 0, SIGTSTP blockable: 1
  end: child exited 3
  waitpid(-1, WNOHANG|WUNTRACED) without children: -1 ECHILD
== waitid
  ready: r
  WSTOPPED|WNOHANG, running: 0 signo=0 code=0 status=0 pid=0
  WSTOPPED|WNOWAIT: 0 signo=SIGCHLD code=CLD_STOPPED status=SIGSTOP pid=child
  WSTOPPED: 0 signo=SIGCHLD code=CLD_STOPPED status=SIGSTOP pid=child
  WSTOPPED|WNOHANG again: 0 signo=0 code=0 status=0 pid=0
  WCONTINUED|WEXITED: 0 signo=SIGCHLD code=CLD_CONTINUED status=SIGCONT pid=child
  WCONTINUED|WNOHANG again: 0 signo=0 code=0 status=0 pid=0
  WEXITED|WNOWAIT: 0 signo=SIGCHLD code=CLD_EXITED status=3 pid=child
  WEXITED: 0 signo=SIGCHLD code=CLD_EXITED status=3 pid=child
  WEXITED|WNOHANG, none left: ECHILD
  waitid(P_PID, child, 0): -1 EINVAL
  waitid(P_PID, 0, WEXITED): -1 EINVAL
  waitid(7, 0, WEXITED): -1 EINVAL
  waitid(P_ALL, 0, WEXITED|0x10): -1 EINVAL
done
`;
