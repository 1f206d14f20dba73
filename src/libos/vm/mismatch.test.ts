import { test } from "node:test";
import assert from "node:assert/strict";
import { decideRuntimeMode, platformEdmm } from "./mismatch.ts";
import type { VmLimits } from "./limits.ts";

const MB = 1 << 20;
const GB = 1 << 30;
const edmmBuild: VmLimits = {
  userSpace: { edmm: true, init: 4 * MB, max: 16 * GB, processHeap: 32 * MB, processStack: 4 * MB },
  kernelHeap: { edmm: true, init: 32 * MB, max: 1 * GB },
  threads: { edmm: true, init: 16, max: 4096 },
  kernelStack: 1 * MB,
};
const staticBuild: VmLimits = {
  userSpace: { edmm: false, init: 64 * MB, max: 300 * MB, processHeap: 32 * MB, processStack: 4 * MB },
  kernelHeap: { edmm: false, init: 32 * MB, max: 32 * MB },
  threads: { edmm: false, init: 32, max: 32 },
  kernelStack: 1 * MB,
};

test("OCCLUM_EDMM: unset or 1 → EDMM platform, 0 → without, anything else → one clear error", () => {
  assert.deepEqual(platformEdmm({}), { ok: true, edmm: true, source: "default" });
  assert.deepEqual(platformEdmm({ OCCLUM_EDMM: "1" }), { ok: true, edmm: true, source: "OCCLUM_EDMM=1" });
  assert.deepEqual(platformEdmm({ OCCLUM_EDMM: "0" }), { ok: true, edmm: false, source: "OCCLUM_EDMM=0" });
  assert.deepEqual(platformEdmm({ OCCLUM_EDMM: "yes" }), {
    ok: false, message: 'error: OCCLUM_EDMM must be 0 (run as on a platform without EDMM) or 1 (with EDMM), not "yes"',
  });
});

test("EDMM build on an EDMM platform runs EDMM with the built limits, silently", () => {
  const m = decideRuntimeMode(edmmBuild, true);
  assert.equal(m.case, "edmm");
  assert.equal(m.edmm, true);
  assert.equal(m.limits, edmmBuild);
  assert.deepEqual(m.messages, []);
});

test("non-EDMM build on an EDMM platform runs static (guide note 4, first case), with an info line", () => {
  const m = decideRuntimeMode(staticBuild, true);
  assert.equal(m.case, "static-build-on-edmm-platform");
  assert.equal(m.edmm, false);
  assert.equal(m.limits, staticBuild);
  assert.deepEqual(m.messages, [
    "info: this instance was built without EDMM: running its static configuration (300MB of user space committed at start-up) although the platform supports EDMM",
  ]);
  assert.deepEqual(decideRuntimeMode(staticBuild, false).messages, []);
});

test("EDMM build without EDMM starts with the static Init layout and says so (guide note 4, second case)", () => {
  const m = decideRuntimeMode(edmmBuild, false);
  assert.equal(m.case, "edmm-build-without-edmm");
  assert.equal(m.edmm, false);
  assert.equal(m.fatal, undefined);
  assert.deepEqual(m.limits.userSpace, { edmm: false, init: 4 * MB, max: 4 * MB, processHeap: 32 * MB, processStack: 4 * MB });
  assert.deepEqual(m.limits.kernelHeap, { edmm: false, init: 32 * MB, max: 32 * MB });
  assert.deepEqual(m.limits.threads, { edmm: false, init: 16, max: 16 });
  assert.deepEqual(m.messages, [
    "warning: this instance was built for EDMM but EDMM is off at run time (OCCLUM_EDMM=0): running the static layout a platform without EDMM loads: " +
      "user space 4MB (not up to 16GB), kernel heap 32MB (not up to 1GB), 16 threads (not up to 4096); allocations beyond fail with ENOMEM, threads beyond with EAGAIN; " +
      "rebuild without EDMM (unset ENABLE_EDMM and feature.enable_edmm) to size it for this platform",
  ]);
});

test("OCCLUM_EDMM_MISMATCH=error refuses to start an EDMM build without EDMM", () => {
  const m = decideRuntimeMode(edmmBuild, false, { OCCLUM_EDMM_MISMATCH: "error" });
  assert.equal(
    m.fatal,
    "error: this instance was built for EDMM but EDMM is off at run time (OCCLUM_EDMM=0); refusing to start (OCCLUM_EDMM_MISMATCH=error): " +
      "rebuild without EDMM (unset ENABLE_EDMM and feature.enable_edmm) to size it for this platform",
  );
  assert.equal(decideRuntimeMode(edmmBuild, true, { OCCLUM_EDMM_MISMATCH: "error" }).fatal, undefined);
});
