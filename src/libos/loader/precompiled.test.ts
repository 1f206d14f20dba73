import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildGuest } from "../../../test/support/guest.ts";
import { compileProgram, loaderStats, usePrecompiled } from "./loader.ts";
import { instrument } from "./instrument/instrument.ts";
import { loadOptions, MANIFEST, openPrecompiled, precompileImage } from "./precompiled.ts";
import { singleAgentNow } from "../sched/agents.ts";

const createSha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** The program with a custom section of random bytes: a new content hash, so no cache hits. */
async function uniqueHello(): Promise<Uint8Array> {
  const base = await readFile(await buildGuest("test/guest/wasi/hello.c"));
  const name = new TextEncoder().encode("occlum-test-nonce");
  const payload = randomBytes(16);
  const body = [name.length, ...name, ...payload];
  return new Uint8Array([...base, 0, body.length, ...body]);
}

function image(files: Record<string, Uint8Array>): { root: string; store: string; cleanup: () => void } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "occlum-ts-precompiled-"));
  const root = path.join(tmp, "root");
  for (const [p, bytes] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    writeFileSync(path.join(root, p), bytes);
  }
  return { root, store: path.join(tmp, "precompiled"), cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

test("occlum build's precompiled programs: both variants, used by the loader instead of the instrumenter", async (t) => {
  const hello = await uniqueHello();
  const img = image({ "bin/hello": hello, "bin/copy": hello, "etc/hosts": new TextEncoder().encode("127.0.0.1 localhost\n"), "bin/bad": new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x7f]) });
  t.after(img.cleanup);
  const r = precompileImage(img.root, img.store);
  assert.equal(r.programs, 1, "one program (two paths, same content); text and invalid modules skipped");
  const manifest = JSON.parse(readFileSync(path.join(img.store, MANIFEST), "utf8"));
  assert.equal(Object.keys(manifest.entries).length, 2, "one entry per variant");
  for (const single of [true, false]) {
    const got = openPrecompiled(img.store)!.get(createSha(hello), single)!;
    assert.deepEqual(Buffer.from(got.bytes), Buffer.from(instrument(hello, loadOptions(single)).bytes), "the loader's own instrumentation");
  }

  usePrecompiled(openPrecompiled(img.store));
  t.after(() => usePrecompiled(undefined));
  const before = { ...loaderStats };
  const p = await compileProgram(hello);
  assert.equal(loaderStats.precompiled, before.precompiled + 1);
  assert.ok(p.fuelExport !== null, "preemption fuel export known from the manifest");
  assert.equal(p.singleAgent ?? false, singleAgentNow());
});

test("a tampered precompiled file or a manifest of another instrumenter is not used", async (t) => {
  const hello = await uniqueHello();
  const img = image({ "bin/hello": hello });
  t.after(img.cleanup);
  precompileImage(img.root, img.store);
  const sha = createSha(hello);
  const file = path.join(img.store, `${sha}.${singleAgentNow() ? "1" : "n"}.wasm`);
  const good = readFileSync(file);
  const bad = Buffer.from(good);
  bad[bad.length - 1]! ^= 1;
  writeFileSync(file, bad);
  const warnings: string[] = [];
  usePrecompiled(openPrecompiled(img.store, (m) => warnings.push(m)));
  t.after(() => usePrecompiled(undefined));
  const before = { ...loaderStats };
  const p = await compileProgram(hello);
  assert.equal(loaderStats.precompiled, before.precompiled, "not used");
  assert.equal(loaderStats.compiles, before.compiles + 1, "instrumented at load instead");
  assert.ok(p.fuelExport !== null);
  assert.match(warnings.join("\n"), /does not match the build's manifest/);

  const manifestPath = path.join(img.store, MANIFEST);
  const m = JSON.parse(readFileSync(manifestPath, "utf8"));
  writeFileSync(manifestPath, JSON.stringify({ ...m, fingerprint: "0".repeat(64) }));
  assert.equal(openPrecompiled(img.store), undefined, "another instrumenter's output");
  writeFileSync(manifestPath, "{ not json");
  assert.equal(openPrecompiled(img.store), undefined);
  assert.equal(openPrecompiled(path.join(img.store, "missing")), undefined);
});
