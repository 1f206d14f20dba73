import { test } from "node:test";
import assert from "node:assert/strict";
import { Ready } from "../fs/types.ts";
import { EAGAIN_ERROR, Errno } from "../syscall/errno.ts";
import { createSocket, createSocketpair } from "./socket-service.ts";
import { UnixNamespace } from "./unix.ts";
import { Domain, Msg, Shut, SockType, SOL_SOCKET, SockOpt, type KernelSocket, type RecvResult } from "./types.ts";
import { acceptBlocking, blocking, connectBlocking, expectErrno, readAll, writeAll } from "./test-helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function stream(ns: UnixNamespace): KernelSocket {
  return createSocket(Domain.UNIX, SockType.STREAM, 0, { unixNs: ns });
}

test("unix stream: bind, listen, connect, accept, echo both ways, names", async () => {
  const ns = new UnixNamespace();
  const srv = stream(ns);
  srv.bind({ family: "unix", path: "/tmp/echo.sock" });
  srv.listen(4);
  assert.equal(srv.getsockopt(SOL_SOCKET, SockOpt.SO_ACCEPTCONN), 1);
  assert.throws(() => srv.accept(), (e: unknown) => e === EAGAIN_ERROR);
  const cli = stream(ns);
  await connectBlocking(cli, { family: "unix", path: "/tmp/echo.sock" });
  assert.equal(srv.poll() & Ready.IN, Ready.IN);
  const conn = await acceptBlocking(srv);
  assert.deepEqual(cli.getpeername(), { family: "unix", path: "/tmp/echo.sock" });
  assert.deepEqual(conn.getsockname(), { family: "unix", path: "/tmp/echo.sock" });
  assert.deepEqual(conn.getpeername(), { family: "unix", path: "" });
  await writeAll(cli, enc("ping"));
  assert.equal(dec(await readAll(conn, 4)), "ping");
  await writeAll(conn, enc("pong"));
  const peekBuf = new Uint8Array(4);
  assert.equal((cli.recvFrom([peekBuf], Msg.PEEK) as RecvResult).n, 4);
  assert.equal(dec(await readAll(cli, 4)), "pong");
  for (const s of [cli, conn, srv]) s.release();
  assert.equal(ns.has("/tmp/echo.sock"), false);
});

test("unix stream: errors of connect and bind", () => {
  const ns = new UnixNamespace();
  const a = stream(ns);
  assert.throws(() => a.connect({ family: "unix", path: "/nope" }), expectErrno(Errno.NOENT));
  assert.throws(() => a.connect({ family: "unix", path: "\0nope" }), expectErrno(Errno.CONNREFUSED));
  a.bind({ family: "unix", path: "/s" });
  const b = stream(ns);
  assert.throws(() => b.bind({ family: "unix", path: "/s" }), expectErrno(Errno.ADDRINUSE));
  assert.throws(() => b.connect({ family: "unix", path: "/s" }), expectErrno(Errno.CONNREFUSED), "bound, not listening");
  const d = createSocket(Domain.UNIX, SockType.DGRAM, 0, { unixNs: ns });
  d.bind({ family: "unix", path: "/d" });
  assert.throws(() => b.connect({ family: "unix", path: "/d" }), expectErrno(Errno.PROTOTYPE));
  assert.throws(() => b.listen(1), expectErrno(Errno.INVAL), "listen needs a name");
  assert.throws(() => b.recvFrom([new Uint8Array(1)], 0), expectErrno(Errno.INVAL));
  assert.throws(() => b.sendTo([new Uint8Array(1)], 0), expectErrno(Errno.NOTCONN));
  assert.throws(() => createSocket(Domain.UNIX, SockType.STREAM, 6), expectErrno(Errno.PROTONOSUPPORT));
  assert.throws(() => createSocket(99, SockType.STREAM, 0), expectErrno(Errno.AFNOSUPPORT));
  a.release();
  assert.equal(ns.has("/s"), false);
});

test("unix stream: a full backlog makes connect EAGAIN until accept", async () => {
  const ns = new UnixNamespace();
  const srv = stream(ns);
  srv.bind({ family: "unix", path: "\0bl" });
  srv.listen(0); // Linux admits backlog + 1
  const c1 = stream(ns);
  c1.connect({ family: "unix", path: "\0bl" });
  const c2 = stream(ns);
  assert.throws(() => c2.connect({ family: "unix", path: "\0bl" }), (e: unknown) => e === EAGAIN_ERROR);
  assert.equal(c2.poll(), 0, "not ready while queued behind the backlog");
  const done = blocking(c2, Ready.OUT, () => c2.connect({ family: "unix", path: "\0bl" }));
  srv.accept();
  await done;
  assert.ok(srv.accept());
});

