/**
 * Instrumenter benchmark (issue 6, item 2), all in one process:
 *   1. throughput of instrument() on a ~10 MB synthetic module (MB/s, best of 5 runs) and on LLVM
 *      compiled to wasm (75 MB, from @yowasp/clang) when installed;
 *   2. runtime cost of the preemption checks on CPU-bound code: a C guest (SHA-256, quicksort,
 *      recursive fib; compiled with occlum-cc/@yowasp/clang at -O2) and two raw-wasm micro loops,
 *      uninstrumented vs each check style, interleaved runs, best-of (and median) ratios.
 * Writes bench/results/instrument.json and prints a table.
 *
 *   ./node_modules/.bin/node bench/instrument/run.ts [--mb 10] [--reps 7]
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CALLS_PER_UNIT, type CheckStyle, FUEL_EXPORT, instrument } from "../../src/libos/loader/instrument/instrument.ts";
import { FUEL as KERNEL_FUEL } from "../../src/libos/loader/kernel-imports.ts";
import { I, ModuleBuilder, T, Wasm, type WasmGlobal } from "../../src/libos/loader/instrument/test-asm.ts";
import { buildGuest } from "../../test/support/guest.ts";
import { syntheticModule } from "./synth.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MB = arg("mb", 10);
const REPS = arg("reps", 11);
// Fuel the host's yield_check refills, in calls: "global" charges 1 per loop pass and function
// entry; "local-counter" 1 per charged function entry and CALLS_PER_UNIT per LOOP_BUDGET loop
// iterations (10000 units ≈ 4e7 loop iterations); "kernel-fuel" the kernel's refill (1024 units).
const FUEL: Record<string, number> = {
  global: 100_000, "local-counter": 10_000 * CALLS_PER_UNIT, "no-fuel-passing": 10_000 * CALLS_PER_UNIT,
  "kernel-fuel": KERNEL_FUEL, "kernel-fuel-c1": 1024,
};
const LOOP_BUDGET = 4096;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

// --- 1. throughput ------------------------------------------------------------------------------
function throughput() {
  const t0 = performance.now();
  const synth = syntheticModule(MB * 1024 * 1024);
  const genMs = performance.now() - t0;
  if (!Wasm.validate(synth)) throw new Error("synthetic module does not validate");
  const rows: Record<string, unknown>[] = [];
  const variants = [
    { name: "atomics only", opts: { rewriteAtomics: true, preemption: false } },
    { name: "preemption only", opts: { rewriteAtomics: false, preemption: true } },
    { name: "atomics + preemption", opts: { rewriteAtomics: true, preemption: true } },
  ];
  for (const v of variants) {
    const times: number[] = [];
    let out = synth;
    let stats = {};
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      const res = instrument(synth, v.opts);
      times.push(performance.now() - t);
      out = res.bytes;
      stats = res.stats;
    }
    const tv = performance.now();
    const valid = Wasm.validate(out);
    const validateMs = performance.now() - tv;
    if (!valid) throw new Error(`${v.name}: output does not validate`);
    const ms = Math.min(...times);
    rows.push({
      variant: v.name, inputMB: +(synth.length / 1048576).toFixed(2), outputMB: +(out.length / 1048576).toFixed(2),
      bestMs: +ms.toFixed(1), MBps: +(synth.length / 1048576 / (ms / 1000)).toFixed(1),
      validateOutputMs: +validateMs.toFixed(1), stats,
    });
  }
  // A real large module: LLVM compiled to wasm (@yowasp/clang), when installed.
  const llvm = path.join(here, "../../node_modules/@yowasp/clang/gen/llvm.core.wasm");
  if (existsSync(llvm)) {
    const bytes = new Uint8Array(readFileSync(llvm));
    const opts = { rewriteAtomics: true, preemption: true };
    const times: number[] = [];
    let out: Uint8Array = bytes;
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      out = instrument(bytes, opts).bytes;
      times.push(performance.now() - t);
    }
    const tv = performance.now();
    if (!Wasm.validate(out)) throw new Error("llvm.core.wasm: output does not validate");
    const ms = Math.min(...times);
    rows.push({
      variant: "LLVM (real), atomics + preemption", inputMB: +(bytes.length / 1048576).toFixed(2),
      outputMB: +(out.length / 1048576).toFixed(2), bestMs: +ms.toFixed(1),
      MBps: +(bytes.length / 1048576 / (ms / 1000)).toFixed(1), validateOutputMs: +(performance.now() - tv).toFixed(1),
    });
  }
  return { generateMs: +genMs.toFixed(1), rows };
}

// --- 2. runtime overhead ------------------------------------------------------------------------
interface Workload { name: string; bytes: Uint8Array; fn: string; arg: number; wasi: boolean }

function microModule(): Uint8Array {
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  // Tightest possible loop: the check is a large share of each iteration (worst case).
  const sum = m.func(ii, [
    I.block(), I.loop(),
    I.localGet(1), I.localGet(0), I.i32GeU, I.brIf(1),
    I.localGet(2), I.localGet(1), I.i32Add, I.localGet(1), I.i32Const(13), I.i32Rotl, I.i32Xor, I.localSet(2),
    I.localGet(1), I.i32Const(1), I.i32Add, I.localSet(1),
    I.br(0), I.end, I.end, I.localGet(2),
  ], [[2, T.i32]]);
  // A nested loop where the inner loop does a little more work.
  const nested = m.func(ii, [
    I.block(), I.loop(),
    I.localGet(1), I.localGet(0), I.i32GeU, I.brIf(1),
    I.i32Const(0), I.localSet(3),
    I.block(), I.loop(),
    I.localGet(3), I.i32Const(64), I.i32GeU, I.brIf(1),
    I.localGet(2), I.i32Const(31), I.i32Mul, I.localGet(3), I.i32Add, I.localGet(1), I.i32Xor, I.localSet(2),
    I.localGet(3), I.i32Const(1), I.i32Add, I.localSet(3),
    I.br(0), I.end, I.end,
    I.localGet(1), I.i32Const(1), I.i32Add, I.localSet(1),
    I.br(0), I.end, I.end, I.localGet(2),
  ], [[3, T.i32]]);
  m.export("sum", "func", sum);
  m.export("nested", "func", nested);
  return m.build();
}

type Runner = () => number;

async function instantiate(
  bytes: Uint8Array, w: Workload, fuel: number, clock = false,
): Promise<{ run: Runner; yields: () => number }> {
  let yields = 0;
  const state: { fuel?: WasmGlobal } = {};
  // `clock`: read the clock as the kernel's yield_check does (src/libos/loader/kernel-imports.ts).
  const imports: Record<string, Record<string, unknown>> = {
    occlum: {
      yield_check: clock
        ? () => { yields++; performance.now(); if (state.fuel) state.fuel.value = fuel; }
        : () => { yields++; if (state.fuel) state.fuel.value = fuel; },
    },
  };
  if (w.wasi) {
    const { WASI } = await import("node:wasi");
    imports.wasi_snapshot_preview1 = new WASI({ version: "preview1", returnOnExit: true }).wasiImport;
  }
  const inst = new Wasm.Instance(new Wasm.Module(bytes), imports);
  state.fuel = inst.exports[FUEL_EXPORT] as WasmGlobal | undefined;
  const f = inst.exports[w.fn] as (x: number) => number;
  return { run: () => f(w.arg), yields: () => yields };
}

async function overhead() {
  const workloads: Workload[] = [];
  const micro = microModule();
  workloads.push({ name: "raw: tight loop (1e8 iters)", bytes: micro, fn: "sum", arg: 100_000_000, wasi: false });
  workloads.push({ name: "raw: nested loops (64x1.5e6)", bytes: micro, fn: "nested", arg: 1_500_000, wasi: false });
  try {
    const guest = await buildGuest(path.join(here, "cpu.c"), { mode: "wasip1", flags: ["-O2"] });
    const bytes = new Uint8Array(readFileSync(guest));
    workloads.push({ name: "C: sha256 (64 KiB x 150)", bytes, fn: "sha256_bench", arg: 150, wasi: true });
    workloads.push({ name: "C: quicksort 262144 ints", bytes, fn: "sort_bench", arg: 262_144, wasi: true });
    workloads.push({ name: "C: libc qsort 262144 ints", bytes, fn: "libc_qsort_bench", arg: 262_144, wasi: true });
    workloads.push({ name: "C: recursive fib(34)", bytes, fn: "fib", arg: 34, wasi: true });
  } catch (e) {
    console.error(`C guest not built (${(e as Error).message.split("\n")[0]}); raw workloads only`);
  }
  // "no-fuel-passing": the default style with recursive functions charging the fuel global (as
  // before fuel-passing clones), to show what the clones buy on call-heavy code. "kernel-fuel":
  // the default options with the kernel's refill (FUEL in kernel-imports.ts: 1024 units of
  // CALLS_PER_UNIT calls) and a yield_check that reads the clock, as the kernel's does (without
  // its JSPI wrapper, ~0.1 us more per call); "kernel-fuel-c1" the same with a whole unit per
  // call (callsPerUnit 1, as fuel-passing clones did before 2026-12-04 and every other charged
  // function before the round after): how often yield_check runs matters on call-heavy code.
  const styles: (CheckStyle | "none" | "no-fuel-passing" | "kernel-fuel" | "kernel-fuel-c1")[] = [
    "none", "local-counter", "no-fuel-passing", "global", "kernel-fuel", "kernel-fuel-c1",
  ];
  const rows: Record<string, unknown>[] = [];
  for (const w of workloads) {
    const runners = new Map<string, { run: Runner; yields: () => number }>();
    for (const s of styles) {
      const kernel = s === "kernel-fuel" || s === "kernel-fuel-c1";
      const bytes = s === "none" ? w.bytes
        : instrument(w.bytes, {
          rewriteAtomics: true, preemption: true, checkStyle: s === "global" ? "global" : "local-counter",
          passFuel: s !== "no-fuel-passing", initialFuel: FUEL[s], loopBudget: LOOP_BUDGET,
          ...(s === "kernel-fuel-c1" ? { callsPerUnit: 1 } : {}),
        }).bytes;
      runners.set(s, await instantiate(bytes, w, FUEL[s] ?? 0, kernel));
    }
    // Warm up (tier-up to the optimizing compiler) and check every variant computes the same.
    const expect = runners.get("none")!.run();
    for (const [s, r] of runners) {
      for (let i = 0; i < 2; i++) {
        const got = r.run();
        if (got !== expect) throw new Error(`${w.name}: ${s} computed ${got}, expected ${expect}`);
      }
    }
    const times = new Map<string, number[]>(styles.map((s) => [s, []]));
    for (let rep = 0; rep < REPS; rep++) {
      for (const s of rep % 2 ? [...styles].reverse() : styles) {
        const t = performance.now();
        runners.get(s)!.run();
        times.get(s)!.push(performance.now() - t);
      }
    }
    // Minimum of the interleaved runs: the machine is shared, noise only ever adds time.
    const best = (s: string) => Math.min(...times.get(s)!);
    const base = best("none");
    const row: Record<string, unknown> = { workload: w.name, baseMs: +base.toFixed(1) };
    for (const s of styles.slice(1)) {
      const m = best(s);
      row[`${s}Ms`] = +m.toFixed(1);
      row[`${s}Overhead%`] = +((m / base - 1) * 100).toFixed(1);
      row[`${s}MedianOverhead%`] = +((median(times.get(s)!) / median(times.get("none")!) - 1) * 100).toFixed(1);
      row[`${s}Yields/run`] = Math.round(runners.get(s)!.yields() / (REPS + 2));
    }
    rows.push(row);
  }
  return rows;
}

const tp = throughput();
const ov = await overhead();
const result = {
  date: new Date().toISOString(), node: process.version, reps: REPS, fuel: FUEL, loopBudget: LOOP_BUDGET, throughput: tp, overhead: ov,
};
const outDir = path.join(here, "..", "results");
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, "instrument.json"), JSON.stringify(result, null, 2) + "\n");
console.log(`synthetic module generated in ${tp.generateMs} ms`);
console.table(tp.rows.map(({ stats: _s, ...r }) => r));
// Compact view (all columns are in the JSON): best-of overhead and median overhead per style.
console.table(ov.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !/Ms$|Yields/.test(k) || k === "baseMs"))));
console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, "instrument.json"))}`);
