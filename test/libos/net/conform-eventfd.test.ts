/**
 * Differential conformance of eventfd (test/guest/net/conform_eventfd.c): EFD_NONBLOCK,
 * EFD_CLOEXEC and refused flags; reads that take the counter (or 1 with EFD_SEMAPHORE) and need
 * 8 bytes; writes of exactly 8 bytes (Linux 6.18 here refuses 16, and writev goes iovec by
 * iovec), 2^64-1 refused, EAGAIN past 2^64-2; poll and edge-triggered epoll readiness; readv
 * across iovecs; dup; eventfd_read/eventfd_write; a blocked reader and a blocked writer woken by
 * another thread. EXPECTED is the program's output on Linux (gcc -O2 -pthread
 * test/guest/net/conform_eventfd.c && ./a.out, this machine's Linux 6.18 x86-64), copied
 * unchanged. Before src/libos/ipc/eventfd.ts (WASIX fd_event) and sdk/libc/eventfd.c, eventfd()
 * failed with ENOSYS. Run with 1 vCPU, the default, and the threads on workers.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";
import { setVcpuCount, setVcpuPlacement, vcpuCount } from "../../../src/libos/vcpu/index.ts";

const skip = posixSkip();
let inst: Instance;
let defaultVcpus = 1;

before(async () => {
  if (skip) return;
  defaultVcpus = vcpuCount();
  inst = await makeInstance({ programs: { "/bin/conform_eventfd": await buildGuest("test/guest/net/conform_eventfd.c", { mode: "posix", flags: ["-pthread"] }) } });
});

after(async () => {
  setVcpuCount(defaultVcpus);
  setVcpuPlacement("affine");
  await inst?.cleanup();
});

// Linux's output (see above).
const EXPECTED = [
  "eventfd(0, 0): ok 1, O_NONBLOCK 0, FD_CLOEXEC 0",
  "eventfd(0, NONBLOCK|CLOEXEC): ok 1, O_NONBLOCK 1, FD_CLOEXEC 1",
  "eventfd(0, 0x100): EINVAL",
  "fstat: 0, size 0, regular 0, fifo 0, socket 0",
  "empty: ready  OUT, read EAGAIN",
  "write 5: 8, ready IN OUT",
  "read: 8 value 5, ready  OUT",
  "write 3, write 4, read: 8 value 7",
  "write 0: 8, ready  OUT",
  "read 4 bytes: EINVAL",
  "write 4 bytes: EINVAL",
  "write 16 bytes: EINVAL",
  "read 16 bytes: EAGAIN value 0, second word untouched 1",
  "write 2^64-1: EINVAL",
  "write 2^64-2: 8, ready IN",
  "write 1 more: EAGAIN",
  "read: 8 value is 2^64-2 1, ready  OUT",
  "semaphore 3: 8/1 8/1 8/1 EAGAIN/0",
  "semaphore after write 2: ready IN OUT",
  "writev 3+5: EINVAL",
  "writev 8+8: 16",
  "writev 8+3: 8",
  "read: 8 value 7",
  "readv 4+4: 8 value 102030405060708",
  "write through dup, read through original: 8 value 11",
  "epoll empty: 0",
  "epoll after write: 1 data 77 IN 1",
  "epoll again (edge): 0",
  "epoll after another write: 1",
  "drained: 2",
  "eventfd_write 9: 0",
  "eventfd_read: 0 value 9",
  "blocked reader woken by a write: 42",
  "blocked writer woken by a read: reader got 2^64-2 1, then 8 value 5",
  "close: 0 0 0",
  "read after close: EBADF",
  "done",
  "",
].join("\n");

for (const [name, vcpus, placement] of [["1 vCPU", 1, "affine"], ["default vCPUs", 0, "affine"], ["threads on workers", 3, "spread"]] as const) {
  test(`eventfd answers as Linux does, case by case (${name})`, { skip, timeout: 60_000 }, async () => {
    setVcpuCount(vcpus || defaultVcpus);
    setVcpuPlacement(placement);
    const r = await run(inst, "/bin/conform_eventfd");
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, EXPECTED);
    assert.equal(r.code, 0);
  });
}
