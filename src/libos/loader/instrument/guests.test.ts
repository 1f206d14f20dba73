/**
 * The instrumenter on real compiled C guests: whatever the toolchain helper has cached in
 * .cache/guests/ (skipped when empty). Every guest must validate after instrumentation and keep its
 * exports and imports; a few plain wasip1 guests also run under node:wasi (in a child process),
 * instrumented and not, and must exit the same way with the same output.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { FUEL_EXPORT, instrument, KERNEL_MODULE } from "./instrument.ts";
import { Wasm } from "./test-asm.ts";

const cacheDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../.cache/guests");
const files = existsSync(cacheDir)
  ? readdirSync(cacheDir).filter((f) => f.endsWith(".wasm")).sort().slice(0, 60)
  : [];
const skip = files.length === 0 ? "no compiled guests in .cache/guests" : false;

const names = (l: { module?: string; name: string; kind: string }[]) =>
  l.map((x) => `${x.module ?? ""}/${x.name}/${x.kind}`).sort();

test("compiled guests validate after instrumentation and keep their imports and exports", { skip }, (t) => {
  let checked = 0;
  let atomics = 0;
  for (const f of files) {
    const bytes = new Uint8Array(readFileSync(path.join(cacheDir, f)));
    if (!Wasm.validate(bytes)) continue; // a half-written cache entry or a non-module
    const before = new Wasm.Module(bytes);
    const r = instrument(bytes, { rewriteAtomics: true, preemption: true });
    assert.ok(Wasm.validate(r.bytes), `${f} does not validate after instrumentation`);
    const after = new Wasm.Module(r.bytes);
    const added = r.imports.map((n) => `${KERNEL_MODULE}/${n}/function`);
    assert.deepEqual(names(Wasm.Module.imports(after)), [...names(Wasm.Module.imports(before)), ...added].sort(), f);
    const fuel = r.fuelExport ? [`/${FUEL_EXPORT}/global`] : [];
    assert.deepEqual(names(Wasm.Module.exports(after)), [...names(Wasm.Module.exports(before)), ...fuel].sort(), f);
    checked++;
    atomics += r.stats.atomicCalls;
  }
  t.diagnostic(`${checked} guests instrumented, ${atomics} atomic wait/notify sites rewritten`);
});

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "wasi-child.ts");

test("plain wasip1 guests behave the same instrumented (node:wasi)", { skip }, (t) => {
  let ran = 0;
  let tried = 0;
  const deadline = Date.now() + 15_000;
  for (const f of files) {
    if (ran >= 5 || tried >= 10 || Date.now() > deadline) break;
    const bytes = new Uint8Array(readFileSync(path.join(cacheDir, f)));
    if (!Wasm.validate(bytes)) continue;
    const mod = new Wasm.Module(bytes);
    if (Wasm.Module.imports(mod).some((i) => i.module !== "wasi_snapshot_preview1")) continue;
    if (!Wasm.Module.exports(mod).some((e) => e.name === "_start")) continue;
    tried++;
    // A child process per guest: some guests (tests of other parts) hang, crash node:wasi or read stdin.
    const r = spawnSync(process.execPath, [child, path.join(cacheDir, f)], { timeout: 4_000, encoding: "utf8" });
    if (r.status !== 0 || !r.stdout) continue;
    const { a, a2, b } = JSON.parse(r.stdout) as Record<string, { code: number; out: string }>;
    if (a!.code !== a2!.code || a!.out !== a2!.out) continue; // nondeterministic guest: no reference
    assert.deepEqual(b, a, f);
    ran++;
  }
  t.diagnostic(`${ran} guests ran`);
  if (ran === 0) t.skip("no deterministic plain wasip1 guest in the cache");
});

// LLVM itself (75 MB of C++ compiled to wasm, shipped by @yowasp/clang): a real large module.
const llvm = path.resolve(path.dirname(fileURLToPath(import.meta.url)),
  "../../../../node_modules/@yowasp/clang/gen/llvm.core.wasm");
const heavySkip = process.env.OCCLUM_TEST_HEAVY !== "1" ? "set OCCLUM_TEST_HEAVY=1"
  : !existsSync(llvm) ? "no @yowasp/clang" : false;

test("a 75 MB real module (LLVM) instruments, validates and keeps its interface", { skip: heavySkip }, () => {
  const bytes = new Uint8Array(readFileSync(llvm));
  const r = instrument(bytes, { rewriteAtomics: true, preemption: true });
  assert.ok(Wasm.validate(r.bytes));
  const before = new Wasm.Module(bytes);
  const after = new Wasm.Module(r.bytes);
  assert.deepEqual(names(Wasm.Module.exports(after)), [...names(Wasm.Module.exports(before)), `/${FUEL_EXPORT}/global`].sort());
  assert.deepEqual(names(Wasm.Module.imports(after)),
    [...names(Wasm.Module.imports(before)), ...r.imports.map((n) => `${KERNEL_MODULE}/${n}/function`)].sort());
});
