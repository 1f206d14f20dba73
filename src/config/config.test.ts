import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "./config.ts";
import { closest, ConfigError, editDistance, formatIssue } from "./errors.ts";
import { TEMPLATE_OCCLUM_JSON } from "./template.ts";
import { load, template } from "./test-helpers.ts";

const NO_EDMM = { envSgxMode: undefined, envEnableEdmm: undefined, flagSgxMode: undefined, flagEnableEdmm: undefined };

test("the message format: file:line:column: path: what (expected ...); hint", () => {
  const text = template((c) => (c.resource_limits.user_space_size = "300mb"));
  try {
    loadConfig(text, { edmm: NO_EDMM });
    assert.fail("loaded");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(
      e.message,
      'Occlum.json:5:28: resource_limits.user_space_size: "300mb" is not a size (expected e.g. "300MB": a number followed by KB, MB, GB, TB or B, case-sensitive); did you mean "300MB"?',
    );
    assert.deepEqual([e.path, e.line, e.column, e.hint], ["resource_limits.user_space_size", 5, 28, 'did you mean "300MB"?']);
    assert.match(e.expected ?? "", /^e\.g\. "300MB"/);
  }
});

test("formatIssue: warnings, file-level issues, optional parts", () => {
  assert.equal(formatIssue("Occlum.json", { path: "a.b", line: 3, column: 7, message: "odd" }, "warning"), "Occlum.json:3:7: warning: a.b: odd");
  assert.equal(formatIssue("Occlum.json", { path: "", line: 0, column: 0, message: "missing", hint: "restore it" }), "Occlum.json: missing; restore it");
});

test("a JSON syntax error is one ConfigError with its position and serde's meaning", () => {
  try {
    loadConfig('{\n  "resource_limits": {},\n}', { edmm: NO_EDMM, file: "x.json" });
    assert.fail("loaded");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.message, "x.json:2:24: invalid JSON: trailing comma in object; remove the comma before }");
    assert.match(e.issues[0]!.occlum ?? "", /^It is not a valid Occlum configuration file\.: Error\("trailing comma in object", line: 2, column: 24\)$/);
  }
});

test("errors keep the warnings found before them", () => {
  try {
    loadConfig(template((c) => ((c.feature.enable_edm = true), (c.process.default_heap_size = "1"))), { edmm: NO_EDMM });
    assert.fail("loaded");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.warnings.map((w) => w.path), ["feature.enable_edm"]);
  }
});

test("the resolved Config: frozen, bytes as BigInt, what the LibOS needs", () => {
  const { config } = load(TEMPLATE_OCCLUM_JSON, "edmm");
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.kernelHeap) && Object.isFrozen(config.mounts) && Object.isFrozen(config.mounts[0]!.options));
  assert.throws(() => ((config as any).threads.max = 1), TypeError);
  assert.deepEqual(config.edmm, { enabled: true, decidedBy: "ENABLE_EDMM", reason: "ENABLE_EDMM=Y in the environment (SGX mode HW)" });
  assert.equal(config.sgxMode, "HW");
  assert.deepEqual(config.kernelHeap, { init: 32n << 20n, max: 1n << 30n });
  assert.deepEqual(config.userSpace, { init: 300n << 20n, max: 16n << 30n, committedAtBoot: 300n << 20n });
  assert.deepEqual(config.threads, { init: 16, max: 4096 });
  assert.equal(config.kernelStack, 1n << 20n);
  assert.deepEqual(config.process, { defaultStackSize: 4n << 20n, defaultHeapSize: 32n << 20n, defaultMmapSize: 100n << 20n });
  assert.deepEqual(config.env, { default: ["OCCLUM=yes"], untrusted: ["EXAMPLE"] });
  assert.deepEqual(config.entryPoints, ["/bin"]);
  assert.deepEqual(
    config.mounts.map((m) => [m.type, m.target, m.source]),
    [
      ["unionfs", "/", undefined],
      ["hostfs", "/host", "."],
    ],
  );
  assert.equal(config.mounts[0]!.options.layers![0]!.options.mac, "");
  assert.deepEqual(config.features, { amx: 0, pkru: 0, ioUring: 0, enableEdmm: false, enablePosixShm: false });
  assert.equal(config.metadata.debuggable, true);
  assert.equal(config.enclave.TCSMaxNum, 4096);
});

test("SIM + feature.enable_edmm: builds (as Occlum) with a warning at the field", () => {
  const text = template((c) => (c.feature.enable_edmm = true));
  const loaded = load(text, "sim");
  assert.equal(loaded.config.edmm.enabled, true);
  assert.equal(loaded.config.sgxMode, "SIM");
  const w = loaded.warnings.find((x) => x.path === "feature.enable_edmm");
  assert.ok(w && w.line > 0);
  assert.match(w.message, /SGX_MODE=SIM/);
});

test("edit distance and closest match for typo hints", () => {
  assert.equal(editDistance("defualt", "default"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(closest("enable_edm", ["enable_edmm", "amx"]), "enable_edmm");
  assert.equal(closest("something_else", ["amx", "pkru"]), undefined);
  assert.equal(closest("MAC", ["mac"]), "mac");
});
