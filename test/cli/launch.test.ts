/**
 * How bin/occlum starts the CLI: the bundle (scripts/bundle-cli.ts) while it is fresh, the sources
 * otherwise; and that the real bundle runs a program as the sources do.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuest, posixSkip } from "../support/guest.ts";
import { BUNDLE_NAME, FRESH_SCRIPT_NAME, freshnessScript, INPUTS_NAME, STAMP_NAME, type BundleInputs } from "../../scripts/bundle-cli.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("OCCLUM") && k !== "ENABLE_EDMM" && k !== "SGX_MODE" && k !== "GLIBC_TUNABLES") env[k] = v;
let tmp: string;

before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "occlum-ts-launch-"));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A package with the real bin/occlum, a stand-in bundle and stand-in sources that say which ran. */
function fakePackage(): { root: string; input: string; launch: (extra?: Record<string, string>) => { out: string; err: string; code: number | null } } {
  const root = mkdtempSync(path.join(tmp, "pkg-")) + "/";
  mkdirSync(path.join(root, "bin"));
  mkdirSync(path.join(root, "dist"));
  mkdirSync(path.join(root, "src", "cli"), { recursive: true });
  copyFileSync(path.join(repo, "bin", "occlum"), path.join(root, "bin", "occlum"));
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(path.join(root, "src", "cli", "main.ts"), `export async function runCli(argv: string[]) { process.stdout.write("sources " + argv.join(" ")); }\n`);
  // The bundle file is the CommonJS wrapper function itself (scripts/bundle-cli.ts).
  writeFileSync(path.join(root, "dist", BUNDLE_NAME), `(function (exports, require, module, __filename, __dirname) {\nexports.runCli = async (argv) => { process.stdout.write("bundle " + argv.join(" ")); };\n})`);
  const input = path.join(root, "src", "cli", "main.ts");
  const st = statSync(input);
  writeFileSync(path.join(root, "dist", INPUTS_NAME), JSON.stringify({ root, files: { "src/cli/main.ts": [st.size, st.mtimeMs] } }));
  const launch = (extra: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [path.join(root, "bin", "occlum"), "run", "/bin/x"], { env: { ...env, OCCLUM_TS_LAUNCH_DEBUG: "1", ...extra }, encoding: "utf8" });
    return { out: r.stdout, err: r.stderr, code: r.status };
  };
  return { root, input, launch };
}

test("bin/occlum runs the bundle while every input is unchanged, else the sources", () => {
  const pkg = fakePackage();
  let r = pkg.launch();
  assert.equal(r.out, "bundle run /bin/x", r.err);
  assert.match(r.err, /launch: bundle/);

  r = pkg.launch({ OCCLUM_TS_SOURCES: "1" });
  assert.equal(r.out, "sources run /bin/x", r.err);

  const st = statSync(pkg.input);
  utimesSync(pkg.input, st.atime, new Date(st.mtimeMs + 5000)); // an edit that keeps the size
  r = pkg.launch();
  assert.equal(r.out, "sources run /bin/x", r.err);
  assert.match(r.err, /bundle stale: src\/cli\/main\.ts changed/);

  rmSync(pkg.input);
  r = pkg.launch();
  assert.notEqual(r.code, 0, "a deleted input: the sources are tried (and here fail), never the stale bundle");
  assert.doesNotMatch(r.out, /bundle/);
});

test("bin/occlum run as a program starts the Node of the package directly (sh header), one process", () => {
  const pkg = fakePackage();
  symlinkSync(path.join(repo, "node_modules"), path.join(pkg.root, "node_modules"));
  const bundled = JSON.parse(readFileSync(path.join(repo, "node_modules", "node", "package.json"), "utf8")).version as string;
  // A PATH whose `node` fails: the header must not need it.
  const bin = path.join(pkg.root, "fakebin");
  mkdirSync(bin);
  for (const tool of ["readlink", "dirname"]) symlinkSync(execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), path.join(bin, tool));
  writeFileSync(path.join(bin, "node"), "#!/bin/sh\necho 'PATH node used' >&2\nexit 99\n", { mode: 0o755 });
  const r = spawnSync(path.join(pkg.root, "bin", "occlum"), ["run", "/bin/x"], { env: { ...env, PATH: bin, OCCLUM_TS_LAUNCH_DEBUG: "1" }, encoding: "utf8" });
  assert.equal(r.stdout, "bundle run /bin/x", r.stderr);
  assert.match(r.stderr, new RegExp(`launch: bundle on Node v${bundled.replaceAll(".", "\\.")}\\n`));
});

