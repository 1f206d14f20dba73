/**
 * Test support for guests.test.ts, run as a child process (a guest may crash node:wasi, hang, or
 * exit the process): runs one wasip1 guest under node:wasi twice uninstrumented and once
 * instrumented, and prints {code, out} of each as JSON.
 *
 *   node wasi-child.ts <guest.wasm>
 */

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { WASI } from "node:wasi";
import { FUEL_EXPORT, instrument, KERNEL_MODULE } from "./instrument.ts";
import { Wasm, type WasmGlobal } from "./test-asm.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "occlum-instr-"));

function runWasi(bytes: Uint8Array, n: number): { code: number; out: string } {
  const outPath = path.join(dir, `out-${n}`);
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

try {
  const bytes = new Uint8Array(readFileSync(process.argv[2]!));
  const instrumented = instrument(bytes, { rewriteAtomics: true, preemption: true, loopBudget: 1000 }).bytes;
  const result = { a: runWasi(bytes, 1), a2: runWasi(bytes, 2), b: runWasi(instrumented, 3) };
  process.stdout.write(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
