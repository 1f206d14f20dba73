/**
 * What `occlum run` does at start-up (bench/startup measures how long it takes): the real
 * bin/occlum in a child process, on an instance made by `occlum new` + `occlum build` (EDMM).
 * - A plain wasip1 program loads none of the WASIX / wasi-threads tables nor what is behind
 *   them (sockets, epoll, spawn rows): the loader loads them with the first program importing
 *   them (loader.ts), and a POSIX program still gets them and runs.
 * - The boot commitment is made off the JS thread (vm-boot.ts: /dev/zero read into the reserve
 *   by the I/O threads) and is real: VmRSS rises by Init once `committed` resolves, and the
 *   Vm reports it committed only then.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildGuest, posixSkip } from "../support/guest.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const OCCLUM = path.join(repo, "bin", "occlum");
const skipPosix = posixSkip();
let tmp: string;
let inst: string;

const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("OCCLUM") && k !== "ENABLE_EDMM" && k !== "SGX_MODE") env[k] = v;

function node(args: string[], extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, args, { cwd: inst, env: { ...env, ...extra }, encoding: "utf8", timeout: 120_000 });
  if (r.error) throw r.error;
  return r;
}

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "occlum-ts-startup-"));
  inst = path.join(tmp, "inst");
  const made = spawnSync(process.execPath, [OCCLUM, "new", inst], { env, encoding: "utf8" });
  assert.equal(made.status, 0, made.stderr);
  copyFileSync(await buildGuest("test/guest/wasi/hello.c"), path.join(inst, "image", "bin", "hello"));
  if (!skipPosix) copyFileSync(await buildGuest("test/guest/process/hello.c", { mode: "posix" }), path.join(inst, "image", "bin", "posix_hello"));
  const cfgPath = path.join(inst, "Occlum.json");
  const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
  cfg.resource_limits.user_space_size = "16MB";
  cfg.resource_limits.user_space_max_size = "1GB";
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 4));
  const b = node([OCCLUM, "build"], { ENABLE_EDMM: "Y" });
  assert.equal(b.status, 0, b.stdout + b.stderr);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `occlum run <program>` recording every module of src/ the process loaded. */
function modulesLoadedBy(program: string): { code: number | null; out: string; modules: string[] } {
  const list = path.join(tmp, `modules-${path.basename(program)}.txt`);
  const hook = path.join(tmp, "record-modules.mjs");
  writeFileSync(hook, `import { registerHooks } from "node:module";
import { writeFileSync } from "node:fs";
const seen = [];
registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });
process.on("exit", () => writeFileSync(${JSON.stringify(list)}, seen.join("\\n")));
`);
  // The sources, not the bundle: the test is about which of them load.
  const r = node(["--import", pathToFileURL(hook).href, OCCLUM, "run", program], { OCCLUM_TS_SOURCES: "1" });
  const src = pathToFileURL(path.join(repo, "src")).href + "/";
  const modules = readFileSync(list, "utf8").split("\n").filter((u) => u.startsWith(src)).map((u) => u.slice(src.length));
  return { code: r.status, out: r.stdout + r.stderr, modules };
}

const LAZY = /^libos\/(syscall\/wasix\/|net\/(tcp|udp|unix|epoll|poll|socket-service|index)\.ts)/;

test("a wasip1 program loads no WASIX table, no sockets, no epoll", () => {
  const r = modulesLoadedBy("/bin/hello");
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /hello from \/bin\/hello/);
  assert.ok(r.modules.includes("libos/loader/loader.ts") && r.modules.includes("libos/syscall/table.ts"), r.modules.join(" "));
  assert.deepEqual(r.modules.filter((m) => LAZY.test(m)), []);
});

test("a POSIX (WASIX) program loads them with its first compile, and runs", { skip: skipPosix }, () => {
  const r = modulesLoadedBy("/bin/posix_hello");
  assert.equal(r.code, 7, r.out); // its exit status
  assert.match(r.out, /hello from pid 1 ppid 0/);
  assert.ok(r.modules.includes("libos/syscall/wasix/table.ts") && r.modules.includes("libos/syscall/wasix/thread-rows.ts"), r.modules.join(" "));
});

test("the boot commitment is made by the I/O threads, counted only once it is real", () => {
  const probe = path.join(tmp, "commit-probe.ts");
  writeFileSync(probe, `import { readFileSync } from "node:fs";
import { bootVm } from ${JSON.stringify(pathToFileURL(path.join(repo, "src", "libos", "vm-boot.ts")).href)};
const rss = () => Number(/VmRSS:\\s+(\\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))[1]) * 1024;
const before = rss();
const b = await bootVm(process.cwd(), {});
if (!b.ok) throw new Error(b.message);
const pending = b.vm.userSpace.stats().committed;
await b.committed;
const s = b.vm.userSpace.stats();
console.log(JSON.stringify({ pending, committed: s.committed, init: s.init, grew: rss() - before }));
`);
  const r = node([probe]);
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout) as { pending: number; committed: number; init: number; grew: number };
  assert.equal(o.init, 16 << 20);
  assert.equal(o.committed, o.init, "Init is committed once `committed` resolves");
  assert.ok(o.pending < o.init, "not counted before the pages are touched");
  assert.ok(o.grew >= o.init * 0.9, `VmRSS +${o.grew} for Init ${o.init}`);
});
