/**
 * The instrumentation's cost as the kernel pays it: bench/wasi/cpu.c (SHA-256, libc qsort, fib)
 * under node:wasi, its whole `_start` inside `WebAssembly.promising`, with a Suspending
 * yield_check that reads the clock and refills the fuel as kernel-imports.ts's does (without the
 * scheduler). bench/instrument/run.ts calls a plain JS yield_check, so it does not show what each
 * yield_check costs under JSPI (~0.3 us); this does, with the yield_checks counted per run.
 *
 *   ./node_modules/.bin/node bench/instrument/jspi.ts [--reps 7] [--key sort] [--args "0 2000000 1"]
 *
 * Variants, alternating in one process, best of --reps and median, overhead against "none" (the
 * same module uninstrumented, also inside `promising`): "kernel" (the loader's options, the
 * kernel's FUEL), "c1" (a whole unit per call: callsPerUnit 1 and 1024 units), "no-yield" (the
 * loader's options with a refill so large that yield_check never runs: the checks alone).
 * `--key` picks the line cpu.c prints (sha256, sort or fib); `--args` its arguments (MB, count, n).
 * Results: bench/results/instrument-jspi.json.
 */

import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WASI } from "node:wasi";
import { FUEL_EXPORT, instrument, type InstrumentOptions } from "../../src/libos/loader/instrument/instrument.ts";
import { FUEL } from "../../src/libos/loader/kernel-imports.ts";
import { loadOptions } from "../../src/libos/loader/precompiled.ts";
import { Wasm } from "../../src/libos/wasm.ts";
import { buildGuest } from "../../test/support/guest.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : dflt;
};
const REPS = Number(opt("reps", "7"));
const KEY = opt("key", "sort");
const ARGS = opt("args", "0 2000000 1").split(" ");

interface Variant { options: InstrumentOptions | null; refill: number }
const variants: Record<string, Variant> = {
  none: { options: null, refill: 0 },
  kernel: { options: loadOptions(true), refill: FUEL },
  c1: { options: { ...loadOptions(true), callsPerUnit: 1 }, refill: 1024 },
  "no-yield": { options: loadOptions(true), refill: 2 ** 30 },
  "no-inline": { options: { ...loadOptions(true), inlineRecursion: false }, refill: 2 ** 30 },
};

const bytes = new Uint8Array(readFileSync(await buildGuest(path.join(here, "../wasi/cpu.c"))));
const tmp = mkdtempSync(path.join(os.tmpdir(), "occlum-instr-jspi-"));
const outFile = path.join(tmp, "stdout");

interface Compiled { module: unknown; refill: number; yields: number }
const compiled = new Map<string, Compiled>();
for (const [name, v] of Object.entries(variants)) {
  const code = v.options ? instrument(bytes, v.options).bytes : bytes;
  compiled.set(name, { module: await Wasm.compile(code), refill: v.refill, yields: 0 });
}

/** One run of cpu.c; returns the time it printed for KEY (its own timing of that phase). */
async function runOnce(c: Compiled): Promise<number> {
  const fd = openSync(outFile, "w+");
  try {
    ftruncateSync(fd, 0);
    const wasi = new WASI({ version: "preview1", args: ["cpu", ...ARGS], env: {}, stdout: fd, returnOnExit: true });
    const box: { fuel?: { value: number }; memory?: { grow(d: number): number } } = {};
    const imports = {
      ...(wasi.getImportObject() as Record<string, unknown>),
      occlum: {
        // As the kernel's: count, read the clock, refill; never suspends (a slice never ends here).
        yield_check: new Wasm.Suspending(() => {
          c.yields++;
          performance.now();
          if (box.fuel) box.fuel.value = c.refill;
          return undefined;
        }),
        memory_grow: (d: number) => box.memory!.grow(d),
      },
    };
    const inst = (await Wasm.instantiate(c.module as never, imports as never)) as unknown as { exports: Record<string, unknown> };
    box.fuel = inst.exports[FUEL_EXPORT] as { value: number } | undefined;
    box.memory = inst.exports.memory as { grow(d: number): number };
    if (box.fuel) box.fuel.value = c.refill;
    wasi.initialize({ exports: { memory: inst.exports.memory } } as never);
    try {
      await Wasm.promising(inst.exports._start as Function)();
    } catch (e) {
      if (e instanceof Wasm.RuntimeError) throw e; // a trap; proc_exit's own unwinding is not one
    }
  } finally {
    closeSync(fd);
  }
  const line = readFileSync(outFile, "utf8").split("\n").find((l) => l.startsWith(`${KEY} `));
  if (!line) throw new Error(`cpu.c printed no "${KEY}" line`);
  return Number(line.split(" ")[1]);
}

const names = [...compiled.keys()];
for (const n of names) { // warm-up (tier-up), not counted
  await runOnce(compiled.get(n)!);
  compiled.get(n)!.yields = 0;
}
const times = new Map(names.map((n) => [n, [] as number[]]));
for (let r = 0; r < REPS; r++) {
  for (const n of r % 2 ? [...names].reverse() : names) times.get(n)!.push(await runOnce(compiled.get(n)!));
}
rmSync(tmp, { recursive: true, force: true });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const best = (n: string): number => Math.min(...times.get(n)!);
const rows = names.map((n) => ({
  variant: n, bestMs: +best(n).toFixed(1), overheadBest: +((best(n) / best("none") - 1) * 100).toFixed(1),
  medianMs: +median(times.get(n)!).toFixed(1),
  overheadMedian: +((median(times.get(n)!) / median(times.get("none")!) - 1) * 100).toFixed(1),
  yieldsPerRun: Math.round(compiled.get(n)!.yields / REPS),
}));
const outDir = path.join(here, "..", "results");
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, "instrument-jspi.json"), JSON.stringify({
  date: new Date().toISOString(), node: process.version, key: KEY, args: ARGS, reps: REPS, kernelFuel: FUEL, rows,
}, null, 2) + "\n");
console.log(`cpu.c ${ARGS.join(" ")}, "${KEY}", best of ${REPS}`);
console.table(rows);
