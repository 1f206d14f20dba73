/**
 * Named AF_UNIX sockets between LibOS processes (test/guest/net/unix_named.c): bind on a path makes
 * the socket file in the VFS, a spawned process connects by path; ENOENT / ECONNREFUSED /
 * EADDRINUSE as Linux; the file outlives the socket; relative paths from the cwd; datagrams by path.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  const wasm = await buildGuest("test/guest/net/unix_named.c", { mode: "posix" });
  inst = await makeInstance({ programs: { "/bin/unix_named": wasm } });
});

after(async () => {
  await inst?.cleanup();
});

test("named AF_UNIX stream and datagram sockets between two guest processes", { skip }, async () => {
  const r = await run(inst, "/bin/unix_named", { args: ["server"] });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, [
    "before bind: connect ENOENT",
    "socket file exists",
    "before listen: connect ECONNREFUSED",
    "sockname /tmp/echo.sock",
    "second bind EADDRINUSE",
    "client got pong from /tmp/echo.sock",
    "server got ping, client exit 0",
    "after close: file stays, connect ECONNREFUSED",
    "rebind without unlink EADDRINUSE",
    "rebind after unlink ok",
    "relative: connect by absolute path ok",
    "missing directory: bind ENOENT",
    "dgram dgram from /tmp/d2.sock",
    "dgram to a missing path ENOENT",
    "",
  ].join("\n"));
});
