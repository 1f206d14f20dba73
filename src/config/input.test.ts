import assert from "node:assert/strict";
import { test } from "node:test";
import { errorsOf, issueAt, load, posOf, template } from "./test-helpers.ts";

const REQUIRED: [string, string][] = [
  ["", "resource_limits"],
  ["", "process"],
  ["", "entry_points"],
  ["", "env"],
  ["", "metadata"],
  ["", "feature"],
  ["", "mount"],
  ["resource_limits", "kernel_space_stack_size"],
  ["resource_limits", "kernel_space_heap_size"],
  ["resource_limits", "user_space_size"],
  ["resource_limits", "max_num_of_threads"],
  ["process", "default_stack_size"],
  ["process", "default_heap_size"],
  ["process", "default_mmap_size"],
  ["metadata", "product_id"],
  ["metadata", "version_number"],
  ["metadata", "debuggable"],
  ["metadata", "enable_kss"],
  ["metadata", "family_id"],
  ["metadata", "ext_prod_id"],
];

test("every required field of spec 1.2-1.5: missing -> error with Occlum's meaning, at the parent object", () => {
  for (const [parent, key] of REQUIRED) {
    const text = template((c) => delete (parent === "" ? c : c[parent])[key]);
    const issue = issueAt(errorsOf(text), parent === "" ? key : `${parent}.${key}`);
    assert.equal(issue.message, `missing required field "${key}"`);
    assert.equal(issue.occlum, `missing field \`${key}\``);
    const at = parent === "" ? { line: 1, column: 1 } : posOf(text, `"${parent}": {`);
    if (parent !== "") at.column += `"${parent}": `.length;
    assert.deepEqual([issue.line, issue.column], [at.line, at.column], key);
  }
});

test("example 5: deleting feature (pre-0.30.1 file) explains how to add it", () => {
  const issue = issueAt(errorsOf(template((c) => delete c.feature)), "feature");
  assert.match(issue.hint ?? "", /"feature": \{\}/);
});

test("family_id / ext_prod_id are required even with KSS off; their high/low too", () => {
  assert.match(issueAt(errorsOf(template((c) => delete c.metadata.family_id)), "metadata.family_id").hint ?? "", /even when enable_kss is false/);
  assert.ok(issueAt(errorsOf(template((c) => delete c.metadata.ext_prod_id.low)), "metadata.ext_prod_id.low"));
});

test("optional fields: absent or null are both fine", () => {
  for (const v of [undefined, null]) {
    const text = template((c) => {
      Object.assign(c.resource_limits, { kernel_space_heap_max_size: v, user_space_max_size: v, init_num_of_threads: v });
      c.metadata.disable_log = v;
      c.mount[1].source = "."; // hostfs keeps its source
    });
    const { input } = load(text);
    assert.equal(input.resourceLimits.userSpaceMaxSize, undefined);
    assert.equal(input.resourceLimits.initNumOfThreads, undefined);
    assert.equal(input.metadata.disableLog, undefined);
  }
});

test("feature members default when absent; null is a type error (not an Option)", () => {
  const { input } = load(template((c) => (c.feature = {})));
  assert.deepEqual(
    [input.feature.amx.value, input.feature.pkru.value, input.feature.ioUring.value, input.feature.enableEdmm.value, input.feature.enablePosixShm.value],
    [0, 0, 0, false, false],
  );
  const issue = issueAt(errorsOf(template((c) => (c.feature.amx = null))), "feature.amx");
  assert.equal(issue.occlum, "invalid type: null, expected u32");
});

