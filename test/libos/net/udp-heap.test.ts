/**
 * UDP socket buffers are kernel heap (test/guest/net/udp_heap.c): with kernel_space_heap_size 1MB,
 * ten receivers that never read hold at most 1 MB of datagrams in all (without the budget each
 * would keep SO_RCVBUF, 208 KiB: ~2 MB), the rest is dropped as Linux drops under memory
 * pressure, and every byte is uncharged once the sockets are closed.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { run, type Instance } from "../helpers.ts";
import { makeBuiltInstance } from "../vm/helpers.ts";
import type { Vm } from "../../../src/libos/vm/index.ts";

const MB = 1 << 20;
const skip = posixSkip();
const insts: Instance[] = [];
after(async () => {
  for (const i of insts) await i.cleanup();
});

test("UDP receive queues and sends in flight are charged to the kernel heap budget", { skip }, async () => {
  const limits = { user_space_size: "24MB", user_space_max_size: "24MB", kernel_space_heap_size: "1MB", kernel_space_heap_max_size: "1MB", init_num_of_threads: 3, max_num_of_threads: 12 };
  const { inst } = await makeBuiltInstance(limits, { default_heap_size: "6MB", default_stack_size: "2MB" }, "hw", {
    programs: { "/bin/udp_heap": await buildGuest("test/guest/net/udp_heap.c", { mode: "posix" }) },
  });
  insts.push(inst);
  let vm: Vm | undefined;
  const r = await run(inst, "/bin/udp_heap", { args: ["10", "40"], onVm: (v) => (vm = v), signal: AbortSignal.timeout(60_000) });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const m = /^sent (\d+) enobufs (\d+) received (\d+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  const [sent, enobufs, received] = m.slice(1).map(Number) as [number, number, number];
  assert.equal(sent + enobufs, 400);
  assert.ok(received > 0, r.stdout);
  // Queued datagrams never exceeded the budget (other kernel memory shares it too).
  assert.ok(received * 8192 <= MB, `received ${received} datagrams of 8 KiB with a 1 MB kernel heap`);
  const s = vm!.kernelHeap.stats();
  assert.ok(s.peak <= MB, `peak ${s.peak}`);
  assert.equal(s.byOwner["socket"] ?? 0, 0, "every datagram was uncharged");
});
