/**
 * Host data read straight into a socket's receive ring (net/tcp-receiver.ts), through a real guest
 * (test/guest/net/recv_direct.c): blocking recv with MSG_PEEK and odd read sizes, some finding data
 * waiting and some blocked until the host sends more, to EOF; the guest's FNV-1a hash of the
 * stream must match the host's. And a bulk stream from another process read as a bulk server
 * reads it (epoll, 256 KiB recvs), where host reads land in the socket's spare storage too, the
 * same stream read by a reader that lags (reads copied in behind unread bytes), and the next
 * connection's ring reuses a closed one's storage (stale bytes never shown: checked by the hash).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { once } from "node:events";
import { spawn } from "node:child_process";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { Collect, makeInstance, run, type Instance } from "../helpers.ts";
import { ringPoolSize, tcpRxStats } from "../../../src/libos/net/tcp.ts";

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
  assert.ok(tcpRxStats.direct + tcpRxStats.spare - before > TOTAL / 2, "the host reads landed in the ring itself (or its spare)");
});

/** One guest sink (recv_direct.c `sink`) fed MIB MiB by a writer process; the tcpRxStats it moved. */
async function sinkRun(mib: number, slow = false): Promise<typeof tcpRxStats> {
  const stdout = new Collect();
  const before = { ...tcpRxStats };
  const guest = run(inst, "/bin/recv_direct", { args: slow ? ["sink", "slow"] : ["sink"], stdout });
  await stdout.waitFor(/listening \d+\n/);
  const port = Number(/listening (\d+)/.exec(stdout.text)![1]);
  // A writer process sends as fast as it can (128 KiB writes of the block netbench uses), so the
  // guest (unless slow) drains each host read before the next: the ring's free space keeps
  // being split at the wrap point, the case the spare is for.
  const BLOCK = 128 * 1024;
  const writer = spawn(process.execPath, ["-e", `
    const s = require("node:net").connect(${port}, "127.0.0.1", async () => {
      const b = Buffer.alloc(${BLOCK}, 0).map((_, i) => (i * 7) & 0xff);
      for (let k = 0; k < ${mib * 8}; k++) if (!s.write(b)) await new Promise((r) => s.once("drain", r));
      s.end();
    });`], { stdio: "inherit" });
  const [code] = await once(writer, "close") as [number];
  assert.equal(code, 0);
  const r = await guest;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  let h = 2166136261;
  for (let k = 0; k < mib * 8; k++) for (let i = 0; i < BLOCK; i++) h = Math.imul(h ^ ((i * 7) & 0xff), 16777619) >>> 0;
  assert.match(r.stdout, new RegExp(`bytes ${mib * 2 ** 20} hash ${h}\n`), "every byte, intact and in order");
  const d = { ...tcpRxStats };
  for (const k of Object.keys(d) as (keyof typeof d)[]) d[k] -= before[k];
  return d;
}

test("a bulk stream read through epoll in 256 KiB recvs: reads land in the ring and its spare, swapped in without a copy", { skip }, async () => {
  const MIB = 48;
  const d = await sinkRun(MIB);
  assert.ok(d.spare > 0, `some host reads landed in the spare and were swapped in (direct ${d.direct}, spare ${d.spare}, copied ${d.copied})`);
  assert.ok(d.direct + d.spare > MIB * 2 ** 20 * 0.9, "nearly every byte landed without a copy into the ring");
});

test("a reader that lags (64 KiB per epoll_wait, then a sleep): host reads that cannot land at the ring's tail (the spare, the shared buffer) are copied in behind the unread bytes, intact", { skip }, async () => {
  const d = await sinkRun(8, true);
  assert.ok(d.copied > 0, `some reads found the ring not yet drained (direct ${d.direct}, spare ${d.spare}, copied ${d.copied})`);
});

test("a closed connection's ring storage is reused by the next one, whose bytes arrive intact", { skip }, async () => {
  await sinkRun(16);
  // The storage comes back once the host socket has closed, just after the guest's close.
  for (let i = 0; i < 200 && ringPoolSize() === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ringPoolSize() > 0, "the first connection's ring and spare are in the pool");
  const d = await sinkRun(16);
  assert.ok(d.pooled > 0, "the second connection grew into pooled storage");
});