test("wrong JSON types: serde's meaning, our position, expected and a fix", () => {
  const cases: [(c: any) => void, string, RegExp, string | undefined, string][] = [
    [(c) => (c.resource_limits.max_num_of_threads = "32"), "resource_limits.max_num_of_threads", /"32" \(a string\) is not an integer/, "did you mean 32 (without quotes)?", 'invalid type: string "32", expected u32'],
    [(c) => (c.resource_limits.max_num_of_threads = 1.5), "resource_limits.max_num_of_threads", /1.5 is not an integer/, undefined, "invalid type: floating point `1.5`, expected u32"],
    [(c) => (c.resource_limits.max_num_of_threads = -1), "resource_limits.max_num_of_threads", /-1 is negative/, undefined, "invalid value: integer `-1`, expected u32"],
    [(c) => (c.resource_limits.max_num_of_threads = 4294967296), "resource_limits.max_num_of_threads", /too large/, undefined, "invalid value: integer `4294967296`, expected u32"],
    [(c) => (c.metadata.debuggable = "true"), "metadata.debuggable", /is not a boolean/, "did you mean true (without quotes)?", 'invalid type: string "true", expected a boolean'],
    [(c) => (c.metadata.enable_kss = 0), "metadata.enable_kss", /is not a boolean/, "did you mean false?", "invalid type: integer `0`, expected a boolean"],
    [(c) => (c.resource_limits.user_space_size = 300), "resource_limits.user_space_size", /300 \(a number\) is not a string/, 'write it as a string, e.g. "300MB"', "invalid type: integer `300`, expected a string"],
    [(c) => (c.process = []), "process", /an array is not an object/, undefined, "invalid type: sequence, expected a struct"],
    [(c) => (c.mount = {}), "mount", /is not a list of mounts/, undefined, "invalid type: map, expected a sequence"],
    [(c) => (c.resource_limits.kernel_space_heap_size = null), "resource_limits.kernel_space_heap_size", /null is not allowed/, "give it a value (this field is required)", "invalid type: null"],
  ];
  for (const [edit, path, msg, hint, occlum] of cases) {
    const issue = issueAt(errorsOf(template(edit)), path);
    assert.match(issue.message, msg, path);
    assert.equal(issue.hint, hint, path);
    assert.equal(issue.occlum, occlum, path);
    assert.ok(issue.line > 1 && issue.column > 1, path);
  }
});

test("1.0 is a floating point for serde too; the hint offers the integer", () => {
  const text = template().replace('"max_num_of_threads": 32', '"max_num_of_threads": 32.0');
  assert.equal(issueAt(errorsOf(text), "resource_limits.max_num_of_threads").hint, "did you mean 32?");
});

test("several errors are reported together", () => {
  const issues = errorsOf(
    template((c) => {
      c.resource_limits.max_num_of_threads = "32";
      c.metadata.debuggable = "yes";
      delete c.process.default_mmap_size;
    }),
  );
  assert.deepEqual(issues.map((i) => i.path).sort(), ["metadata.debuggable", "process.default_mmap_size", "resource_limits.max_num_of_threads"]);
});

test("unknown keys are ignored as Occlum does; likely typos and moved keys warn", () => {
  const { warnings, input } = load(
    template((c) => {
      c.resource_limits.user_space_max_sizes = "1GB";
      c.feature.enable_edm = true;
      c.metadata.pkru = 1;
      c.log_level = "info";
      c.untrusted_unix_socks = [];
    }),
  );
  assert.equal(input.resourceLimits.userSpaceMaxSize, undefined);
  assert.equal(input.feature.enableEdmm.value, false);
  const byPath = new Map(warnings.map((w) => [w.path, w]));
  assert.equal(byPath.get("resource_limits.user_space_max_sizes")?.hint, 'did you mean "user_space_max_size"?');
  assert.equal(byPath.get("feature.enable_edm")?.hint, 'did you mean "enable_edmm"?');
  assert.equal(byPath.get("metadata.pkru")?.hint, "it now belongs in feature.pkru");
  assert.equal(byPath.has("log_level"), false);
  assert.equal(byPath.has("untrusted_unix_socks"), false);
});

test("a misspelled required key: one error that points at the misspelling", () => {
  const text = template((c) => {
    c.resource_limits.user_space_sise = c.resource_limits.user_space_size;
    delete c.resource_limits.user_space_size;
  });
  const issues = errorsOf(text);
  const issue = issueAt(issues, "resource_limits.user_space_size");
  const at = posOf(text, '"user_space_sise"');
  assert.equal(issue.hint, `found "user_space_sise" at line ${at.line}, column ${at.column}; did you mean "user_space_size"?`);
});

test("mount entries: type and target required, options typed, layers recursive", () => {
  assert.ok(issueAt(errorsOf(template((c) => delete c.mount[1].type)), "mount[1].type"));
  assert.ok(issueAt(errorsOf(template((c) => (c.mount[0].options.layers[1].target = 5))), "mount[0].options.layers[1].target"));
  assert.ok(issueAt(errorsOf(template((c) => (c.mount[0].options.layers[0].options.temporary = "no"))), "mount[0].options.layers[0].options.temporary"));
  assert.ok(issueAt(errorsOf(template((c) => (c.mount[1].options = null))), "mount[1].options"));
});
