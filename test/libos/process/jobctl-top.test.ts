/**
 * Job control of the instance's first process, which has no parent in the LibOS to continue it
 * (process/job-control.ts, boot.ts RunOptions.onStop): raise(SIGSTOP), raise(SIGTSTP) and
 * kill(getpid(), SIGSTOP) hand the stop to the host's onStop (what `occlum run` uses to stop
 * itself: test/libos/cli-run.test.ts), and the program goes on with SIGCONT once it returns.
 * Without onStop one line on stderr says it is stopped; a process of the instance may continue it,
 * or the run is killed (nothing hangs silently). test/guest/process/stop_self.c.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { Collect, makeInstance, run, type Instance } from "../helpers.ts";
import { runInstance } from "../../../src/libos/boot.ts";
import { Logger, LogLevel } from "../../../src/libos/log.ts";

const skip = posixSkip();
const timeout = 60_000;
let inst: Instance;

before(async () => {
  if (skip) return;
  inst = await makeInstance({ programs: { "/bin/stop_self": await buildGuest("test/guest/process/stop_self.c", { mode: "posix" }) } });
});

after(async () => {
  await inst?.cleanup();
});

for (const [how, signo] of [["", 19], ["tstp", 20], ["kill", 19]] as const) {
  test(`stop_self ${how || "raise"}: onStop gets signal ${signo}, then the program goes on`, { skip, timeout }, async () => {
    const stops: number[] = [];
    const r = await run(inst, "/bin/stop_self", { args: how ? [how] : [], onStop: (s) => void stops.push(s) });
    assert.deepEqual(stops, [signo]);
    assert.equal(r.stdout, "before\nafter\n");
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
  });
}

test("without onStop: one line on stderr, and a child of the program continues it", { skip, timeout }, async () => {
  const r = await run(inst, "/bin/stop_self", { args: ["child"] });
  assert.equal(r.stdout, "before\nchild: exited 0\nafter\n");
  assert.match(r.stderr, /^occlum: pid 1 \(\/bin\/stop_self\) stopped by SIGSTOP; it has no parent to continue it: it goes on when another process sends it SIGCONT\n$/);
  assert.equal(r.code, 0);
});

test("without onStop and nobody to continue it: the line on stderr, and a kill ends the run", { skip, timeout }, async () => {
  const stdout = new Collect();
  const stderr = new Collect();
  const ac = new AbortController();
  const running = runInstance({
    env: {}, instanceDir: inst.dir, path: "/bin/stop_self", stdio: { stdin: "", stdout, stderr }, signal: ac.signal,
    logger: new Logger(LogLevel.error, () => {}),
  });
  await stderr.waitFor(/stopped by SIGSTOP/);
  ac.abort(9);
  assert.equal(await running, 128 + 9);
  assert.equal(stdout.text, "before\n");
});
