/**
 * The instrumenter on real compiled C guests: whatever the toolchain helper has cached in
 * .cache/guests/ (skipped when empty). Every guest must validate after instrumentation and keep its
 * exports and imports; a few plain wasip1 guests also run under node:wasi, instrumented and not,
 * and must exit the same way with the same output.
 */

import assert from "node:assert/strict";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { WASI } from "node:wasi";
import { FUEL_EXPORT, instrument, KERNEL_MODULE } from "./instrument.ts";
import { Wasm, type WasmGlobal } from "./test-asm.ts";

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

/** Run a wasip1 command module under node:wasi; returns exit code and stdout. */
function runWasi(bytes: Uint8Array, dir: string): { code: number; out: string } {
  const outPath = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const stdout = openSync(outPath, "w");
  const stdin = openSync("/dev/null", "r");
  try {
    const wasi = new WASI({ version: "preview1", args: ["guest"], env: {}, stdin, stdout, stderr: stdout, returnOnExit: true });
    const state: { fuel?: WasmGlobal } = {};
    const instance = new Wasm.Instance(new Wasm.Module(bytes), {
      wasi_snapshot_preview1: wasi.wasiImport,
      [KERNEL_MODULE]: { yield_check: () => { if (state.fuel) state.fuel.value = 1000; } },
    });
    state.fuel = instance.exports[FUEL_EXPORT] as WasmGlobal | undefined;
    const code = wasi.start(instance as never);
    return { code, out: readFileSync(outPath, "utf8") };
  } finally {
    closeSync(stdout);
    closeSync(stdin);
  }
}

test("plain wasip1 guests behave the same instrumented (node:wasi)", { skip }, (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "occlum-instr-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let ran = 0;
  for (const f of files) {
    if (ran >= 6) break;
    const bytes = new Uint8Array(readFileSync(path.join(cacheDir, f)));
    if (!Wasm.validate(bytes)) continue;
    const mod = new Wasm.Module(bytes);
    const imports = Wasm.Module.imports(mod);
    if (imports.some((i) => i.module !== "wasi_snapshot_preview1")) continue;
    if (!Wasm.Module.exports(mod).some((e) => e.name === "_start")) continue;
    const r = instrument(bytes, { rewriteAtomics: true, preemption: true });
    const a = runWasi(bytes, dir);
    const a2 = runWasi(bytes, dir);
    if (a.code !== a2.code || a.out !== a2.out) continue; // nondeterministic guest: no reference
    assert.deepEqual(runWasi(r.bytes, dir), a, f);
    ran++;
  }
  t.diagnostic(`${ran} guests ran`);
  if (ran === 0) t.skip("no deterministic plain wasip1 guest in the cache");
});

