// Everything Occlum accepts at build and only rejects at boot (a LibOS panic) is rejected at build.
import assert from "node:assert/strict";
import { test } from "node:test";
import { errorsOf, issueAt, load, template } from "./test-helpers.ts";

const ERRORS: [string, (c: any) => void, string, RegExp][] = [
  // env (Occlum issue #777: `"env": {}` builds, then panics at boot)
  ["env {}: default missing", (c) => (c.env = {}), "env.default", /missing required field "default"/],
  ["env {}: untrusted missing", (c) => (c.env = {}), "env.untrusted", /missing required field "untrusted"/],
  ["env with another key", (c) => (c.env.defaults = []), "env.defaults", /unknown key in env/],
  ["env in the old array form", (c) => (c.env = ["OCCLUM=yes"]), "env", /an array is not an env object/],
  ["env.default not KEY=VALUE", (c) => (c.env.default = ["OCCLUM"]), "env.default[0]", /"OCCLUM" is not KEY=VALUE/],
  ["env.default with an empty name", (c) => (c.env.default = ["=x"]), "env.default[0]", /not KEY=VALUE/],
  ["env.default not an array", (c) => (c.env.default = "OCCLUM=yes"), "env.default", /not an array of strings/],
  ["env.untrusted entry not a string", (c) => (c.env.untrusted = [1]), "env.untrusted[0]", /1 \(a number\) is not a string/],
  ["env.untrusted with a value", (c) => (c.env.untrusted = ["A=1"]), "env.untrusted[0]", /not a variable name/],
  // entry points
  ["entry_points relative", (c) => (c.entry_points = ["bin"]), "entry_points[0]", /not an absolute path/],
  ["entry_points not an array", (c) => (c.entry_points = "/bin"), "entry_points", /not an array of strings/],
  ["entry_points null (Occlum builds it)", (c) => (c.entry_points = null), "entry_points", /null is not an array/],
  // process.* (example 5: "4mb" builds, then panics at boot)
  ["default_stack_size 4mb", (c) => (c.process.default_stack_size = "4mb"), "process.default_stack_size", /"4mb" is not a size/],
  ["default_heap_size bare", (c) => (c.process.default_heap_size = "32"), "process.default_heap_size", /not a size/],
  ["default_mmap_size", (c) => (c.process.default_mmap_size = "1.5GB"), "process.default_mmap_size", /not a size/],
  // feature
  ["io_uring > 16", (c) => (c.feature.io_uring = 17), "feature.io_uring", /too many/],
  // mount types and targets, at every level
  ["unknown mount type", (c) => c.mount.push({ target: "/a", type: "async_sfs", source: "x" }), "mount[2].type", /not a supported file system type/],
  ["mount type with wrong case", (c) => (c.mount[1].type = "HostFS"), "mount[1].type", /not a supported/],
  ["relative target", (c) => (c.mount[1].target = "host"), "mount[1].target", /not an absolute path/],
  ["relative target in a layer", (c) => (c.mount[0].options.layers[1].target = "."), "mount[0].options.layers[1].target", /not an absolute path/],
  ["sefs without source", (c) => c.mount.push({ target: "/data", type: "sefs" }), "mount[2].source", /needs a source/],
  ["hostfs without source", (c) => delete c.mount[1].source, "mount[1].source", /needs a source/],
  ["sefs with MAC and temporary", (c) => c.mount.push({ target: "/d", type: "sefs", source: "./x", options: { MAC: "", temporary: true } }), "mount[2].options.temporary", /cannot be temporary/],
  ["non-root unionfs with one layer", (c) => c.mount.push({ target: "/u", type: "unionfs", options: { layers: [{ target: "/", type: "sefs", source: "./a" }] } }), "mount[2].options.layers", /two sefs layers/],
  ["non-root unionfs without layers", (c) => c.mount.push({ target: "/u", type: "unionfs" }), "mount[2].options.layers", /two sefs layers/],
  ["root without a writable layer", (c) => c.mount[0].options.layers.pop(), "mount[0].options.layers", /no writable layer/],
];

test("boot-time checks moved to build", () => {
  for (const [name, edit, path, msg] of ERRORS) {
    const issue = issueAt(errorsOf(template(edit)), path);
    assert.match(issue.message, msg, name);
    assert.ok(issue.line > 0 && issue.column > 0, name);
  }
});

