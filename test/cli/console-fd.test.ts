/**
 * `occlum run` writes the guest's stdout and stderr through this process's descriptors
 * (src/libos/fs/host-fd-writer.ts), not process.stdout's stream: through a pipe whose reader
 * stalls, every byte arrives in order and the run still exits cleanly; to a regular file the
 * same; to a pipe whose reader is gone, the guest's write fails (EPIPE) instead of the host
 * crashing.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuest } from "../support/guest.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const occlum = path.join(repo, "bin", "occlum");
const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("OCCLUM") && k !== "ENABLE_EDMM" && k !== "SGX_MODE") env[k] = v;
let tmp: string;
let inst: string;

const expected = (n: number): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 12)) & 0xff;
  return b;
};

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "occlum-ts-console-fd-"));
  inst = path.join(tmp, "inst");
  assert.equal(spawnSync(process.execPath, [occlum, "new", inst], { env, encoding: "utf8" }).status, 0);
  copyFileSync(await buildGuest(path.join(repo, "test/guest/wasi/bigout.c")), path.join(inst, "image", "bin", "bigout"));
  const b = spawnSync(process.execPath, [occlum, "build"], { cwd: inst, env, encoding: "utf8" });
  assert.equal(b.status, 0, b.stdout + b.stderr);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test("through a pipe whose reader stalls for a while: all 6 MiB, in order, then a clean exit", async () => {
  const n = 6 << 20;
  const child = spawn(process.execPath, [occlum, "run", "/bin/bigout", String(n)], { cwd: inst, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pause(); // the pipe fills; the LibOS must queue, then hold the guest back (EAGAIN), not lose bytes
  await new Promise((r) => setTimeout(r, 1500));
  const out: Buffer[] = [];
  let err = "";
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => (err += d));
  child.stdout.resume();
  const code = await new Promise<number | null>((r) => child.on("close", r));
  assert.equal(code, 0, err);
  assert.match(err, new RegExp(`wrote ${n}\\n`));
  assert.ok(Buffer.concat(out).equals(expected(n)), "stdout differs from the pattern");
});

test("to a regular file: every byte", () => {
  const file = path.join(tmp, "out.bin");
  const fd = openSync(file, "w");
  try {
    const r = spawnSync(process.execPath, [occlum, "run", "/bin/bigout", "300000"], { cwd: inst, env, stdio: ["ignore", fd, "pipe"], encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    closeSync(fd);
  }
  assert.ok(readFileSync(file).equals(expected(300000)));
});

test("to a pipe whose reader has gone: the guest's write fails with EPIPE, the run ends normally", async () => {
  const child = spawn(process.execPath, [occlum, "run", "/bin/bigout", String(64 << 20)], { cwd: inst, env, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d));
  child.stdout.once("data", () => child.stdout.destroy()); // read a little, then close our end
  const code = await new Promise<number | null>((r) => child.on("close", r));
  // The guest sees the failed write (wasip1 has no SIGPIPE) and exits 2; nothing crashes.
  assert.match(err, /write failed after \d+ bytes: (Broken pipe|.*pipe)/i);
  assert.equal(code, 2, err);
});

test("killed while its stdout reader has stalled: occlum ends at once by the signal, as a process blocked in write(2) is", async () => {
  const child = spawn(process.execPath, [occlum, "run", "/bin/bigout", String(256 << 20)], { cwd: inst, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pause(); // never read: a write of the guest's output blocks an I/O thread
  await new Promise((r) => setTimeout(r, 1500));
  const t0 = Date.now();
  child.kill("SIGTERM");
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on("exit", (c, s) => r([c, s])));
  const took = Date.now() - t0;
  child.stdout.destroy();
  assert.ok(took < 5000, `took ${took} ms to end`);
  assert.ok(signal === "SIGTERM" || code === 143, `code ${code}, signal ${signal}`);
});
