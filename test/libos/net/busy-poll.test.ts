/**
 * Busy polling of host I/O (Executor.pollHost, OCCLUM_BUSY_POLL_US): after a host read wakes a
 * guest, the kernel thread keeps the event loop turning (libuv polls with a zero timeout) until it
 * has been idle for the window, then lets it sleep again. Driven by a real guest echo server
 * (test/guest/net/net.c, blocking recv/send) and a host client doing 1-byte round trips: the
 * echoes are exact with polling on and off, polls happen only with a window, and they stop once
 * the window has passed (an idle LibOS does not spin).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import os from "node:os";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { Collect, makeInstance, run, type Instance } from "../helpers.ts";
import { executor, parseBusyPoll } from "../../../src/libos/sched/executor.ts";

const skip = posixSkip();
let inst: Instance;
const DEFAULT_US = executor.busyPollUs;

before(async () => {
  if (skip) return;
  inst = await makeInstance({ programs: { "/bin/net": await buildGuest("test/guest/net/net.c", { mode: "posix" }) } });
});

after(async () => {
  executor.setBusyPoll(DEFAULT_US);
  await inst?.cleanup();
});

/** `n` 1-byte round trips on one connection (each byte different); the bytes echoed, in order. */
async function pingPong(port: number, n: number): Promise<number[]> {
  const c = net.connect(port, "127.0.0.1");
  c.setNoDelay(true);
  await once(c, "connect");
  const got: number[] = [];
  let want: (() => void) | undefined;
  c.on("data", (d: Buffer) => {
    got.push(...d);
    want?.();
  });
  for (let i = 0; i < n; i++) {
    const arrived = new Promise<void>((r) => (want = r));
    c.write(Buffer.of(i & 0xff));
    await arrived;
  }
  c.end();
  await once(c, "close");
  return got;
}

test("OCCLUM_BUSY_POLL_US: default, off, bounds", () => {
  assert.equal(parseBusyPoll(undefined), 50);
  assert.equal(parseBusyPoll(" "), 50);
  assert.equal(parseBusyPoll("0"), 0);
  assert.equal(parseBusyPoll("200"), 200);
  for (const bad of ["-1", "1.5", "50us", "100001"]) {
    assert.throws(() => parseBusyPoll(bad), /OCCLUM_BUSY_POLL_US must be an integer from 0 to 100000/);
  }
  assert.throws(() => executor.setBusyPoll(-1), RangeError);
});

test("a guest echo server answers host round trips with busy polling on and off; polls stop once idle", { skip }, async () => {
  const stdout = new Collect();
  const server = run(inst, "/bin/net", { args: ["echo-server", "2"], stdout });
  await stdout.waitFor(/listening \d+\n/);
  const port = Number(/listening (\d+)/.exec(stdout.text)![1]);
  const N = 300;
  const expected = Array.from({ length: N }, (_, i) => i & 0xff);

  // Both clients run before any assertion, so that a failure cannot leave the server waiting.
  executor.setBusyPoll(DEFAULT_US > 0 ? DEFAULT_US : 50);
  const p0 = executor.hostPolls;
  const echoedWith = await pingPong(port, N);
  const withPoll = executor.hostPolls - p0;
  // Idle now: the window (50 µs) has long passed, so the loop sleeps again and no poll follows.
  await sleep(50);
  const idle0 = executor.hostPolls;
  await sleep(50);
  const idlePolls = executor.hostPolls - idle0;

  executor.setBusyPoll(0);
  const p1 = executor.hostPolls;
  const echoedWithout = await pingPong(port, N);
  const withoutPoll = executor.hostPolls - p1;

  assert.deepEqual(echoedWith, expected);
  assert.deepEqual(echoedWithout, expected);
  // The kernel thread polls only with a core to spare (this host's count, no busy vCPU workers).
  if (os.availableParallelism() >= 2) assert.ok(withPoll > 0, `busy polls during ${N} round trips: ${withPoll}`);
  assert.equal(idlePolls, 0, "no busy polls while the LibOS idles");
  assert.equal(withoutPoll, 0, "no busy polls with OCCLUM_BUSY_POLL_US=0");

  const r = await server;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`client 0 from 127\\.0\\.0\\.1 echoed ${N}\\n`));
  assert.match(r.stdout, new RegExp(`client 1 from 127\\.0\\.0\\.1 echoed ${N}\\n`));
});
