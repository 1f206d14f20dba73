/**
 * From Occlum.json to committed memory: the resolved config (src/config) drives vm/ through
 * limitsFromResolved, and what boot commits is exactly the config's boot figure, EDMM on and off.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { load, template } from "../../config/test-helpers.ts";
import { Vm, decideRuntimeMode, limitsFromResolved } from "./index.ts";

const MB = 1 << 20;
const json = template((c) => {
  c.resource_limits.user_space_size = "8MB";
  c.resource_limits.user_space_max_size = "40MB";
  c.resource_limits.kernel_space_heap_size = "2MB";
  c.resource_limits.kernel_space_heap_max_size = "6MB";
  c.resource_limits.init_num_of_threads = 3;
  c.resource_limits.max_num_of_threads = 12;
});

test("EDMM on: Init (user_space_size) is committed at boot, Max is the resolved floor", () => {
  const { config } = load(json, "edmm");
  assert.equal(config.edmm.enabled, true);
  const vm = Vm.boot(limitsFromResolved(config), 4096);
  const s = vm.userSpace.stats();
  assert.equal(BigInt(s.committed), config.userSpace.committedAtBoot);
  assert.equal(s.committed, 8 * MB);
  assert.equal(s.limit, 16 * 1024 * MB, "max(user_space_max_size, 16GB)");
  assert.equal(vm.threads.stats().prepared, 3);
  assert.equal(vm.threads.stats().max, 4096);
  assert.equal(vm.kernelHeap.limit, 1024 * MB);
});

test("EDMM off: the static size (user_space_max_size) is committed at boot", () => {
  const { config } = load(json, "hw");
  assert.equal(config.edmm.enabled, false);
  const vm = Vm.boot(limitsFromResolved(config), 4096);
  const s = vm.userSpace.stats();
  assert.equal(BigInt(s.committed), config.userSpace.committedAtBoot);
  assert.equal(s.committed, 40 * MB);
  assert.equal(s.limit, 40 * MB);
  assert.equal(vm.threads.stats().prepared, 12);
  assert.equal(vm.kernelHeap.limit, 6 * MB);
});

test("an EDMM build run with OCCLUM_EDMM=0 commits only what a non-EDMM platform would load", () => {
  const { config } = load(json, "edmm");
  const mode = decideRuntimeMode(limitsFromResolved(config), false);
  const vm = Vm.boot(mode.limits, 4096);
  assert.equal(vm.userSpace.stats().committed, 8 * MB);
  assert.equal(vm.userSpace.limit, 8 * MB);
  assert.equal(vm.threads.stats().max, 3);
  assert.match(mode.messages[0]!, /^warning: this instance was built for EDMM but EDMM is off at run time/);
});