test("bin/occlum run as a program gives Node a 4 MB young generation from the start and huge-page malloc", () => {
  const pkg = fakePackage();
  symlinkSync(path.join(repo, "node_modules"), path.join(pkg.root, "node_modules"));
  // The stand-in bundle reports the young generation's semi-space as V8 sized it at start.
  writeFileSync(path.join(pkg.root, "dist", BUNDLE_NAME), `(function (exports, require, module, __filename, __dirname) {
exports.runCli = async () => { const s = require("node:v8").getHeapSpaceStatistics().find((x) => x.space_name === "new_space"); process.stdout.write(JSON.stringify({ argv: process.execArgv, size: s.space_used_size + s.space_available_size, tunables: process.env.GLIBC_TUNABLES })); };
})`);
  const st = statSync(pkg.input);
  writeFileSync(path.join(pkg.root, "dist", INPUTS_NAME), JSON.stringify({ root: pkg.root, files: { "src/cli/main.ts": [st.size, st.mtimeMs] } }));
  const r = spawnSync(path.join(pkg.root, "bin", "occlum"), ["run", "/bin/x"], { env, encoding: "utf8" });
  const seen = JSON.parse(r.stdout) as { argv: string[]; size: number; tunables?: string };
  assert.ok(seen.argv.includes("--min-semi-space-size=4"), r.stdout + r.stderr);
  assert.equal(seen.tunables, "glibc.malloc.hugetlb=1");
  // A user's own tunables are kept, ours appended.
  const own = spawnSync(path.join(pkg.root, "bin", "occlum"), ["run", "/bin/x"], { env: { ...env, GLIBC_TUNABLES: "glibc.malloc.arena_max=2" }, encoding: "utf8" });
  assert.equal((JSON.parse(own.stdout) as { tunables?: string }).tunables, "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1", own.stderr);
  // The young generation's capacity (what it holds before a scavenge): 4 MB, 1 MB without the flag.
  assert.ok(seen.size > 3.5 * 1024 * 1024, `new space ${seen.size} bytes`);
  const plain = spawnSync(process.execPath, ["-e", `const s = require("node:v8").getHeapSpaceStatistics().find((x) => x.space_name === "new_space"); process.stdout.write(String(s.space_used_size + s.space_available_size))`], { env, encoding: "utf8" });
  assert.ok(Number(plain.stdout) < seen.size, `without the flag: ${plain.stdout} bytes`);
});

test("the bundle's V8 code cache: written after a first run per subcommand, reused, rewritten when V8 rejects it", () => {
  const pkg = fakePackage();
  const cacheRoot = path.join(pkg.root, "compile-cache");
  const caches = () => readdirSync(cacheRoot, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".v8cache")).sort();
  let r = pkg.launch({ NODE_COMPILE_CACHE: cacheRoot });
  assert.equal(r.out, "bundle run /bin/x", r.err);
  const [runCache, ...rest] = caches();
  assert.ok(runCache !== undefined && rest.length === 0 && /occlum-ts-[0-9a-f]+-run\.v8cache$/.test(runCache), caches().join(" "));
  const file = path.join(cacheRoot, runCache);
  assert.ok(readFileSync(file).length > 0);
  utimesSync(file, new Date(0), new Date(0));
  r = pkg.launch({ NODE_COMPILE_CACHE: cacheRoot });
  assert.equal(r.out, "bundle run /bin/x", r.err);
  assert.equal(statSync(file).mtimeMs, 0, "accepted: not written again");
  writeFileSync(file, Buffer.from("not a V8 code cache"));
  r = pkg.launch({ NODE_COMPILE_CACHE: cacheRoot });
  assert.equal(r.out, "bundle run /bin/x", r.err);
  assert.ok(readFileSync(file).length > 0 && !readFileSync(file).equals(Buffer.from("not a V8 code cache")), "rejected, so written again");
  utimesSync(file, new Date(0), new Date(0));
  r = pkg.launch({ NODE_COMPILE_CACHE: cacheRoot });
  assert.equal(statSync(file).mtimeMs, 0, "and accepted after");
});

