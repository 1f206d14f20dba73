/**
 * epoll_data through a real guest (test/guest/net/epoll_data.c): a 64-bit data.u64, data.ptr =
 * NULL, a word whose low half is zero and data.fd come back whole from epoll_wait and epoll_pwait,
 * as on Linux (the expected lines are the same program's output there, built with gcc). Debian's
 * wasix-libc returned 32 bits of the first non-zero field, so the zero words came back as the fd;
 * sdk/libc/epoll.c returns the ABI's 64-bit word.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  const wasm = await buildGuest("test/guest/net/epoll_data.c", { mode: "posix" });
  inst = await makeInstance({ programs: { "/bin/epoll_data": wasm } });
});

after(async () => {
  await inst?.cleanup();
});

const events = ["  events=0x1 ptr NULL", "  events=0x1 fd", "  events=0x1 low half 0", "  events=0x1 u64"];

test("epoll_data comes back whole: u64, ptr NULL, a zero low half, fd; EINVAL, EBADF, a timeout", { skip }, async () => {
  const r = await run(inst, "/bin/epoll_data");
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, ["before: 0", "epoll_wait: 4", ...events, "epoll_pwait: 4", ...events, "maxevents 0: -1 EINVAL", "bad epfd: -1 EBADF", "timeout: 0", ""].join("\n"));
  assert.equal(r.code, 0);
});
