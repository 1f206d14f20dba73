/**
 * runInstance as `occlum run` uses it: exit statuses, Occlum's program-path checks (exit 127),
 * unbuilt instances, non-wasm programs, unknown imports (ENOSYS stubs), and strace output.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { guest, makeInstance, run, type Instance } from "./helpers.ts";
import { runInstance } from "../../src/libos/boot.ts";
import { loaderStats } from "../../src/libos/loader/loader.ts";

let inst: Instance;

before(async () => {
  inst = await makeInstance({
    programs: { "/bin/hello": await guest("hello"), "/bin/unknown_import": await guest("unknown_import"), "/opt/hidden": await guest("hello") },
    files: { "/bin/notwasm": "#!/bin/sh\necho hi\n", "/bin/empty": "" },
    entryPoints: ["/bin"],
  });
});
after(() => inst?.cleanup());

test("runs a program: argv, env.default, stdout, exit 0", async () => {
  const r = await run(inst, "/bin/hello", { args: ["a", "b"] });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "hello from /bin/hello argc=3\narg[1]=a\narg[2]=b\nOCCLUM=yes\n");
});

test("exit status 200 is reported as 200 & 0x7F, as Occlum does", async () => {
  assert.equal((await run(inst, "/bin/hello", { args: ["x"] })).code, 72);
});

test("program path checks exit 127 with Occlum's messages", async () => {
  const cases: [string, RegExp][] = [
    ["bin/hello", /must be absolute/],
    ["/bin/../bin/hello", /must not contain "\.\."/],
    ["/opt/hidden", /NOT a valid entry point/],
    ["/binx/hello", /NOT a valid entry point/],
    ["/bin/missing", /No such file or directory/],
    ["/bin/notwasm", /exec format error/],
    ["/bin/empty", /exec format error/],
    ["/bin", /cannot execute/],
  ];
  for (const [p, msg] of cases) {
    const r = await run(inst, p);
    assert.equal(r.code, 127, `${p}: ${r.stderr}`);
    assert.match(r.stderr, msg, p);
    assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
  }
});

test("an instance that is not built: exit 1 with Occlum's message", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "occlum-ts-unbuilt-"));
  try {
    const r = await runInstance({ instanceDir: dir, path: "/bin/hello", stdio: { stdin: "", stdout: process.stdout, stderr: new (await import("./helpers.ts")).Collect() } });
    assert.equal(r, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an import the LibOS lacks is stubbed: instantiation succeeds, the call returns ENOSYS", async () => {
  const r = await run(inst, "/bin/unknown_import");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "no_such_call returned 52\n");
});

test("the same program compiles once (cache by content hash)", async () => {
  await run(inst, "/bin/hello");
  const before = loaderStats.compiles;
  await run(inst, "/bin/hello");
  await run(inst, "/opt/hidden".replace("/opt/hidden", "/bin/hello"));
  assert.equal(loaderStats.compiles, before);
});

test("OCCLUM_LOG_LEVEL=trace: every syscall with decoded arguments and result", async () => {
  const r = await run(inst, "/bin/hello", { args: ["a"], trace: true });
  assert.equal(r.code, 0);
  assert.match(r.log, /\[pid 1:1\] args_sizes_get\(\) = 2, 13\n/);
  assert.match(r.log, /\[pid 1:1\] args_get\(\) = \["\/bin\/hello","a"\]\n/);
  assert.match(r.log, /\[pid 1:1\] fd_write\(1, \[\d+(,\d+)*\]\) = \d+\n/);
  assert.match(r.log, /\[pid 1:1\] environ_get\(\) = \["OCCLUM=yes"\]\n/);
  // errors are shown by name
  const r2 = await run(inst, "/bin/unknown_import", { trace: true });
  assert.match(r2.log, /occlum_test_ext\.no_such_call\(\.\.\.\) = -1 ENOSYS/);
});
