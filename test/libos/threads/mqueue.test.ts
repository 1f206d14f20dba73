/**
 * Message queues where Linux cannot be the reference (test/guest/threads/mqueue_extras.c): EFAULT
 * for a name or a sigevent at a bad address, where glibc's wrappers crash; an unprivileged
 * process's bounds on maxmsg and msgsize for every process. conform-mqueue.test.ts has the rest.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  inst = await makeInstance({ programs: { "/bin/mqueue_extras": await buildGuest("test/guest/threads/mqueue_extras.c", { mode: "posix" }) } });
});

after(async () => {
  await inst?.cleanup();
});

test("bad pointers are EFAULT, an unprivileged process's bounds hold", { skip }, async () => {
  const r = await run(inst, "/bin/mqueue_extras");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `mq_open of a name at a bad address: -1 Bad address
mq_unlink of a name at a bad address: -1 Bad address
mq_open of a name past PATH_MAX: -1 Filename too long
mq_open("/."): -1 Permission denied
maxmsg 10, msgsize 8192: 0
maxmsg 11: -1 Invalid argument
msgsize 8193: -1 Invalid argument
mq_notify with the sigevent at a bad address: -1 Bad address
mq_notify(NULL): 0
mq_unlink: 0
`);
});
