import { test } from "node:test";
import assert from "node:assert/strict";
import * as dgram from "node:dgram";
import { once } from "node:events";
import { Ready } from "../fs/types.ts";
import { EAGAIN_ERROR, Errno } from "../syscall/errno.ts";
import { createSocket } from "./socket-service.ts";
import { Domain, Msg, SockType, type SockAddr } from "./types.ts";
import { blocking, expectErrno } from "./test-helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

for (const [domain, lo] of [[Domain.INET, "127.0.0.1"], [Domain.INET6, "::1"]] as const) {
  const fam = domain === Domain.INET ? "inet" : "inet6";
  test(`UDP round trip between kernel sockets over ${fam}`, async () => {
    const a = createSocket(domain, SockType.DGRAM, 0);
    const b = createSocket(domain, SockType.DGRAM, 0);
    await a.bind({ family: fam, addr: lo, port: 0 } as SockAddr);
    await b.bind({ family: fam, addr: lo, port: 0 } as SockAddr);
    const aAddr = a.getsockname();
    const bAddr = b.getsockname();
    assert.notEqual((aAddr as { port: number }).port, 0);
    await a.sendTo([enc("ping "), enc("v" + domain)], 0, bAddr);
    const buf = new Uint8Array(100);
    const r = await blocking(b, Ready.IN, () => b.recvFrom([buf], 0));
    assert.equal(dec(buf.subarray(0, r.n)), "ping v" + domain);
    assert.deepEqual(r.from, aAddr);
    await b.sendTo([enc("pong")], 0, r.from);
    const small = new Uint8Array(2);
    const peek = await blocking(a, Ready.IN, () => a.recvFrom([small], Msg.PEEK));
    assert.equal(peek.truncated, true);
    const back = await a.recvFrom([small], Msg.TRUNC);
    assert.equal(back.n, 4, "MSG_TRUNC returns the real length");
    assert.equal(dec(small), "po");
    assert.throws(() => a.recvFrom([small], 0), (e: unknown) => e === EAGAIN_ERROR);
    a.release();
    b.release();
  });
}

test("UDP: implicit bind on send, connected sockets filter other senders, EDESTADDRREQ, host peer", async () => {
  const host = dgram.createSocket("udp4");
  host.bind(0, "127.0.0.1");
  await once(host, "listening");
  const hostAddr: SockAddr = { family: "inet", addr: "127.0.0.1", port: host.address().port };
  const k = createSocket(Domain.INET, SockType.DGRAM, 0);
  assert.throws(() => k.sendTo([enc("x")], 0), expectErrno(Errno.DESTADDRREQ));
  const got = once(host, "message");
  await k.sendTo([enc("to host")], 0, hostAddr);
  const [msg, rinfo] = (await got) as [Buffer, dgram.RemoteInfo];
  assert.equal(msg.toString(), "to host");
  assert.equal(rinfo.port, (k.getsockname() as { port: number }).port, "bound implicitly by the first send");
  await k.connect(hostAddr);
  assert.deepEqual(k.getpeername(), hostAddr);
  const stranger = dgram.createSocket("udp4");
  stranger.send("not for you", rinfo.port, "127.0.0.1");
  host.send("reply", rinfo.port, "127.0.0.1");
  const r = await blocking(k, Ready.IN, () => k.recvFrom([new Uint8Array(64)], 0));
  assert.equal(r.n, 5, "only the connected peer's datagram arrives");
  await new Promise((res) => setTimeout(res, 20));
  assert.throws(() => k.recvFrom([new Uint8Array(64)], 0), (e: unknown) => e === EAGAIN_ERROR);
  await k.write([enc("via connect")]);
  const [m2] = (await once(host, "message")) as [Buffer];
  assert.equal(m2.toString(), "via connect");
  k.release();
  host.close();
  stranger.close();
});

test("UDP: EADDRINUSE and address family checks", async () => {
  const a = createSocket(Domain.INET, SockType.DGRAM, 0);
  await a.bind({ family: "inet", addr: "127.0.0.1", port: 0 });
  const b = createSocket(Domain.INET, SockType.DGRAM, 0);
  await assert.rejects(Promise.resolve().then(() => b.bind(a.getsockname())), expectErrno(Errno.ADDRINUSE));
  assert.throws(() => b.sendTo([enc("x")], 0, { family: "inet6", addr: "::1", port: 9 }), expectErrno(Errno.AFNOSUPPORT));
  a.release();
  b.release();
});
