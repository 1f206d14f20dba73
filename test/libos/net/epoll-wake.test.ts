/**
 * A blocked epoll_wait is completed directly by what wakes it (dispatch.ts "Direct resumes";
 * net/epoll.ts BlockedWait), through a real guest (test/guest/net/epoll_wake.c): woken by host
 * data from a TCP socket's read callback (no setImmediate: Executor.resumeFromHost), blocked again
 * on the same epoll and woken again, woken by another guest thread, interrupted by a signal
 * (EINTR after the handler ran), timed out, and woken by the peer's close. The events and the
 * data word must arrive intact each time.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { once } from "node:events";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { Collect, makeInstance, run, type Instance } from "../helpers.ts";
import { executor } from "../../../src/libos/sched/executor.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  const wasm = await buildGuest("test/guest/net/epoll_wake.c", { mode: "posix", flags: ["-pthread"] });
  inst = await makeInstance({ programs: { "/bin/epoll_wake": wasm } });
});

after(async () => {
  await inst?.cleanup();
});

const EPOLLIN = 0x1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("epoll_wait completed by its wake-up: host data twice, a thread, a signal, a timeout, the peer's close", { skip }, async () => {
  const stdout = new Collect();
  const guest = run(inst, "/bin/epoll_wake", { stdout });
  await stdout.waitFor(/listening \d+\n/);
  const port = Number(/listening (\d+)/.exec(stdout.text)![1]);
  const c = net.connect(port, "127.0.0.1");
  await once(c, "connect");
  for (const n of [1, 2]) {
    await stdout.waitFor(new RegExp(`waiting ${n}\n`));
    await sleep(20); // the guest is blocked in epoll_wait by now
    // Counted by the executor whichever way it resumes the guest; the host path adds no streak.
    const before = executor.switches;
    c.write("x");
    await stdout.waitFor(new RegExp(`woken ${n}: `));
    assert.ok(executor.switches > before, "the wake-up went through the executor");
  }
  await stdout.waitFor(/waiting 3\n/);
  await sleep(20);
  c.end();
  const r = await guest;
  c.destroy();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.split("\n").filter((l) => !/^(listening|waiting)/.test(l) && l !== "");
  assert.deepEqual(lines, [
    `woken 1: 1 event(s) events=0x${EPOLLIN.toString(16)} data=0x123456789abcdef0 read=1`,
    `woken 2: 1 event(s) events=0x${EPOLLIN.toString(16)} data=0x123456789abcdef0 read=1`,
    "pair woken: 1 event(s) fd_ok=1 read=1",
    "interrupted: -1 Interrupted system call alarms=1",
    "timeout: 0 after>=35ms=1",
    "closed: 1 event(s) in=1 rdhup=1 data_ok=1 recv=0",
  ]);
});
