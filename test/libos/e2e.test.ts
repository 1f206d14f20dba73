/**
 * End to end with the real CLI: `occlum new` + `occlum build` in a temp dir, then runInstance on
 * the built instance (what `occlum run` calls), including a tampered image being refused.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { Collect, guest } from "./helpers.ts";
import { runInstance } from "../../src/libos/boot.ts";

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const occlum = path.join(repo, "bin", "occlum");
let tmp: string;
let inst: string;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "occlum-ts-e2e-"));
  inst = path.join(tmp, "inst");
  await run(process.execPath, [occlum, "new", inst]);
  await copyFile(await guest("hello"), path.join(inst, "image", "bin", "hello"));
  await run(process.execPath, [occlum, "build"], { cwd: inst });
});
after(() => rm(tmp, { recursive: true, force: true }));

test("occlum new + build, then run: the template's env and entry points apply", async () => {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await runInstance({ instanceDir: inst, path: "/bin/hello", args: ["e2e"], stdio: { stdin: "", stdout, stderr }, env: {} });
  assert.equal(code, 0, stderr.text);
  assert.equal(stdout.text, "hello from /bin/hello argc=2\narg[1]=e2e\nOCCLUM=yes\n");
});

test("a program outside the template's entry point /bin is refused with 127", async () => {
  const stderr = new Collect();
  const code = await runInstance({ instanceDir: inst, path: "/host/hello", stdio: { stdin: "", stdout: new Collect(), stderr }, env: {} });
  assert.equal(code, 127);
  assert.match(stderr.text, /NOT a valid entry point/);
});

test("an image changed after the build fails its integrity check at boot", async () => {
  await writeFile(path.join(inst, "build", "mount", "__ROOT", "bin", "hello"), "tampered");
  const stderr = new Collect();
  const code = await runInstance({ instanceDir: inst, path: "/bin/hello", stdio: { stdin: "", stdout: new Collect(), stderr }, env: {} });
  assert.equal(code, 1);
  assert.match(stderr.text, /^Error: failed to mount the file systems: .+\n$/);
});
