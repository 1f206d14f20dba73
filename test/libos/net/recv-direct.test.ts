/**
 * Host data read straight into a socket's receive ring (net/tcp.ts), through a real guest
 * (test/guest/net/recv_direct.c): blocking recv with MSG_PEEK and odd read sizes, some finding data
 * waiting and some blocked until the host sends more, to EOF; the guest's FNV-1a hash of the
 * stream must match the host's.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { once } from "node:events";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { Collect, makeInstance, run, type Instance } from "../helpers.ts";
import { tcpRxStats } from "../../../src/libos/net/tcp.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  inst = await makeInstance({ programs: { "/bin/recv_direct": await buildGuest("test/guest/net/recv_direct.c", { mode: "posix" }) } });
});

after(async () => {
  await inst?.cleanup();
});

function fnv1a(data: Uint8Array): number {
  let h = 2166136261;
  for (const b of data) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h;
}

test("recv with MSG_PEEK and partial reads of host data, blocked and not, to EOF", { skip }, async () => {
  const stdout = new Collect();
  const before = tcpRxStats.direct;
  const guest = run(inst, "/bin/recv_direct", { stdout });
  await stdout.waitFor(/listening \d+\n/);
  const port = Number(/listening (\d+)/.exec(stdout.text)![1]);
  const TOTAL = 2 * 1024 * 1024 + 777;
  const stream = new Uint8Array(TOTAL);
  let x = 7;
  for (let i = 0; i < TOTAL; i++) stream[i] = x = ((x * 1103515245 + 12345) >>> 16) & 0xff;
  const c = net.connect(port, "127.0.0.1");
  await once(c, "connect");
  for (let off = 0, k = 0; off < TOTAL; k++) {
    const n = Math.min(TOTAL - off, [1, 2, 900, 128 * 1024, 333 * 1024, 4096][k % 6]!);
    if (!c.write(stream.subarray(off, off + n))) await once(c, "drain");
    off += n;
    // Pauses leave the guest blocked in recv with an empty ring, waiting for the next bytes.
    if (k % 3 === 0) await new Promise((r) => setTimeout(r, 2));
  }
  c.end();
  const r = await guest;
  c.destroy();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const m = /bytes (\d+) hash (\d+) peeks (\d+)\n/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(Number(m[1]), TOTAL);
  assert.equal(Number(m[2]), fnv1a(stream), "the guest saw the stream intact and in order");
  assert.ok(Number(m[3]) > 10);
  assert.match(r.stdout, /after eof 0 0\n/);
  assert.ok(tcpRxStats.direct - before > TOTAL / 2, "the host reads landed in the ring itself");
});
