// The CLI through real process runs of bin/occlum, in temporary directories.
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { TEMPLATE_OCCLUM_JSON } from "../../src/config/index.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OCCLUM = path.join(ROOT, "bin", "occlum");
const GOLDEN = path.join(ROOT, "test", "golden", "config");
const work = mkdtempSync(path.join(tmpdir(), "occlum-cli-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** Environment without the variables that change what `occlum build` decides. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ["SGX_MODE", "ENABLE_EDMM", "OCCLUM_LOG_LEVEL"]) delete env[k];
  return { ...env, ...extra };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/occlum ...` with the Node running the tests (Node 26 under npm test). */
function occlum(cwd: string, args: string[], env: Record<string, string> = {}): Run {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [OCCLUM, ...args], { cwd, env: cleanEnv(env), encoding: "utf8", timeout: 20_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let counter = 0;
function freshDir(): string {
  const d = path.join(work, `d${counter++}`);
  mkdirSync(d);
  return d;
}
function newInstance(): string {
  const parent = freshDir();
  const r = occlum(parent, ["new", "inst"]);
  assert.equal(r.code, 0, r.stderr);
  return path.join(parent, "inst");
}
const read = (...p: string[]) => readFileSync(path.join(...p), "utf8");
const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at .*\(.*:\d+:\d+\)/);

test("no sub-command / unknown sub-command: Occlum's messages, usage, exit 1", () => {
  const none = occlum(work, []);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, "Error: no sub-command is given\n");
  assert.match(none.stdout, /^\nUsage:\n {4}occlum new <path>/);
  const bad = occlum(work, ["frobnicate"]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, "Error: unknown sub-command frobnicate\n");
  assert.match(bad.stdout, /Usage:/);
});

test("occlum new: creates and initializes the instance layout; refuses an existing destination", () => {
  const parent = freshDir();
  const missing = occlum(parent, ["new"]);
  assert.deepEqual([missing.code, missing.stdout], [1, "Error: target directory is not set\n"]);

  const r = occlum(parent, ["new", "inst"]);
  const dir = path.join(parent, "inst");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${dir} initialized as an Occlum instance\n`);
  assert.equal(read(dir, ".__occlum_status"), "initialized\n");
  assert.equal(read(dir, "Occlum.json"), TEMPLATE_OCCLUM_JSON);
  assert.equal(statSync(path.join(dir, "Occlum.json")).mode & 0o777, 0o644);
  for (const d of ["bin", "lib", "lib64", "root", "host", "tmp", "dev", "proc", "etc", "sbin", "ext2"]) assert.ok(statSync(path.join(dir, "image", d)).isDirectory(), d);
  for (const d of ["bin", "lib", "dev", "proc", "etc"]) assert.ok(statSync(path.join(dir, "initfs", d)).isDirectory(), d);
  assert.equal(read(dir, "image", "etc", "hosts"), "127.0.0.1   localhost\n");
  assert.equal(read(dir, "initfs", "etc", "hosts"), "127.0.0.1   localhost\n");

  const again = occlum(parent, ["new", "inst"]);
  assert.equal(again.code, 1);
  assert.equal(again.stdout, `Error: destination "${dir}" already exists\n`);
});