test("unix socketpair: half-close, EOF, EPIPE with and without MSG_NOSIGNAL", async () => {
  const [a, b] = createSocketpair(Domain.UNIX, SockType.STREAM, 0);
  let sigpipes = 0;
  a.onSigpipe = () => sigpipes++;
  await writeAll(a, enc("last words"));
  a.shutdown(Shut.WR);
  assert.equal(b.poll() & (Ready.IN | Ready.RDHUP), Ready.IN | Ready.RDHUP);
  assert.equal(dec(await readAll(b, 100)), "last words", "data, then EOF");
  assert.equal(b.read([new Uint8Array(1)]), 0);
  await writeAll(b, enc("still here")); // the other direction stays open
  assert.equal(dec(await readAll(a, 10)), "still here");
  assert.throws(() => a.sendTo([enc("x")], 0), expectErrno(Errno.PIPE));
  assert.equal(sigpipes, 1);
  assert.throws(() => a.sendTo([enc("x")], Msg.NOSIGNAL), expectErrno(Errno.PIPE));
  assert.equal(sigpipes, 1, "MSG_NOSIGNAL: no SIGPIPE");
  b.release();
  assert.equal(a.poll() & Ready.HUP, Ready.HUP);
  a.release();
});

test("unix stream: closing with unread data resets the peer; a slow reader bounds the writer", () => {
  const [a, b] = createSocketpair(Domain.UNIX, SockType.STREAM, 0);
  let sent = 0;
  for (;;) {
    try {
      sent += a.write([new Uint8Array(65536)]) as number;
    } catch (e) {
      assert.equal(e, EAGAIN_ERROR);
      break;
    }
  }
  assert.equal(sent, b.getsockopt(SOL_SOCKET, SockOpt.SO_RCVBUF), "the writer stops at the reader's ring");
  assert.equal(a.poll() & Ready.OUT, 0);
  b.read([new Uint8Array(1000)]);
  assert.equal(a.poll() & Ready.OUT, Ready.OUT);
  b.release();
  assert.throws(() => a.read([new Uint8Array(1)]), expectErrno(Errno.CONNRESET));
  assert.equal(a.read([new Uint8Array(1)]), 0);
});

test("unix datagram: sendto/recvfrom with names, truncation, connect, ECONNREFUSED", async () => {
  const ns = new UnixNamespace();
  const opts = { unixNs: ns };
  const srv = createSocket(Domain.UNIX, SockType.DGRAM, 0, opts);
  srv.bind({ family: "unix", path: "/run/d" });
  const cli = createSocket(Domain.UNIX, SockType.DGRAM, 0, opts);
  cli.bind({ family: "unix", path: "/run/c" });
  assert.equal(cli.sendTo([enc("hello "), enc("world")], 0, { family: "unix", path: "/run/d" }), 11);
  const buf = new Uint8Array(5);
  const r = srv.recvFrom([buf], 0) as RecvResult;
  assert.equal(r.n, 5);
  assert.equal(r.truncated, true);
  assert.equal(r.fullLength, 11);
  assert.deepEqual(r.from, { family: "unix", path: "/run/c" });
  assert.throws(() => srv.recvFrom([buf], 0), (e: unknown) => e === EAGAIN_ERROR, "the rest of a datagram is gone");
  assert.throws(() => cli.sendTo([enc("x")], 0), expectErrno(Errno.NOTCONN));
  cli.connect({ family: "unix", path: "/run/d" });
  cli.write([enc("again")]);
  const got = await blocking(srv, Ready.IN, () => srv.recvFrom([new Uint8Array(64)], Msg.TRUNC));
  assert.equal(got.n, 5);
  srv.release();
  assert.throws(() => cli.write([enc("x")]), expectErrno(Errno.CONNREFUSED));
  assert.throws(() => cli.sendTo([enc("x")], 0, { family: "unix", path: "/run/d" }), expectErrno(Errno.NOENT));
  cli.release();
});

test("unix datagram socketpair: a full receiver blocks the sender until drained", async () => {
  const [a, b] = createSocketpair(Domain.UNIX, SockType.DGRAM, 0);
  let n = 0;
  for (;;) {
    try {
      a.write([new Uint8Array(1000)]);
      n++;
    } catch (e) {
      assert.equal(e, EAGAIN_ERROR);
      break;
    }
  }
  assert.ok(n > 10 && n <= 512);
  assert.equal(a.poll() & Ready.OUT, 0);
  const sent = blocking(a, Ready.OUT, () => a.write([new Uint8Array(1000)]));
  b.read([new Uint8Array(1000)]);
  assert.equal(await sent, 1000);
  assert.equal(b.getpeername().family, "unix");
});

test("socket buffers are charged to the memory budget and returned on close", async () => {
  const { ByteBudget } = await import("../ipc/byte-ring.ts");
  const budget = new ByteBudget(1 << 20);
  const [a, b] = createSocketpair(Domain.UNIX, SockType.STREAM, 0, { mem: budget });
  a.write([new Uint8Array(10000)]);
  assert.ok(budget.used >= 10000, `charged ${budget.used}`);
  b.read([new Uint8Array(10000)]);
  a.release();
  b.release();
  assert.equal(budget.used, 0);
  const tight = new ByteBudget(0);
  const [c, d] = createSocketpair(Domain.UNIX, SockType.STREAM, 0, { mem: tight });
  assert.throws(() => c.write([new Uint8Array(1)]), expectErrno(Errno.NOBUFS));
  c.release();
  d.release();
});
