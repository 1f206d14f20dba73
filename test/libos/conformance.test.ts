/**
 * The WASI preview 1 conformance guests (test/guest/wasi/*.c, one per syscall family), each run
 * through runInstance on a real instance layout; a guest checks results and errnos itself and
 * prints "<name>: N checks, 0 failures".
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Collect, guest, makeInstance, run, PassThrough, type Instance } from "./helpers.ts";
import { FakeListener, FakeSocket } from "./fake-socket.ts";
import { SOCKET_RIGHTS } from "../../src/libos/net/socket.ts";

const names = ["args_env", "clock_random", "fd", "path", "proc", "poll", "sock", "grow", "devices"];
let inst: Instance;

before(async () => {
  const programs: Record<string, string> = {};
  for (const n of names) programs[`/bin/${n}`] = await guest(n);
  inst = await makeInstance({
    programs,
    env: { default: ["OCCLUM=yes", "OVERRIDE=default"], untrusted: ["EXAMPLE", "OVERRIDE", "NOT_SET"] },
  });
});
after(() => inst?.cleanup());

function passed(r: { code: number; stdout: string; stderr: string }, name: string): void {
  assert.match(r.stdout, new RegExp(`${name}: \\d+ checks, 0 failures`), r.stdout + r.stderr);
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

test("args and environ: argv as given, env.default merged with env.untrusted host values", async () => {
  const r = await run(inst, "/bin/args_env", {
    args: ["one", "two words"],
    env: { EXAMPLE: "from-host", OVERRIDE: "host-wins", SECRET: "x" },
  });
  passed(r, "args_env");
  // order: untouched defaults first, then the accepted host variables
  assert.match(r.stdout, /env\[0\]=OCCLUM=yes\nenv\[1\]=EXAMPLE=from-host\nenv\[2\]=OVERRIDE=host-wins\n/);
});

test("clocks and random_get", async () => {
  passed(await run(inst, "/bin/clock_random"), "clock_random");
});

test("fd_* calls: data, offsets, flags, rights, stat, readdir and errnos", async () => {
  passed(await run(inst, "/bin/fd"), "fd");
});

test("path_* calls: create, open flags, link, rename, symlinks and errnos", async () => {
  passed(await run(inst, "/bin/path"), "path");
});

test("proc_raise / sched_yield / proc_exit", async () => {
  passed(await run(inst, "/bin/proc"), "proc");
  assert.equal((await run(inst, "/bin/proc", { args: ["7"] })).code, 7);
  // Occlum's occlum-run reports WEXITSTATUS & 0x7F
  assert.equal((await run(inst, "/bin/proc", { args: ["200"] })).code, 72);
  const raised = await run(inst, "/bin/proc", { args: ["raise"] });
  assert.equal(raised.code, 128 + 15);
  assert.doesNotMatch(raised.stdout, /still alive/);
  // proc_raise(SIGSTOP) stops the program (no parent in the LibOS: the host's onStop decides, then SIGCONT)
  const stops: number[] = [];
  const stopped = await run(inst, "/bin/proc", { args: ["stop"], onStop: (signo) => void stops.push(signo) });
  assert.deepEqual(stops, [19]);
  assert.match(stopped.stdout, /^stopping\ncontinued\n/);
  passed(stopped, "proc");
});

test("poll_oneoff: timeouts, readiness, and waiting for stdin", async () => {
  const stdin = new PassThrough();
  const stdout = new Collect();
  const pending = run(inst, "/bin/poll", { stdin, stdout });
  await stdout.waitFor(/waiting for stdin/); // the guest is about to park on stdin, data comes after
  await sleep(20);
  stdin.write("ping\n");
  stdin.end();
  passed(await pending, "poll");
});

test("sock_*: send/recv/accept/shutdown on sockets handed in, ENOTSOCK elsewhere", async () => {
  const r = await run(inst, "/bin/sock", {
    extraFiles: [
      { file: new FakeSocket(), rights: SOCKET_RIGHTS },
      { file: new FakeListener([new FakeSocket()]), rights: SOCKET_RIGHTS },
    ],
  });
  passed(r, "sock");
});

test("memory grown between syscalls: the kernel sees the new pages", async () => {
  const r = await run(inst, "/bin/grow");
  passed(r, "grow");
  assert.match(r.stdout, /^tail-of-memory\n/);
});

test("devices: /dev/null, zero, urandom, and /dev/std{in,out,err} naming the process's stdio", async () => {
  const r = await run(inst, "/bin/devices", { stdin: "input\n" });
  passed(r, "devices");
  assert.match(r.stdout, /^via \/dev\/stdout\nstill stdout\n/);
  assert.equal(r.stderr, "via /dev/stderr\n");
});
