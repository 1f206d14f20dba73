/**
 * runInstance's boot phase (async-fs.ts boot calls): host file calls are synchronous while it
 * mounts and loads the program, and through the thread pool again once the program runs, also
 * when the start fails.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { bootCallsActive } from "../../src/libos/async-fs.ts";
import { Collect, guest, makeInstance, run, PassThrough, type Instance } from "./helpers.ts";

let inst: Instance | undefined;
after(async () => inst?.cleanup());

test("boot calls end when the program starts, and when it cannot start", { timeout: 60_000 }, async () => {
  inst = await makeInstance({ programs: { "/bin/stdin_echo": await guest("stdin_echo") }, files: { "/etc/motd": "hi\n" } });
  const stdin = new PassThrough();
  const stdout = new Collect();
  const running = run(inst, "/bin/stdin_echo", { stdin, stdout, args: ["e"] });
  await stdout.waitFor(/e: ready\n/); // the program runs, parked on stdin
  assert.equal(bootCallsActive(), false);
  stdin.end("x\n");
  const r = await running;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "e: ready\ne: x\ne: eof after 1 lines\n");

  const missing = await run(inst, "/bin/none");
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /\/bin\/none: cannot execute: No such file or directory/);
  assert.equal(bootCallsActive(), false);
});