test("hints on the boot-time checks", () => {
  assert.equal(issueAt(errorsOf(template((c) => (c.process.default_stack_size = "4mb"))), "process.default_stack_size").hint, 'did you mean "4MB"?');
  assert.equal(issueAt(errorsOf(template((c) => (c.mount[1].type = "hostFS"))), "mount[1].type").hint, 'did you mean "hostfs"?');
  assert.equal(issueAt(errorsOf(template((c) => (c.entry_points = ["bin"]))), "entry_points[0]").hint, 'did you mean "/bin"?');
  assert.equal(issueAt(errorsOf(template((c) => (c.env.defualt = []))), "env.defualt").hint, 'did you mean "default"?');
});

test("Occlum's mount-structure errors (spec 1.7 rules 1-3), with Occlum's text", () => {
  const cases: [(c: any) => void, string, string][] = [
    [(c) => c.mount.shift(), "mount", 'Mount configuration invalid: Err("the root UnionFS is not valid")'],
    [(c) => (c.mount[0].type = "sefs"), "mount", 'Mount configuration invalid: Err("the root UnionFS is not valid")'],
    [(c) => delete c.mount[0].options, "mount[0].options", 'Mount configuration invalid: Err("the root UnionFS must be given layers")'],
    [(c) => (c.mount[0].options.layers[0].options.MAC = null), "mount[0].options.layers", 'Mount configuration invalid: Err("the image SEFS in layers is not valid")'],
    [(c) => delete c.mount[0].options.layers[0].options, "mount[0].options.layers", 'Mount configuration invalid: Err("the image SEFS in layers is not valid")'],
  ];
  for (const [edit, path, occlum] of cases) {
    const issues = errorsOf(template(edit));
    assert.ok(issues.some((i) => i.path === path && i.occlum === occlum), `${occlum}: ${JSON.stringify(issues)}`);
  }
  const nullMac = issueAt(errorsOf(template((c) => (c.mount[0].options.layers[0].options.MAC = null))), "mount[0].options.layers");
  assert.match(nullMac.hint ?? "", /null counts as absent/);
});

test("hostfs source: must be an existing directory, relative to the instance", () => {
  const seen: string[] = [];
  const text = template((c) => c.mount.push({ target: "/data", type: "hostfs", source: "./data" }));
  const issues = errorsOf(text, "hw", { instanceDir: "/inst", isDirectory: (p) => (seen.push(p), p === "/inst") });
  assert.deepEqual(seen, ["/inst", "/inst/data"]);
  assert.match(issueAt(issues, "mount[2].source").message, /host directory "\/inst\/data" does not exist/);
  assert.doesNotThrow(() => load(text, "hw", { instanceDir: "/inst", isDirectory: () => true }));
  assert.doesNotThrow(() => load(text)); // without an instance directory, host checks are skipped
});

test("valid variants pass: io_uring 16, all mount types, empty env lists", () => {
  const text = template((c) => {
    c.feature.io_uring = 16;
    c.env = { default: [], untrusted: [] };
    c.mount.push(
      { target: "/tmp", type: "ramfs" },
      { target: "/data", type: "sefs", source: "./run/data", options: { temporary: true, cache_size: "256KB" } },
      { target: "/u", type: "unionfs", options: { layers: [{ target: "/", type: "sefs", source: "./a", options: { MAC: "" } }, { target: "/", type: "sefs", source: "./b" }] } },
      { target: "/ext2", type: "ext2", options: { disk_size: "5GB" } },
    );
  });
  const { config } = load(text);
  assert.equal(config.mounts.length, 6);
  assert.equal(config.mounts[3]!.options.cacheSize, 256n << 10n);
  assert.equal(config.mounts[5]!.options.diskSize, 5n << 30n);
});

test("warnings for likely mistakes that Occlum accepts", () => {
  const { warnings } = load(
    template((c) => {
      c.mount.push({ target: "/proc", type: "procfs" }, { target: "/e1", type: "ext2", options: { disk_size: "5GB" } }, { target: "/e2", type: "ext2", options: { disk_size: "5GB" } });
      c.entry_points = [];
    }),
  );
  const text = warnings.map((w) => `${w.path}: ${w.message}`).join("\n");
  assert.match(text, /mount\[2\]: \/proc is already mounted by default/);
  assert.match(text, /mount\[4\]: only the first ext2 mount is used/);
  assert.match(text, /entry_points: no entry points/);
});
