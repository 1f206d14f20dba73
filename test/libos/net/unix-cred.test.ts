/**
 * Credentials on AF_UNIX sockets through a real guest (test/guest/net/unix_cred.c): SO_PEERCRED
 * of a socketpair, a listener and both ends of a connection between two processes, SO_PASSCRED
 * with SCM_CREDENTIALS on stream and datagram sockets (alone and beside SCM_RIGHTS), explicit
 * credentials and ESRCH for a pid that does not exist. The expected lines are the program's
 * output on Linux (as root); the two processes print concurrently, so lines are compared sorted.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  inst = await makeInstance({ programs: { "/bin/unix_cred": await buildGuest("test/guest/net/unix_cred.c", { mode: "posix" }) } });
});

after(async () => {
  await inst?.cleanup();
});

test("SO_PEERCRED, SO_PASSCRED and SCM_CREDENTIALS between two guest processes", { skip }, async () => {
  const r = await run(inst, "/bin/unix_cred");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(r.stdout.split("\n").filter((l) => l !== "").sort(), [
    "socketpair: peercred self ids own len 12",
    "passcred before 0",
    "passcred after 1",
    "stream: got \"hello\": creds from self",
    "stream: got \"fd\": creds from self fd reads \"pipe\"",
    "dgram pair: peercred self ids own len 12",
    "dgram: got \"datagram\": creds from self",
    "listener: peercred self ids own len 12",
    "client: peercred parent ids own len 12",
    "accepted: peercred child ids own len 12",
    "server: got \"plain\": creds from child",
    "server: got \"own\": creds from child",
    "client: creds of a missing pid: ESRCH",
    "client exit 0",
  ].sort());
});