test("occlum init: twice is refused; unknown arguments are an error, not an infinite loop", () => {
  const dir = freshDir();
  const bad = occlum(dir, ["init", "--bogus"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^Error: Unknown option: --bogus/);
  assert.equal(existsSync(path.join(dir, ".__occlum_status")), false, "nothing created on a usage error");
  const empty = occlum(dir, ["init", "--init-ra"]);
  assert.deepEqual([empty.code, empty.stderr], [1, "Error: Empty init-ra option provided\n"]);

  const ok = occlum(dir, ["init"]);
  assert.deepEqual([ok.code, ok.stdout], [0, `${dir} initialized as an Occlum instance\n`]);
  const twice = occlum(dir, ["init"]);
  assert.equal(twice.code, 1);
  assert.equal(twice.stdout, "Error: the current working directory has been initialized as an Occlum instance\n");
});

test("occlum status: prints the status file; not initialized -> Occlum's guard message", () => {
  const none = occlum(freshDir(), ["status"]);
  assert.equal(none.code, 1);
  assert.equal(none.stdout, 'Error: the current working directory is not initialized as an Occlum instance. Need to run "occlum init" first.\n');
  const dir = newInstance();
  assert.deepEqual(occlum(dir, ["status"]), { code: 0, stdout: "initialized\n", stderr: "" });
});

test("occlum build: Occlum's output, golden Enclave.xml and internal config, status, .sgx_mode, run/, the table", () => {
  const dir = newInstance();
  mkdirSync(path.join(dir, "run", "old"), { recursive: true });
  const r = occlum(dir, ["build"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.equal(
    r.stdout,
    [
      "Enclave sign-tool: built-in",
      "Enclave sign-key: built-in development key",
      "SGX mode: HW",
      "Build on platform WITHOUT EDMM support",
      "Building the initfs...",
      "Building new image...",
      "Resolved configuration (SGX mode HW, EDMM off):",
      "                   Init      Max",
      "  Kernel heap    32 MiB   32 MiB",
      "  User space    300 MiB  300 MiB",
      "  Threads            32       32",
      "  Kernel stack    1 MiB",
      "  EDMM: off, because ENABLE_EDMM is not set and feature.enable_edmm is false",
      "  Without EDMM, Init = Max: all of it is committed when the instance starts.",
      "Built the Occlum image and enclave successfully",
      "",
    ].join("\n"),
  );
  assert.equal(read(dir, "build", "Enclave.xml"), read(GOLDEN, "example1-hw.xml"));
  const golden = read(GOLDEN, "example1-hw.json")
    .replace("aa-bb-cc-dd-ee-ff-00-11-22-33-44-55-66-77-88-99", read(dir, "build", "mount", ".ROOT_MAC"))
    .replace("01-23-45-67-89-ab-cd-ef-01-23-45-67-89-ab-cd-ef", read(dir, "build", "initfs", ".ROOT_MAC"));
  assert.match(read(dir, "build", "mount", ".ROOT_MAC"), /^[0-9a-f]{2}(-[0-9a-f]{2}){15}$/);
  assert.ok(statSync(path.join(dir, "build", "mount", "__ROOT", "etc", "hosts")).isFile(), "image/ captured");
  assert.equal(read(dir, "build", ".Occlum_sys.json"), golden);
  assert.equal(read(dir, "build", "image_config.json"), '{\n  "image_type": "integrity-only"\n}\n');
  assert.equal(read(dir, ".__occlum_status"), "built\n");
  assert.equal(read(dir, ".sgx_mode"), "HW\n");
  assert.ok(statSync(path.join(dir, "run", "mount", "__ROOT")).isDirectory());
  assert.ok(statSync(path.join(dir, "run", "initfs", "__ROOT")).isDirectory());
  assert.equal(existsSync(path.join(dir, "run", "old")), false, "every build erases run/ (as Occlum)");
  const record = JSON.parse(read(dir, "build", ".occlum_ts_build.json"));
  assert.equal(record.sgxMode, "HW");
  assert.deepEqual([record.edmm.enabled, record.edmm.decidedBy], [false, "default"]);
  assert.deepEqual(occlum(dir, ["status"]).stdout, "built\n");
});

test("occlum build with ENABLE_EDMM=Y: the EDMM table; changed EDMM/mode rebuilds everything (staleness fix)", () => {
  const dir = newInstance();
  assert.equal(occlum(dir, ["build"]).code, 0);
  writeFileSync(path.join(dir, "build", "stale-artifact"), "x");

  const r = occlum(dir, ["build"], { ENABLE_EDMM: "Y" });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Rebuilding everything \(EDMM off -> on\)/);
  assert.match(r.stdout, /Build on platform WITH EDMM support/);
  assert.match(r.stdout, /Kernel heap +32 MiB +1 GiB\n +User space +300 MiB +16 GiB\n +Threads +16 +4096\n/);
  assert.match(r.stdout, /EDMM: on, because ENABLE_EDMM=Y in the environment \(SGX mode HW\)/);
  assert.equal(existsSync(path.join(dir, "build", "stale-artifact")), false);
  assert.equal(read(dir, "build", "Enclave.xml"), read(GOLDEN, "example2-edmm.xml"));
  assert.equal(JSON.parse(read(dir, "build", ".occlum_ts_build.json")).edmm.inputs.ENABLE_EDMM, "Y");

  const same = occlum(dir, ["build", "--enable-edmm", "Y"]);
  assert.doesNotMatch(same.stdout, /Rebuilding/);
  const sim = occlum(dir, ["build", "--sgx-mode", "SIM"]);
  assert.match(sim.stdout, /SGX mode: SIM\n/);
  assert.match(sim.stdout, /Rebuilding everything \(SGX mode changed \(HW -> SIM\), EDMM on -> off\)/);
  assert.equal(read(dir, ".sgx_mode"), "SIM\n");
  const forced = occlum(dir, ["build", "--sgx-mode", "SIM", "-f"]);
  assert.match(forced.stdout, /Rebuilding everything \(-f\/--force\)/);
});

test("occlum build --sgx-mode SIM with feature.enable_edmm: builds as Occlum, with the spec 2.9 warning", () => {
  const dir = newInstance();
  const file = path.join(dir, "Occlum.json");
  writeFileSync(file, read(file).replace('"enable_edmm": false', '"enable_edmm": true'));
  const r = occlum(dir, ["build", "--sgx-mode", "SIM"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^Occlum\.json:42:24: warning: feature\.enable_edmm: true under --sgx-mode SIM: .*ENOMEM/m);
  assert.match(r.stdout, /SGX mode: SIM\nBuild on platform WITH EDMM support\n/);
  assert.match(r.stdout, /EDMM: on, because feature\.enable_edmm is true in Occlum\.json \(forces the EDMM layout even under --sgx-mode SIM\)/);
  assert.equal(read(dir, ".sgx_mode"), "SIM\n");
});

test("occlum build with a bad Occlum.json: every error with line:column, exit 2, nothing touched, no stack trace", () => {
  const dir = newInstance();
  assert.equal(occlum(dir, ["build"]).code, 0);
  writeFileSync(path.join(dir, "run", "mount", "__ROOT", "keep"), "data the app wrote");
  const file = path.join(dir, "Occlum.json");
  writeFileSync(file, read(file).replace('"300MB"', '"300mb"').replace('"4MB"', '"4mb"').replace('"type": "hostfs"', '"type": "hostFS"'));
  const r = occlum(dir, ["build"]);
  assert.equal(r.code, 2);
  const lines = r.stderr.trimEnd().split("\n");
  assert.deepEqual(lines, [
    'Occlum.json:5:28: resource_limits.user_space_size: "300mb" is not a size (expected e.g. "300MB": a number followed by KB, MB, GB, TB or B, case-sensitive); did you mean "300MB"?',
    'Occlum.json:9:31: process.default_stack_size: "4mb" is not a size (expected e.g. "4MB": a number followed by KB, MB, GB, TB or B, case-sensitive); did you mean "4MB"?',
    'Occlum.json:69:21: mount[1].type: "hostFS" is not a supported file system type (expected sefs, hostfs, ramfs, unionfs, devfs, procfs, ext2); did you mean "hostfs"?',
    "Error: Occlum.json has 3 errors; nothing was built",
  ]);
  noStack(r.stderr);
  assert.doesNotMatch(r.stdout, /Built the Occlum image/);
  assert.equal(read(dir, "run", "mount", "__ROOT", "keep"), "data the app wrote", "a failed build keeps run/");

  const debug = occlum(dir, ["build"], { OCCLUM_LOG_LEVEL: "debug" });
  assert.equal(debug.code, 2);
  assert.match(debug.stderr, /\(Occlum: The user_space_size "300mb" is not correct\.\)/);
  assert.match(debug.stderr, /\n\s+at /, "stack trace only in debug");

  writeFileSync(file, "{\n  \"resource_limits\": {\n    // comment\n  }\n}\n");
  const syntax = occlum(dir, ["build"]);
  assert.equal(syntax.code, 2);
  assert.match(syntax.stderr, /^Occlum\.json:3:5: invalid JSON: comments are not allowed in JSON; remove the comment/);
  rmSync(file);
  const missing = occlum(dir, ["build"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Occlum\.json: .*Occlum\.json does not exist/);
});

test("occlum build flags: Occlum's messages for unknown options, empty values and bad paths", () => {
  const notInit = occlum(freshDir(), ["build"]);
  assert.deepEqual([notInit.code, notInit.stdout], [1, 'Error: the current working directory is not initialized as an Occlum instance. Need to run "occlum init" first.\n']);
  const dir = newInstance();
  const cases: [string[], string][] = [
    [["--bogus"], "Error: Unknown option: --bogus\n"],
    [["-x"], "Error: Unknown option: -x\n"],
    [["--sign-key"], "Error: empty signing key path\n"],
    [["--sign-tool"], "Error: empty signing tool path\n"],
    [["--sgx-mode"], "Error: empty sgx mode\n"],
    [["--enable-edmm"], "Error: empty edmm mode\n"],
    [["--image-key"], "Error: empty secure image key path\n"],
    [["--sign-key", ""], "Error: empty signing key path\n"],
    [["--sign-key", "/nonexistent/key.pem"], "Error: invalid signing key path: /nonexistent/key.pem\n"],
    [["--sign-tool", "nope"], "Error: invalid signing tool path: nope\n"],
    [["--image-key", "nope.key"], "Error: invalid secure image key path: nope.key\n"],
  ];
  for (const [args, err] of cases) {
    const r = occlum(dir, ["build", ...args]);
    assert.deepEqual([r.code, r.stderr], [1, err], args.join(" "));
  }
  assert.equal(read(dir, ".__occlum_status"), "initialized\n");
});

test("occlum gen-image-key, and a build with the image key, --buildin-image-key and -f", () => {
  const dir = newInstance();
  const none = occlum(dir, ["gen-image-key"]);
  assert.deepEqual([none.code, none.stdout], [1, "Error: target file is not set\n"]);
  assert.equal(occlum(dir, ["gen-image-key", "image.key"]).code, 0);
  assert.match(read(dir, "image.key"), /^([0-9a-f]{2}-){15}[0-9a-f]{2}\n$/);
  const r = occlum(dir, ["build", "--image-key", "image.key", "--buildin-image-key", "-f", "--sign-key", "image.key"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^Enclave sign-tool: built-in\nEnclave sign-key: ${dir}/image.key\nImage encryption key: ${dir}/image.key\n`));
  assert.equal(read(dir, "build", "image_config.json"), '{\n  "image_type": "encrypted"\n}\n');
  assert.equal(occlum(dir, ["gen-image-key", "image.key"]).code, 0);
  assert.match(occlum(dir, ["build", "--image-key", "image.key", "--buildin-image-key", "--sign-key", "image.key"]).stdout, /Rebuilding everything \(signing key, image key\)/);
});

test("occlum run: built check, program output and exit codes, 127 for bad paths, status back to built", async () => {
  const dir = newInstance();
  assert.deepEqual(occlum(dir, ["run", "/bin/hello"]).stdout, 'Error: the Occlum image and enclave are not built yet. Need to run "occlum build" first.\n');
  const src = path.join(dir, "exit_with.c");
  writeFileSync(src, '#include <stdio.h>\n#include <stdlib.h>\nint main(int c, char **v) { printf("%s|%s\\n", v[1], getenv("OCCLUM")); return atoi(v[1]); }\n');
  const { buildGuest } = await import("../support/guest.ts");
  const wasm = await buildGuest(src);
  writeFileSync(path.join(dir, "image", "bin", "exit_with"), readFileSync(wasm));
  assert.equal(occlum(dir, ["build"]).code, 0);
  const ok = occlum(dir, ["run", "/bin/exit_with", "3"]);
  assert.deepEqual([ok.code, ok.stdout], [3, "3|yes\n"]);
  assert.equal(occlum(dir, ["run", "/bin/exit_with", "200"]).code, 200 & 0x7f, "Occlum's status & 0x7F");
  for (const bad of ["bin/exit_with", "/bin/../bin/exit_with", "/bin/missing", "/etc/hosts"]) {
    const r = occlum(dir, ["run", bad]);
    assert.equal(r.code, 127, bad);
    assert.match(r.stderr, /^Error: .+\n$/, bad);
    noStack(r.stderr);
  }
  assert.equal(read(dir, ".__occlum_status"), "built\n");
});

test("resource_limits.num_of_cpus (Occlum 1.0): the vCPUs a program sees; OCCLUM_VCPUS overrides; out of range is a build error", async (t) => {
  const { buildGuest, posixSkip } = await import("../support/guest.ts");
  if (posixSkip()) return t.skip("no POSIX guest toolchain");
  const dir = newInstance();
  const wasm = await buildGuest(path.join(ROOT, "test", "guest", "threads", "nprocs.c"), { mode: "posix" });
  writeFileSync(path.join(dir, "image", "bin", "nprocs"), readFileSync(wasm));
  assert.equal(occlum(dir, ["build"]).code, 0);
  assert.doesNotMatch(read(dir, "build", ".Occlum_sys.json"), /num_of_cpus/, "not set: the internal config is master's");
  const file = path.join(dir, "Occlum.json");
  const template = read(file);
  writeFileSync(file, template.replace('"max_num_of_threads": 32', '"max_num_of_threads": 32,\n        "num_of_cpus": 3'));
  const built = occlum(dir, ["build"]);
  assert.equal(built.code, 0, built.stderr);
  assert.doesNotMatch(built.stderr, /unknown key/, "a key Occlum 1.0 knows: no typo warning");
  assert.match(read(dir, "build", ".Occlum_sys.json"), /"user_space_max_size": "\d+B",\n    "num_of_cpus": 3\n  \}/);
  const env = { OCCLUM_VCPUS: "" };
  assert.equal(occlum(dir, ["run", "/bin/nprocs"], env).stdout, "online=3 conf=3 cpuinfo=3\n");
  assert.equal(occlum(dir, ["run", "/bin/nprocs"], { OCCLUM_VCPUS: "2" }).stdout, "online=2 conf=2 cpuinfo=2\n");
  for (const bad of ["0", "257"]) {
    writeFileSync(file, template.replace('"max_num_of_threads": 32', `"max_num_of_threads": 32,\n        "num_of_cpus": ${bad}`));
    const r = occlum(dir, ["build"]);
    assert.equal(r.code, 2, bad);
    assert.match(r.stderr, new RegExp(`Occlum.json:7:24: resource_limits.num_of_cpus: num_of_cpus ${bad}: the LibOS runs 1 to 256 vCPUs`), r.stderr);
    noStack(r.stderr);
  }
});

test("subcommands of later issues: a clear error, exit 1", () => {
  for (const cmd of ["start", "exec", "stop", "package", "gdb", "mount", "print"]) {
    const r = occlum(work, [cmd, "x"]);
    assert.deepEqual([r.code, r.stderr], [1, `Error: "occlum ${cmd}" is not implemented yet in occlum-ts\n`], cmd);
  }
});

test("bin/occlum through its shebang with the system Node (re-executes under the bundled Node)", () => {
  const pathWithoutBundled = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((p) => !p.includes("node_modules"))
    .join(path.delimiter);
  const parent = freshDir();
  const r = spawnSync(OCCLUM, ["new", "viaShebang"], { cwd: parent, env: cleanEnv({ PATH: pathWithoutBundled }), encoding: "utf8", timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${path.join(parent, "viaShebang")} initialized as an Occlum instance\n`);
  const b = spawnSync(OCCLUM, ["build", "--bogus"], { cwd: path.join(parent, "viaShebang"), env: cleanEnv({ PATH: pathWithoutBundled }), encoding: "utf8", timeout: 20_000 });
  assert.deepEqual([b.status, b.stderr], [1, "Error: Unknown option: --bogus\n"]);
});
