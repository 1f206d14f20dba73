/**
 * SCM_RIGHTS over AF_UNIX between two LibOS processes, MSG_CTRUNC, plain reads dropping passed
 * fds, and MSG_NOSIGNAL (test/guest/net/scm_rights.c; the libc side is sdk/libc/sockets.c).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  const wasm = await buildGuest("test/guest/net/scm_rights.c", { mode: "posix" });
  inst = await makeInstance({ programs: { "/bin/scm_rights": wasm } });
});

after(async () => {
  await inst?.cleanup();
});

test("SCM_RIGHTS passes a pipe and a file to another process; MSG_CTRUNC; MSG_NOSIGNAL", { skip }, async () => {
  const r = await run(inst, "/bin/scm_rights", { args: ["parent"] });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, [
    "child got \"two fds\" with 2 fds",
    "child read the passed file: file contents",
    "parent read from the pipe: through the passed pipe (EOF once the child exited: 1)",
    "ctrunc: 1 fd(s), MSG_CTRUNC 1",
    "plain read got B, next recvmsg C with 0 fds",
    "nosignal: -1 EPIPE, sigpipes 0",
    "without: -1 EPIPE, sigpipes 1",
    "",
  ].join("\n"));
});
