import { test } from "node:test";
import assert from "node:assert/strict";
import { Vm, decideRuntimeMode, processStatus, recommend, roundSize, VmError, type VmLimits } from "./index.ts";
import { parseSize } from "../../config/size.ts";

const KB = 1024;
const MB = 1 << 20;
const GB = 1 << 30;
const limits: VmLimits = {
  userSpace: { edmm: true, init: 4 * MB, max: 64 * MB, processHeap: 32 * MB, processStack: 4 * MB },
  kernelHeap: { edmm: true, init: 1 * MB, max: 16 * MB },
  threads: { edmm: true, init: 4, max: 32 },
  kernelStack: 1 * MB,
};

test("rounding steps", () => {
  assert.equal(roundSize(0), MB);
  assert.equal(roundSize(300 * KB), MB);
  assert.equal(roundSize(21 * MB), 21 * MB);
  assert.equal(roundSize(21 * MB + 1), 22 * MB);
  assert.equal(roundSize(65 * MB), 72 * MB);
  assert.equal(roundSize(1.1 * GB), 1.125 * GB);
  assert.equal(roundSize(16.5 * GB), 17 * GB);
});

test("the report's numbers for a known allocation pattern", () => {
  const vm = Vm.boot(limits, 4096);
  // Start-up: one process of 2 MB with 2 threads, 300 KB of kernel caches.
  const p1 = vm.userSpace.reserveForProcess(32, undefined, { owner: 1 });
  const t1 = vm.threads.acquire(1);
  vm.threads.acquire(1);
  vm.kernelHeap.charge(300 * KB, "page-cache");
  vm.markStarted();
  // Then: p1 grows to 10 MB, a second process of 4 MB, 3 threads more, 3 MB of kernel heap at peak.
  assert.ok(vm.userSpace.onGrow(p1, 128));
  const p2 = vm.userSpace.reserveForProcess(64, undefined, { owner: 2 });
  for (let i = 0; i < 3; i++) vm.threads.acquire(2);
  vm.kernelHeap.charge(3 * MB - 300 * KB, "pipe");
  vm.kernelHeap.uncharge(1 * MB, "pipe");
  vm.threads.release(t1);
  vm.userSpace.release(p2);

  const peaks = vm.peaks();
  assert.equal(peaks.userSpace.startupPeakInUse, 2 * MB);
  assert.equal(peaks.userSpace.peakInUse, 14 * MB);
  assert.equal(peaks.userSpace.peakCommitted, 14 * MB);
  assert.equal(peaks.kernelHeap.startupPeak, 300 * KB);
  assert.equal(peaks.kernelHeap.peak, 3 * MB);
  assert.equal(peaks.threads.startupPeakLive, 2);
  assert.equal(peaks.threads.peakLive, 5);

  const rec = recommend(peaks);
  assert.deepEqual(rec, {
    kernel_space_stack_size: "1MB",
    kernel_space_heap_size: "1MB", kernel_space_heap_max_size: "5MB", // 1.5 × 3 MB = 4.5 → 5
    user_space_size: "2MB", user_space_max_size: "21MB", // 1.5 × 14 MB
    init_num_of_threads: 2, max_num_of_threads: 8, // ceil(1.5 × 5)
  });

  const text = vm.report();
  assert.match(text, /user space: {2}peak in use 14MB \(21\.9% of Max\), at start-up 2MB; peak committed 14MB; Init 4MB, Max 64MB/);
  assert.match(text, /kernel heap: peak 3MB \(18\.8% of Max\), at start-up 300KB; Init 1MB, Max 16MB/);
  assert.match(text, /threads: {5}peak 5 live, at start-up 2; Init 4, Max 32/);
  // The fragment is valid JSON with valid Occlum sizes.
  const json = JSON.parse(text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1)) as { resource_limits: Record<string, string | number> };
  assert.deepEqual(json.resource_limits, { ...rec });
  for (const [k, v] of Object.entries(json.resource_limits)) {
    if (typeof v === "string") assert.ok(parseSize(v).ok, `${k}: ${v}`);
  }

  // procfs numbers.
  const mi = vm.meminfo();
  assert.equal(mi["MemTotal"], 64 * MB);
  assert.equal(mi["Committed_AS"], 10 * MB);
  assert.equal(mi["MemFree"], 54 * MB);
  assert.equal(mi["UserCommitted"], 10 * MB, "p1's 10 MB; the reserve was spent on demand beyond Init");
  assert.equal(mi["Slab"], 2 * MB);
  assert.equal(mi["Cached"], 300 * KB);
  assert.deepEqual(processStatus(p1, vm.threads.threadsOf(1)), { VmPeak: 10 * MB, VmSize: 10 * MB, VmHWM: 10 * MB, VmRSS: 10 * MB, Threads: 1 });
});

test("refusals are reported with what to raise", () => {
  const vm = Vm.boot({ ...limits, userSpace: { ...limits.userSpace, processHeap: 1 * MB, processStack: 0 } }, 4096);
  const p = vm.userSpace.reserveForProcess(16);
  assert.equal(vm.userSpace.grow(p, 1), -1);
  assert.match(vm.report(), /refused: {5}1 memory\.grow past a process's cap \(raise process\.default_heap_size\)/);
});

test("an EDMM build run without EDMM boots the Init layout: beyond it, ENOMEM and EAGAIN", () => {
  const mode = decideRuntimeMode(limits, false);
  const vm = Vm.boot(mode.limits, 4096);
  assert.equal(vm.userSpace.stats().committed, 4 * MB);
  assert.equal(vm.threads.stats().prepared, 4);
  const p = vm.userSpace.reserveForProcess(64);
  assert.equal(vm.userSpace.grow(p, 1), -1);
  assert.throws(() => vm.userSpace.reserveForProcess(1), (e: unknown) => e instanceof VmError && e.code === "ENOMEM");
  for (let i = 0; i < 4; i++) vm.threads.acquire(1);
  assert.throws(() => vm.threads.acquire(1), (e: unknown) => e instanceof VmError && e.code === "EAGAIN");
  assert.throws(() => vm.kernelHeap.charge(1 * MB + 1, "pipe"), /kernel heap exhausted/);
});
