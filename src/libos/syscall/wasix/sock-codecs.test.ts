import { test } from "node:test";
import assert from "node:assert/strict";
import { ip6Bytes, readAddrPort, writeAddrPort, writeAddrIp, epollToLinux, epollFromLinux } from "./sock-codecs.ts";
import { GuestMemory } from "../memory.ts";
import { Epoll } from "../../net/epoll.ts";
import { Errno } from "../errno.ts";
import type { SockAddr } from "../../net/types.ts";

function mem(): GuestMemory {
  return new GuestMemory(new WebAssembly.Memory({ initial: 1 }));
}

test("addr_port: inet4 layout (host-order port LE @2, address bytes @4) and round trip", () => {
  const m = mem();
  writeAddrPort(m, 64, { family: "inet", addr: "127.0.0.1", port: 0x1234 });
  assert.deepEqual([...m.u8.subarray(64, 72)], [1, 0, 0x34, 0x12, 127, 0, 0, 1]);
  assert.deepEqual(readAddrPort(m, 64), { family: "inet", addr: "127.0.0.1", port: 0x1234 });
});

test("addr_port: inet6 round trips with zero compression, flowinfo and scope id", () => {
  const m = mem();
  const cases: SockAddr[] = [
    { family: "inet6", addr: "::1", port: 80, flowinfo: 0, scopeId: 0 },
    { family: "inet6", addr: "fe80::1:2", port: 443, flowinfo: 0x12345, scopeId: 3 },
    { family: "inet6", addr: "2001:db8::", port: 1, flowinfo: 0, scopeId: 0 },
  ];
  for (const a of cases) {
    writeAddrPort(m, 128, a);
    assert.deepEqual(readAddrPort(m, 128), a);
  }
  assert.equal(m.u8[128], 2);
  assert.deepEqual([...ip6Bytes("::ffff:127.0.0.1")], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]);
});

test("addr_port: unix paths, unknown tags fail with EAFNOSUPPORT", () => {
  const m = mem();
  writeAddrPort(m, 256, { family: "unix", path: "/tmp/s" });
  assert.deepEqual(readAddrPort(m, 256), { family: "unix", path: "/tmp/s" });
  m.u8[256] = 9;
  assert.throws(() => readAddrPort(m, 256), { errno: Errno.AFNOSUPPORT });
});

test("addr_ip (resolve output) and the epoll bit mapping", () => {
  const m = mem();
  writeAddrIp(m, 0, "10.1.2.3");
  assert.deepEqual([...m.u8.subarray(0, 6)], [1, 0, 10, 1, 2, 3]);
  writeAddrIp(m, 32, "::1");
  assert.equal(m.u8[32], 2);
  assert.equal(m.u8[32 + 17], 1);
  assert.equal(epollToLinux(1 | 2 | 64), (Epoll.IN | Epoll.OUT | Epoll.ET) >>> 0);
  assert.equal(epollFromLinux(Epoll.HUP | Epoll.ERR | Epoll.RDHUP), 32 | 16 | 4);
  // Every bit each way, and the round trip of every combination of the mapped bits.
  const wasix = [1, 2, 4, 8, 16, 32, 64, 128];
  const linux = [Epoll.IN, Epoll.OUT, Epoll.RDHUP, Epoll.PRI, Epoll.ERR, Epoll.HUP, Epoll.ET, Epoll.ONESHOT];
  wasix.forEach((w, k) => assert.equal(epollFromLinux(linux[k]!), w, `Linux bit ${linux[k]}`));
  for (let m = 0; m < 256; m++) assert.equal(epollFromLinux(epollToLinux(m)), m);
  assert.equal(epollFromLinux(Epoll.MSG | Epoll.WRBAND), 0, "unmapped bits are dropped");
});
