/**
 * The kernel heap budget through real guests (vm-charge.ts wired in boot.ts and the wasix rows):
 * ramfs contents get ENOSPC, pipe rings ENOMEM and socket rings ENOBUFS at kernel_space_heap_size (EDMM off: the
 * static size is the limit), the LibOS keeps running and gives the memory back; and posix_spawn
 * fails with ENOMEM in the parent when the child's initial memory cannot be reserved.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { run, type Instance } from "../helpers.ts";
import type { Vm } from "../../../src/libos/vm/index.ts";
import { makeBuiltInstance } from "./helpers.ts";

const MB = 1 << 20;
const skip = posixSkip();
const limits = { user_space_size: "24MB", user_space_max_size: "24MB", kernel_space_heap_size: "1MB", kernel_space_heap_max_size: "1MB", init_num_of_threads: 3, max_num_of_threads: 12 };
const proc = { default_heap_size: "6MB", default_stack_size: "2MB" };
const insts: Instance[] = [];
let programs: Record<string, string> = {};

before(async () => {
  if (skip) return;
  programs = {
    "/bin/kheap_fill": await buildGuest("test/guest/vm/kheap_fill.c", { mode: "posix" }),
    "/bin/spawn_nomem": await buildGuest("test/guest/vm/spawn_nomem.c", { mode: "posix" }),
    "/bin/malloc_max": await buildGuest("test/guest/vm/malloc_max.c", { mode: "posix" }),
  };
});
after(async () => {
  for (const i of insts) await i.cleanup();
});

async function built(l: Record<string, string | number> = limits, p: Record<string, string> = proc) {
  const b = await makeBuiltInstance(l, p, "hw", { programs, mounts: [{ target: "/tmp", type: "ramfs" }] });
  insts.push(b.inst);
  return b;
}

test("ramfs contents are kernel heap: ENOSPC at kernel_space_heap_size, freed on unlink", { skip }, async () => {
  const { inst } = await built();
  let vm: Vm | undefined;
  const file = path.join(inst.dir, "mem-report.txt");
  const r = await run(inst, "/bin/kheap_fill", { args: ["ramfs", "/tmp"], env: { OCCLUM_MEM_REPORT: file }, onVm: (v) => (vm = v), signal: AbortSignal.timeout(60_000) });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const m = /^ramfs wrote (\d+) files (\d+) error (\S+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(m[3], "ENOSPC");
  const wrote = Number(m[1]);
  assert.ok(wrote <= MB && wrote > MB - 64 * 1024, `wrote ${wrote}`);
  assert.match(r.stdout, /^after unlink ok$/m, "unlinking gave the budget back");
  const s = vm!.kernelHeap.stats();
  assert.equal(s.max, MB);
  assert.ok(s.peak <= MB && s.peak >= wrote, `peak ${s.peak}`);
  assert.ok(s.failedCharges > 0);
  assert.ok(s.shrunkBytes > 0 && s.shrinkCalls > 0, "the SEFS name cache shrank before a charge failed");
  const report = await readFile(file, "utf8");
  // Near the limit (how near depends on the size of the refused ramfs charge and on what the
  // shrinkable caches, SEFS names and dentries, gave back before it).
  assert.match(report, /kernel heap: peak (1(\.0)?MB \(100(\.0)?%|\d+(\.\d)?KB \(9\d(\.\d)?%) of the static size\)/, report);
  assert.match(report, /[1-9]\d* kernel heap charges failed/, report);
});

test("pipe rings are kernel heap: ENOMEM instead of unbounded growth, freed on close", { skip }, async () => {
  const { inst } = await built();
  let vm: Vm | undefined;
  const r = await run(inst, "/bin/kheap_fill", { args: ["pipes"], onVm: (v) => (vm = v), signal: AbortSignal.timeout(60_000) });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const m = /^pipes (\d+) buffered (\d+) enomem (\d+) eagain (\d+) other (\d+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  const [pipes, buffered, enomem, eagain, other] = m.slice(1).map(Number) as [number, number, number, number, number];
  assert.ok(enomem > 0, r.stdout);
  assert.equal(other, 0, r.stdout);
  assert.ok(pipes < 200 && eagain < pipes, r.stdout);
  assert.ok(buffered <= MB && buffered > MB / 2, `buffered ${buffered}`);
  assert.match(r.stdout, /^after close ok$/m, "closing the pipes gave the budget back");
  const s = vm!.kernelHeap.stats();
  assert.ok(s.peak <= MB && s.peak >= buffered, `peak ${s.peak}`);
  assert.equal(s.byOwner["pipe"] ?? 0, 0, "every ring was uncharged");
});

test("socket rings are kernel heap: ENOBUFS instead of unbounded growth, freed on close", { skip }, async () => {
  const { inst } = await built();
  let vm: Vm | undefined;
  const r = await run(inst, "/bin/kheap_fill", { args: ["sockets"], onVm: (v) => (vm = v), signal: AbortSignal.timeout(60_000) });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const m = /^pipes (\d+) buffered (\d+) enomem (\d+) eagain (\d+) other (\d+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  const [pipes, buffered, enobufs, , other] = m.slice(1).map(Number) as [number, number, number, number, number];
  assert.ok(enobufs > 0, r.stdout);
  assert.equal(other, 0, r.stdout);
  assert.ok(pipes < 200, r.stdout);
  assert.ok(buffered <= MB && buffered > MB / 2, `buffered ${buffered}`);
  assert.match(r.stdout, /^after close ok$/m, "closing the sockets gave the budget back");
  const s = vm!.kernelHeap.stats();
  assert.ok(s.peak <= MB && s.peak >= buffered, `peak ${s.peak}`);
  assert.equal(s.byOwner["socket"] ?? 0, 0, "every ring was uncharged");
});

test("posix_spawn fails with ENOMEM in the parent when the child's memory cannot be reserved", { skip }, async () => {
  // Static 12MB, cap 16MB: the parent takes the whole budget before spawning.
  const { inst } = await built({ ...limits, user_space_size: "12MB", user_space_max_size: "12MB" }, { default_heap_size: "14MB", default_stack_size: "2MB" });
  let vm: Vm | undefined;
  const r = await run(inst, "/bin/spawn_nomem", { onVm: (v) => (vm = v), signal: AbortSignal.timeout(60_000) });
  assert.equal(r.code, 0, r.stderr + r.stdout + r.log);
  assert.match(r.stdout, /^spawn (Out of memory|Cannot allocate memory)$/m, r.stdout);
  const s = vm!.userSpace.stats();
  assert.equal(s.inUse, 0);
});
