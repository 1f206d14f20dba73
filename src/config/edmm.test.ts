import assert from "node:assert/strict";
import { test } from "node:test";
import { decideEdmm, EDMM_TRUTHY, type EdmmInputs } from "./edmm.ts";

const base: EdmmInputs = { envSgxMode: undefined, envEnableEdmm: undefined, flagSgxMode: undefined, flagEnableEdmm: undefined, featureEnableEdmm: false };
const d = (over: Partial<EdmmInputs>) => decideEdmm({ ...base, ...over });

test("HW: only Occlum's truthy ENABLE_EDMM values turn EDMM on", () => {
  for (const v of EDMM_TRUTHY) {
    const r = d({ envEnableEdmm: v });
    assert.equal(r.edmm, true, v);
    assert.equal(r.instanceIsForEdmmPlatform, true, v);
    assert.equal(r.decidedBy, "ENABLE_EDMM");
  }
  for (const v of ["y", "on", "TRUE", "0", "N", "no", ""]) {
    const r = d({ envEnableEdmm: v });
    assert.equal(r.edmm, false, v);
  }
  assert.deepEqual([d({}).edmm, d({}).decidedBy, d({}).sgxMode, d({}).sgxModeFile], [false, "default", "HW", "HW"]);
  assert.match(d({ envEnableEdmm: "y" }).warnings[0] ?? "", /not recognized/);
  assert.match(d({ envEnableEdmm: "no" }).reason, /ENABLE_EDMM=no is not one of/);
});

test("--enable-edmm: any value but N turns it on; N cannot turn off an exported ENABLE_EDMM (warned)", () => {
  assert.equal(d({ flagEnableEdmm: "Y" }).edmm, true);
  assert.equal(d({ flagEnableEdmm: "whatever" }).edmm, true);
  assert.equal(d({ flagEnableEdmm: "whatever" }).decidedBy, "--enable-edmm");
  assert.equal(d({ flagEnableEdmm: "N" }).edmm, false);
  const r = d({ flagEnableEdmm: "N", envEnableEdmm: "yes" });
  assert.equal(r.edmm, true);
  assert.match(r.warnings.join(), /--enable-edmm N does not override ENABLE_EDMM=yes/);
});

test("SGX_MODE / --sgx-mode: any non-HW mode means no EDMM platform (SGX_MODE takes precedence)", () => {
  for (const over of [{ envSgxMode: "SIM" }, { flagSgxMode: "SIM" }, { envSgxMode: "HYPER" }, { envSgxMode: "FOO" }]) {
    const r = d({ ...over, envEnableEdmm: "Y" });
    assert.equal(r.edmm, false, JSON.stringify(over));
    assert.equal(r.instanceIsForEdmmPlatform, false);
    assert.match(r.warnings.join(), /ignored under/);
  }
  assert.equal(d({ envSgxMode: "HYPER" }).sgxModeFile, "HYPER");
  assert.equal(d({ envSgxMode: "FOO" }).sgxModeFile, "SIM");
  assert.equal(d({ envSgxMode: "FOO" }).sgxMode, "FOO");
  assert.equal(d({ flagSgxMode: "SIM" }).decidedBy, "--sgx-mode");
  assert.equal(d({ envSgxMode: "" }).sgxMode, "HW");
  assert.equal(d({ envSgxMode: "HW", envEnableEdmm: "1" }).edmm, true);
});

test("--sgx-mode HW cannot override an exported SGX_MODE (warned, as Occlum behaves)", () => {
  const r = d({ envSgxMode: "SIM", flagSgxMode: "HW" });
  assert.equal(r.sgxModeFile, "SIM");
  assert.match(r.warnings.join(), /--sgx-mode HW does not override SGX_MODE=SIM/);
});

test("feature.enable_edmm forces EDMM even in SIM, with the spec 2.9 warning", () => {
  const hw = d({ featureEnableEdmm: true });
  assert.deepEqual([hw.edmm, hw.instanceIsForEdmmPlatform, hw.decidedBy, hw.featureWarning], [true, false, "feature.enable_edmm", undefined]);
  const sim = d({ featureEnableEdmm: true, envSgxMode: "SIM" });
  assert.equal(sim.edmm, true);
  assert.equal(sim.decidedBy, "feature.enable_edmm");
  assert.match(sim.featureWarning ?? "", /SGX_MODE=SIM.*ENOMEM/);
  assert.match(sim.reason, /forces the EDMM layout even under SGX_MODE=SIM/);
  assert.match(d({ featureEnableEdmm: true, envSgxMode: "SIM", envEnableEdmm: "Y" }).warnings.join(), /ENABLE_EDMM=Y in the environment is ignored under SGX_MODE=SIM/);
});

test("the decision is frozen and keeps its inputs", () => {
  const r = d({ envEnableEdmm: "Y" });
  assert.ok(Object.isFrozen(r) && Object.isFrozen(r.inputs));
  assert.equal(r.inputs.envEnableEdmm, "Y");
});
