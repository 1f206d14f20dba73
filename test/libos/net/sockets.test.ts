/**
 * BSD sockets for POSIX guests through the wasix_32v1 socket rows: a guest echo server reached by
 * host clients (node:net), a guest client reaching a host server, UDP round trips, non-blocking
 * connect + poll, ECONNREFUSED, an epoll server with several clients, getaddrinfo. One C program
 * (test/guest/net/net.c), one mode per argv[1]. Loopback only.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { once } from "node:events";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { Collect, makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  const wasm = await buildGuest("test/guest/net/net.c", { mode: "posix" });
  inst = await makeInstance({ programs: { "/bin/net": wasm }, files: { "/etc/hosts": "127.0.0.1 localhost\n127.0.0.1 occlum-test-host\n" } });
});

after(async () => {
  await inst?.cleanup();
});

/** A host client: send `msg`, half-close, collect the echo. */
async function hostClient(port: number, msg: string): Promise<string> {
  const c = net.connect(port, "127.0.0.1");
  await once(c, "connect");
  c.end(msg);
  let got = "";
  c.setEncoding("utf8");
  for await (const chunk of c) got += chunk as string;
  return got;
}

/** A host echo server on an ephemeral port. */
async function hostEchoServer(): Promise<net.Server> {
  const srv = net.createServer((s) => s.pipe(s));
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  return srv;
}

test("a guest TCP echo server serves host clients (node:net)", { skip }, async () => {
  const stdout = new Collect();
  const server = run(inst, "/bin/net", { args: ["echo-server", "3"], stdout });
  await stdout.waitFor(/listening \d+\n/);
  const port = Number(/listening (\d+)/.exec(stdout.text)![1]);
  assert.ok(port > 0);
  assert.equal(await hostClient(port, "hello"), "hello");
  const big = "x".repeat(200_000);
  assert.equal(await hostClient(port, big), big);
  assert.equal(await hostClient(port, "third"), "third");
  const r = await server;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /client 0 from 127\.0\.0\.1 echoed 5\n/);
  assert.match(r.stdout, /client 1 from 127\.0\.0\.1 echoed 200000\n/);
});

test("a guest TCP client reaches a host server", { skip }, async () => {
  const srv = await hostEchoServer();
  try {
    const port = (srv.address() as net.AddressInfo).port;
    const r = await run(inst, "/bin/net", { args: ["client", String(port), "from guest"] });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, `peer port ${port} reply: from guest\n`);
  } finally {
    srv.close();
  }
});

test("UDP round trip between two guest sockets", { skip }, async () => {
  const r = await run(inst, "/bin/net", { args: ["udp"] });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, "udp pingpong\n");
});

test("non-blocking connect: EINPROGRESS, poll for POLLOUT, SO_ERROR 0, then data", { skip }, async () => {
  const srv = await hostEchoServer();
  try {
    const port = (srv.address() as net.AddressInfo).port;
    const r = await run(inst, "/bin/net", { args: ["nbconnect", String(port)] });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^connect (EINPROGRESS|at once)\npoll 1 out 1 so_error 0\nreply nb\n$/);
  } finally {
    srv.close();
  }
});

test("connect to a closed port: ECONNREFUSED", { skip }, async () => {
  const srv = await hostEchoServer();
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  await once(srv, "close");
  const r = await run(inst, "/bin/net", { args: ["refused", String(port)] });
  assert.equal(r.stdout, "connect: ECONNREFUSED\n");
  assert.equal(r.code, 0);
});

test("an epoll server serves several concurrent host clients", { skip }, async () => {
  const stdout = new Collect();
  const server = run(inst, "/bin/net", { args: ["epoll-server", "5"], stdout });
  await stdout.waitFor(/listening \d+\n/);
  const port = Number(/listening (\d+)/.exec(stdout.text)![1]);
  const msgs = Array.from({ length: 5 }, (_, k) => `client-${k}-`.repeat(50 + k));
  const replies = await Promise.all(msgs.map((m) => hostClient(port, m)));
  assert.deepEqual(replies, msgs);
  const r = await server;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /epoll served 5 of 5\n/);
});

test("epoll: a closed fd leaves the interest list without EPOLL_CTL_DEL (fd numbers are reused)", { skip }, async () => {
  const stdout = new Collect();
  const server = run(inst, "/bin/net", { args: ["epoll-server", "6"], stdout });
  await stdout.waitFor(/listening \d+\n/);
  const port = Number(/listening (\d+)/.exec(stdout.text)![1]);
  // One after the other: each new connection reuses the fd the previous one closed.
  for (let k = 0; k < 6; k++) assert.equal(await hostClient(port, `seq-${k}`), `seq-${k}`);
  const r = await server;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /epoll served 6 of 6\n/);
});

test("getaddrinfo: localhost, a name from the image's /etc/hosts, a numeric address", { skip }, async () => {
  const a = await run(inst, "/bin/net", { args: ["gai", "localhost"] });
  assert.equal(a.code, 0, a.stdout);
  assert.match(a.stdout, /^localhost 127\.0\.0\.1 80\n/);
  const b = await run(inst, "/bin/net", { args: ["gai", "occlum-test-host"] });
  assert.equal(b.stdout, "occlum-test-host 127.0.0.1 80\n");
  const c = await run(inst, "/bin/net", { args: ["gai", "10.1.2.3"] });
  assert.equal(c.stdout, "10.1.2.3 10.1.2.3 80\n");
  const d = await run(inst, "/bin/net", { args: ["gai", "no-such-host.invalid"] });
  assert.notEqual(d.code, 0);
});

test("echo server and client both inside the LibOS: posix_spawn, select, accept, waitpid", { skip }, async () => {
  const r = await run(inst, "/bin/net", { args: ["inproc"] });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /select 1 isset 1\n/);
  assert.match(r.stdout, /peer port \d+ reply: inside\n/);
  assert.match(r.stdout, /server echoed 6, client exit 0\n/);
});

test("IPv6 loopback: bind [::1], connect, getpeername", { skip }, async () => {
  const r = await run(inst, "/bin/net", { args: ["ipv6"] });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, "v6 six peer ::1 same port 1\n");
});

test("AF_UNIX socketpair", { skip }, async () => {
  const r = await run(inst, "/bin/net", { args: ["unix"] });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, "socketpair pair\nsocketpair back\n");
});

test("recv/send flags and options: MSG_DONTWAIT, MSG_PEEK, TCP_NODELAY, SO_TYPE, SO_RCVBUF, SO_RCVTIMEO, EPIPE", { skip }, async () => {
  const r = await run(inst, "/bin/net", { args: ["flags"] });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout.replace(/^listening \d+\n/, ""), [
    "dontwait -1 EAGAIN", "peek then read peek", "nodelay 1 type 1 rcvbuf>0 1", "rcvtimeo -1 EAGAIN",
    "send after peer close EPIPE", "",
  ].join("\n"));
});

test("fstat of a socket reports S_IFSOCK (TCP listener and connection, UDP, AF_UNIX)", { skip }, async () => {
  const r = await run(inst, "/bin/net", { args: ["fstat"] });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout.replace(/^listening \d+\n/, ""), ["listener", "tcp", "udp", "unix"].map((n) => `${n} sock 1 reg 0 fifo 0\n`).join(""));
});