test("bin/occlum ignores a bundle made in another checkout or a missing inputs record", () => {
  const moved = fakePackage();
  writeFileSync(path.join(moved.root, "dist", INPUTS_NAME), JSON.stringify({ root: "/elsewhere/", files: {} }));
  let r = moved.launch();
  assert.equal(r.out, "sources run /bin/x", r.err);
  assert.match(r.err, /bundle made in \/elsewhere\//);

  const none = fakePackage();
  rmSync(path.join(none.root, "dist", INPUTS_NAME));
  r = none.launch();
  assert.equal(r.out, "sources run /bin/x", r.err);
});

/**
 * Bundles into `out` the way npm's prepare does: in a child process, again if V8 aborted it (an
 * intermittent V8 abort while esbuild's process is spawned; see scripts/bundle-cli.ts).
 */
function bundleInChild(out: string): { bytes: number; inputs: number } {
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync(process.execPath, [path.join(repo, "scripts", "bundle-cli.ts"), `--out-dir=${out}`], { encoding: "utf8", timeout: 120_000 });
    if (r.signal === "SIGTRAP" && attempt < 3) {
      // A crashed bundler (V8's SIGTRAP) never ran its cleanup: its temporary files are left over.
      for (const f of readdirSync(out)) if (f.endsWith(".tmp")) rmSync(path.join(out, f), { force: true });
      continue;
    }
    assert.equal(r.status, 0, `${r.signal ?? ""} ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /could not bundle/);
    const record = JSON.parse(readFileSync(path.join(out, INPUTS_NAME), "utf8")) as BundleInputs;
    return { bytes: statSync(path.join(out, BUNDLE_NAME)).size, inputs: Object.keys(record.files).length };
  }
}

test("bin/occlum run as a program: its sh header checks the inputs against the bundle's stamp", () => {
  const pkg = fakePackage();
  symlinkSync(path.join(repo, "node_modules"), path.join(pkg.root, "node_modules"));
  writeFileSync(path.join(pkg.root, "dist", FRESH_SCRIPT_NAME), freshnessScript(["src/cli/main.ts"]));
  const stamp = path.join(pkg.root, "dist", STAMP_NAME);
  writeFileSync(stamp, "");
  const st = statSync(pkg.input);
  utimesSync(stamp, st.atime, new Date(st.mtimeMs + 1000)); // made after the input was read
  const run = (cwd = pkg.root) => {
    const r = spawnSync(path.join("bin", "occlum"), ["run", "/bin/x"], { cwd, env: { ...env, OCCLUM_TS_LAUNCH_DEBUG: "1" }, encoding: "utf8" });
    return { out: r.stdout, err: r.stderr };
  };
  let r = run();
  assert.equal(r.out, "bundle run /bin/x", r.err);
  assert.match(r.err, /launch: bundle \(inputs checked by the sh header\)/);
  // Node's own check is not run then: a record the stats would reject does not matter.
  writeFileSync(path.join(pkg.root, "dist", INPUTS_NAME), JSON.stringify({ root: pkg.root, files: { "src/cli/main.ts": [0, 0] } }));
  r = run();
  assert.equal(r.out, "bundle run /bin/x", r.err);
  // An input newer than the stamp: the sources, naming it (Node does not check again).
  utimesSync(pkg.input, st.atime, new Date(st.mtimeMs + 5000));
  r = run();
  assert.equal(r.out, "sources run /bin/x", r.err);
  assert.match(r.err, /bundle stale: src\/cli\/main\.ts changed/);
  // A missing input, and a missing stamp, are stale too.
  utimesSync(pkg.input, st.atime, new Date(st.mtimeMs));
  assert.equal(run().out, "bundle run /bin/x");
  rmSync(stamp);
  assert.equal(run().out, "sources run /bin/x");
  writeFileSync(stamp, "");
  const moved = `${pkg.input}.away`;
  renameSync(pkg.input, moved);
  assert.match(run().err, /bundle stale: src\/cli\/main\.ts changed/);
  renameSync(moved, pkg.input);
  // The record's root is still checked by Node: a bundle made in another checkout is not used.
  writeFileSync(path.join(pkg.root, "dist", INPUTS_NAME), JSON.stringify({ root: "/elsewhere/", files: {} }));
  assert.match(run().err, /bundle made in \/elsewhere\//);
  // A name the shell would need quoted is refused by the generator (bin/occlum then checks in Node).
  assert.throws(() => freshnessScript(["src/a b.ts"]), /cannot name/);
});

test("the real bundle runs a program like the sources, workers included", async () => {
  const out = path.join(tmp, "dist");
  const made = bundleInChild(out);
  assert.ok(made.inputs > 50 && made.bytes > 100_000, JSON.stringify(made));
  // The sh check's script names every input of the record, and its stamp predates the bundle.
  const record = JSON.parse(readFileSync(path.join(out, INPUTS_NAME), "utf8")) as BundleInputs;
  assert.equal(readFileSync(path.join(out, FRESH_SCRIPT_NAME), "utf8"), freshnessScript(Object.keys(record.files)));
  assert.ok(statSync(path.join(out, STAMP_NAME)).mtimeMs <= statSync(path.join(out, BUNDLE_NAME)).mtimeMs);
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith(".tmp")), []);
  const inst = path.join(tmp, "inst");
  const occlum = path.join(repo, "bin", "occlum");
  const sh = (args: string[], extra: Record<string, string> = {}) => spawnSync(process.execPath, args, { cwd: inst, env: { ...env, OCCLUM_TS_SOURCES: "1", ...extra }, encoding: "utf8", timeout: 120_000 });
  assert.equal(spawnSync(process.execPath, [occlum, "new", inst], { env, encoding: "utf8" }).status, 0);
  copyFileSync(await buildGuest("test/guest/wasi/hello.c"), path.join(inst, "image", "bin", "hello"));
  const b = sh([occlum, "build"]);
  assert.equal(b.status, 0, b.stdout + b.stderr);
  // What bin/occlum does with the bundle file: compile the wrapper function as read and call it.
  const bundleRun = (argv: string[]) => [
    "-e",
    `const file = ${JSON.stringify(path.join(out, BUNDLE_NAME))}; const m = { exports: {} };
     require("node:vm").runInThisContext(require("node:fs").readFileSync(file, "utf8"), { filename: file })(m.exports, require("node:module").createRequire(file), m, file, require("node:path").dirname(file));
     m.exports.runCli(${JSON.stringify(argv)});`,
  ];
  const viaBundle = sh(bundleRun(["run", "/bin/hello", "a", "b"]));
  const viaSources = sh([occlum, "run", "/bin/hello", "a", "b"]);
  assert.equal(viaBundle.status, 0, viaBundle.stderr);
  assert.equal(viaBundle.stdout, viaSources.stdout);
  assert.match(viaBundle.stdout, /hello from \/bin\/hello argc=3/);
  // A worker started by URL (the vCPU) must find its source file from inside the bundle.
  if (!posixSkip()) {
    copyFileSync(await buildGuest("test/guest/threads/vcpu_work.c", { mode: "posix", flags: ["-pthread"] }), path.join(inst, "image", "bin", "vcpu_work"));
    assert.equal(sh([occlum, "build"]).status, 0);
    const r = sh(bundleRun(["run", "/bin/vcpu_work", "200", "2"]), { OCCLUM_VCPUS: "2" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^units=\d+,\d+ total=\d+ overlap=\d+ window_ns=\d+\n$/);
  }
});
