/**
 * Signals enforced by the kernel for POSIX guests (wasix-libc + occlum-cc's sdk/libc additions):
 * SA_RESTART (and the calls Linux never restarts), sigprocmask/sigpending/pthread_sigmask with
 * pending blocked signals, masks across posix_spawn, handler masks, sigsuspend/pause, process
 * groups from spawn attributes with kill(-pgid)/waitpid(-pgid)/waitpid(0), and handlers of
 * processes that never block. Every check runs a real C program (test/guest/process/*.c).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
const programs = ["child", "sigrestart", "sigmask", "sigsuspend", "pgroup", "sigbusy", "sigthread", "sigflags"];
let inst: Instance;

before(async () => {
  if (skip) return;
  const progs: Record<string, string> = {};
  for (const n of programs) progs[`/bin/${n}`] = await buildGuest(`test/guest/process/${n}.c`, { mode: "posix" });
  inst = await makeInstance({ programs: progs });
});

after(async () => {
  await inst?.cleanup();
});

async function lines(prog: string): Promise<string[]> {
  const r = await run(inst, `/bin/${prog}`);
  assert.equal(r.code, 0, `${prog} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.stderr, "");
  return r.stdout.split("\n").filter((l) => l !== "");
}

test("SA_RESTART: read, waitpid and accept fail with EINTR without it and restart with it; sleeps and poll never restart", { skip }, async () => {
  assert.deepEqual(await lines("sigrestart"), [
    "read: -1 EINTR - hits 1",
    "read SA_RESTART: 1 ok x hits 1",
    "read signal(): 1 ok x hits 1",
    "read SA_RESTART, handler grows memory: 1 ok x hits 1",
    "waitpid: -1 EINTR hits 1",
    "waitpid SA_RESTART: child ok hits 1",
    "accept: EINTR hits 1",
    "accept SA_RESTART: ok hits 1",
    "nanosleep SA_RESTART: -1 EINTR hits 1, time left ok",
    "poll SA_RESTART: -1 EINTR hits 1",
  ]);
});

test("sigprocmask/sigpending/pthread_sigmask: blocked signals stay pending; SIGKILL unblockable; handler masks; masks across posix_spawn", { skip }, async () => {
  assert.deepEqual(await lines("sigmask"), [
    "blocked: handler 0 pending 1",
    "unblocked: handler 1 pending 0, old had usr1 1",
    "sigaction(SIGKILL): -1 EINVAL",
    "raise winch, chld: alive",
    "pthread_sigmask: 0, usr2 in mask 1, bad how 1",
    // in its handler USR1 is blocked (re-sent: runs after) and so is its sa_mask's USR2
    "handler mask: usr1 2 usr2 1 depth 1 order nV",
    "SA_NODEFER: usr1 2 usr2 1 depth 2 order Vn",
    // a blocked SIGTERM neither kills nor is lost: it kills at the unblock
    "term blocked: alive, pending 1",
    "term child: signal 15",
    "all: usr1 1 kill 0 stop 0",
    "all child: signal 9",
    // the child inherited the blocked USR2: the parent's kill left it pending, not dead
    "child: usr2 blocked 1 pending 1",
    "inherited: exit 0",
    "SETSIGMASK empty: signal 12",
  ]);
});

test("sigsuspend and pause: the handler runs, EINTR, the old mask is back; blocked and default-ignored signals do not end the wait", { skip }, async () => {
  assert.deepEqual(await lines("sigsuspend"), [
    "sigsuspend: -1 EINTR handler 1, usr1 blocked again 1",
    "pending before: -1 handler 2",
    "suspend mask: -1 order UV",
    "pause: -1 EINTR order A, child reaped 1",
  ]);
});

test("process groups: POSIX_SPAWN_SETPGROUP, getpgid/setpgid, kill(-pgid), waitpid(-pgid) and waitpid(0)", { skip }, async () => {
  assert.deepEqual(await lines("pgroup"), [
    "self: pgrp is pid 1, getpgid(0) same 1",
    "groups: a 1 b 1 c 1 d 1",
    "bad group: EPERM",
    "kill -a: 2 killed, 0 other, then ECHILD",
    "c and d alive: 1 1",
    "waitpid(0) with d dead, c alive: 0",
    "waitpid(0): c 1",
    "waitpid(0) again: ECHILD",
    "waitpid(-d): d 1 signal 9",
    "setpgid child: 0 1, 0 1",
    "setpgid to no group: -1 Operation not permitted",
    "setpgid non-child: -1 No such process",
    "getpgid unknown: -1 No such process",
    "kill empty group: -1 No such process",
    "setpgrp: pgrp is pid 1",
  ]);
});

test("a process that never blocks (computing, or only non-blocking syscalls) runs its handler promptly", { skip }, async () => {
  assert.deepEqual(await lines("sigbusy"), ["compute: handled", "syscalls: handled"]);
});

test("per-thread masks and thread-directed signals: inherited by a new thread; raise stays with its blocked caller; kill goes to the thread that does not block it, pthread_kill to the named one; handlers run on that thread", { skip }, async () => {
  assert.deepEqual(await lines("sigthread"), [
    "raise while blocked: hits 0 pending 1",
    "unblocked: hits 1 on main 1",
    "worker: inherited block 1, read -1 EINTR, handled here 1",
    "worker: pthread_kill -1 EINTR, handled here 1",
    "main: hits 3",
  ]);
});

test("SA_SIGINFO handlers get a siginfo_t (sender, code, a child's status); SA_RESETHAND runs the handler once, then the default action", { skip }, async () => {
  // The same program's output on Linux (gcc, glibc), line for line.
  assert.deepEqual(await lines("sigflags"), [
    "installed: same function 1, siginfo flag 1",
    "siginfo: hits 1 signo 12 code SI_USER pid is mine 1",
    "resethand: hits 1, now default 1",
    "child: signaled 1 sig 10",
    "SIGCHLD siginfo: code CLD_KILLED pid is the child's 1 status 10",
  ]);
});
