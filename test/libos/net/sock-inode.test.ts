/**
 * Socket inodes (test/guest/net/sock_inode.c): the file a pathname AF_UNIX bind makes is a socket
 * to stat/lstat/fstatat, fstat says socket for every socket fd, open gives ENXIO, bind on an
 * existing path EADDRINUSE, rename keeps the socket reachable, unlink removes the file. The
 * expected output is the program's output on Linux, except readdir's d_type: Linux says DT_SOCK
 * (12); the WASI dirent has no such type, so the LibOS says DT_UNKNOWN and the program stats.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  inst = await makeInstance({ programs: { "/bin/sock_inode": await buildGuest("test/guest/net/sock_inode.c", { mode: "posix" }) } });
});

after(async () => {
  await inst?.cleanup();
});

test("a bound unix socket's path is a socket inode; fstat of socket fds says socket", { skip }, async () => {
  const r = await run(inst, "/bin/sock_inode");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, [
    "stat socket",
    "lstat socket",
    "fstatat socket",
    "size 0",
    "open ENXIO",
    "open O_CREAT ENXIO",
    "readdir socket unknown, regular file regular",
    "fstat listener socket, client socket, accepted socket, socketpair socket, tcp socket, udp socket",
    "fstat pipe is socket: no, file regular",
    "bind on the socket file EADDRINUSE",
    "bind on a regular file EADDRINUSE",
    "regular file stays regular",
    "after rename: old ENOENT, new socket, connect new ok, connect old ENOENT",
    "after close: socket, connect ECONNREFUSED",
    "after unlink: ENOENT",
    "rebind socket",
    "dgram socket",
    "regular file renamed over it: regular, readdir regular",
    "open ok",
    "",
  ].join("\n"));
});
