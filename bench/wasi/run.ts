/**
 * WASI benchmarks: occlum-ts vs node:wasi running the same modules in this process.
 *
 *   node bench/wasi/run.ts [--quick]
 *
 * Per-call costs (timed inside the guest around the loop, so start-up is excluded): 1-byte
 * fd_write to /dev/null, clock_time_get, path_open+fd_close, fd_fdstat_get, sched_yield (for
 * occlum-ts a real coroutine switch: suspend + run queue + resume). CPU-bound: SHA-256 over
 * 256 MB, a qsort of 4M integers and a recursive fib(38) (call-heavy), timed inside the guest. Baseline: node:wasi (uvwasi) with
 * preopens "/" (a host copy of the image) and "/dev". occlum-ts runs through runInstance on a
 * built instance (unionfs root over the image and container layers, devfs at /dev).
 * Median of ROUNDS alternating runs. JSON → bench/results/wasi.json; a table on stdout.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { closeSync, openSync, readFileSync, ftruncateSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { WASI } from "node:wasi";
import { buildGuest } from "../../test/support/guest.ts";
import { makeInstance, run } from "../../test/libos/helpers.ts";
import { Wasm } from "../../src/libos/wasm.ts";
import { executor } from "../../src/libos/sched/executor.ts";
import { clockTimeGetFast } from "../../src/libos/syscall/wasi/clock.ts";
import { GuestMemory } from "../../src/libos/syscall/memory.ts";

const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 1 : 3;
const calls: [mode: string, iterations: number][] = [
  ["write", quick ? 20000 : 200000],
  ["clock", quick ? 50000 : 500000],
  ["open", quick ? 2000 : 20000],
  ["fdstat", quick ? 50000 : 500000],
  ["yield", quick ? 20000 : 200000],
];
const cpuArgs = quick ? ["16", "500000", "30"] : ["256", "4000000", "38"];

const syscallsWasm = await buildGuest("bench/wasi/syscalls.c");
const cpuWasm = await buildGuest("bench/wasi/cpu.c");
const inst = await makeInstance({ programs: { "/bin/syscalls": syscallsWasm, "/bin/cpu": cpuWasm } });
const nodeRoot = await mkdtemp(path.join(os.tmpdir(), "occlum-ts-bench-nodewasi-"));
await mkdir(path.join(nodeRoot, "tmp"));
const outFile = path.join(nodeRoot, "stdout.txt");

async function occlum(prog: string, args: string[]): Promise<string> {
  const r = await run(inst, prog, { args });
  if (r.code !== 0) throw new Error(`occlum-ts ${prog} ${args.join(" ")}: exit ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

const modules = new Map<string, unknown>();
async function nodeWasi(wasmFile: string, args: string[]): Promise<string> {
  let mod = modules.get(wasmFile);
  if (!mod) {
    mod = await Wasm.compile(readFileSync(wasmFile));
    modules.set(wasmFile, mod);
  }
  const fd = openSync(outFile, "w+");
  try {
    ftruncateSync(fd, 0);
    const wasi = new WASI({ version: "preview1", args: ["/bin/prog", ...args], env: {}, preopens: { "/": nodeRoot, "/dev": "/dev" }, stdout: fd, returnOnExit: true });
    const instance = await Wasm.instantiate(mod as never, wasi.getImportObject() as never);
    const code = wasi.start(instance as never);
    if (code !== 0) throw new Error(`node:wasi ${args.join(" ")}: exit ${code}`);
  } finally {
    closeSync(fd);
  }
  return await readFile(outFile, "utf8");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Row {
  name: string;
  unit: string;
  occlumTs: number;
  nodeWasi: number;
  ratio: number;
}
const rows: Row[] = [];

// Warm-up (not counted): V8 tiers a module up in the background, per compiled module, and each
// runtime here compiles its own copy.
await occlum("/bin/cpu", cpuArgs);
await nodeWasi(cpuWasm, cpuArgs);
for (const [mode] of calls) {
  await occlum("/bin/syscalls", [mode, "1000"]);
  await nodeWasi(syscallsWasm, [mode, "1000"]);
}
for (const [mode, n] of calls) {
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(Number((await occlum("/bin/syscalls", [mode, String(n)])).trim().split(" ")[2]));
    theirs.push(Number((await nodeWasi(syscallsWasm, [mode, String(n)])).trim().split(" ")[2]));
  }
  const o = median(ours);
  const t = median(theirs);
  rows.push({ name: `${mode} (${n} calls)`, unit: "ns/call", occlumTs: o, nodeWasi: t, ratio: o / t });
}

const cpu = {
  ours: { sha: [] as number[], sort: [] as number[], fib: [] as number[] },
  theirs: { sha: [] as number[], sort: [] as number[], fib: [] as number[] },
};
for (let r = 0; r < ROUNDS; r++) {
  for (const [side, out] of [["ours", await occlum("/bin/cpu", cpuArgs)], ["theirs", await nodeWasi(cpuWasm, cpuArgs)]] as const) {
    const lines = Object.fromEntries(out.trim().split("\n").map((l) => [l.split(" ")[0], Number(l.split(" ")[1])]));
    cpu[side].sha.push(lines.sha256!);
    cpu[side].sort.push(lines.sort!);
    cpu[side].fib.push(lines.fib!);
  }
}
rows.push({ name: `SHA-256 over ${cpuArgs[0]} MB`, unit: "ms", occlumTs: median(cpu.ours.sha), nodeWasi: median(cpu.theirs.sha), ratio: median(cpu.ours.sha) / median(cpu.theirs.sha) });
rows.push({ name: `qsort of ${cpuArgs[1]} u32`, unit: "ms", occlumTs: median(cpu.ours.sort), nodeWasi: median(cpu.theirs.sort), ratio: median(cpu.ours.sort) / median(cpu.theirs.sort) });
// Call-heavy: every call of the recursion pays the preemption check (loader/instrument/fuel-pass.ts).
rows.push({ name: `recursive fib(${cpuArgs[2]})`, unit: "ms", occlumTs: median(cpu.ours.fib), nodeWasi: median(cpu.theirs.fib), ratio: median(cpu.ours.fib) / median(cpu.theirs.fib) });

// The JSPI floor under the syscall layer (no baseline: node:wasi cannot suspend).
const floorWasm = await buildGuest("bench/wasi/jspi_floor.c", { flags: ["-nostartfiles", "-Wl,--no-entry"] });
const floorMod = await Wasm.compile(readFileSync(floorWasm));
const floorN = quick ? 100000 : 1000000;
async function floor(k: unknown): Promise<number> {
  const i = (await Wasm.instantiate(floorMod, { env: { k } })) as { exports: { loop: Function } };
  const loop = Wasm.promising(i.exports.loop);
  await loop(1000);
  // A floor: the least of 3 runs (other load on the machine only adds).
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await loop(floorN);
    best = Math.min(best, ((performance.now() - t0) * 1e6) / floorN);
  }
  return best;
}
const floors = {
  plainImportNs: await floor(() => 0),
  suspendingNoSuspendNs: await floor(new Wasm.Suspending(() => 0)),
  suspendResumeNs: await floor(new Wasm.Suspending(() => Promise.resolve(0))),
  runQueueSwitchNs: await floor(new Wasm.Suspending(() => executor.yieldNow().then(() => 0))),
};

// The floor under clock_time_get (no baseline): an import of its signature (i32, i64, i32) doing
// nothing, reading the host clock, and reading it + storing the u64 through the out-pointer.
const clockWasm = await buildGuest("bench/wasi/clock_floor.c", { flags: ["-nostartfiles", "-Wl,--no-entry"] });
const clockMod = await Wasm.compile(readFileSync(clockWasm));
type ClockImport = Function | { fn: Function; attach: (m: WebAssembly.Memory) => void };
async function clockFloor(mk: (view: () => DataView, memory: () => WebAssembly.Memory) => ClockImport, jspi = false): Promise<number> {
  let dv: DataView | null = null;
  let memory: WebAssembly.Memory | null = null;
  const imp = mk(() => dv!, () => memory!);
  const k = typeof imp === "function" ? imp : imp.fn;
  const i = (await Wasm.instantiate(clockMod, { env: { k } })) as { exports: { loop: (n: number) => number; memory: WebAssembly.Memory } };
  memory = i.exports.memory;
  if (typeof imp !== "function") imp.attach(memory);
  dv = new DataView(i.exports.memory.buffer);
  // jspi: the loop runs inside WebAssembly.promising, as every occlum-ts guest does.
  const loop = jspi ? (Wasm.promising(i.exports.loop) as (n: number) => Promise<number>) : async (n: number) => i.exports.loop(n);
  await loop(100000);
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await loop(floorN);
    best = Math.min(best, ((performance.now() - t0) * 1e6) / floorN);
  }
  return best;
}
/** node:wasi's own clock_time_get (its C++ function, no JS in between) as the import. */
function nodeWasiClock(): ClockImport {
  const wasi = new WASI({ version: "preview1" });
  return {
    fn: (wasi.wasiImport as Record<string, Function>).clock_time_get!,
    attach: (memory) => wasi.initialize({ exports: { memory } } as never),
  };
}
/** occlum-ts's clock_time_get import (the fast path dispatch hands the guest) on a stand-in thread. */
function occlumClock(memory: () => WebAssembly.Memory): Function {
  const holder = { mem: null as unknown as GuestMemory };
  const f = clockTimeGetFast({ killed: false } as never, holder);
  return (id: number, p: bigint, out: number) => {
    holder.mem ??= new GuestMemory(memory() as never);
    return f(id, p, out);
  };
}
const clockFloors = {
  noopImportNs: await clockFloor(() => () => 0),
  hrtimeBigintNs: await clockFloor(() => () => (process.hrtime.bigint(), 0)),
  performanceNowNs: await clockFloor(() => () => (performance.now(), 0)),
  hrtimeBigintStoreNs: await clockFloor((v) => (_id: number, _p: bigint, out: number) => (v().setBigUint64(out, process.hrtime.bigint(), true), 0)),
  // Same loop, both implementations, with and without a JSPI stack: the difference between
  // occlum-ts and node:wasi in the clock row above is JSPI's cost per host call, not the clock.
  nodeWasiNs: await clockFloor(() => nodeWasiClock()),
  nodeWasiJspiNs: await clockFloor(() => nodeWasiClock(), true),
  occlumJspiNs: await clockFloor((_v, m) => occlumClock(m), true),
};

await inst.cleanup();
await rm(nodeRoot, { recursive: true, force: true });

const result = {
  benchmark: "wasi",
  baseline: "node:wasi (same module, same process)",
  node: process.version,
  rounds: ROUNDS,
  quick,
  date: new Date().toISOString(),
  rows,
  jspiFloor: floors,
  clockFloor: clockFloors,
};
const resultsDir = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "results");
await mkdir(resultsDir, { recursive: true });
await writeFile(path.join(resultsDir, "wasi.json"), JSON.stringify(result, null, 2) + "\n");

const pad = (s: string, n: number): string => s.padEnd(n);
console.log(`${pad("benchmark", 30)} ${pad("unit", 8)} ${pad("occlum-ts", 10)} ${pad("node:wasi", 10)} ratio`);
for (const r of rows) {
  console.log(`${pad(r.name, 30)} ${pad(r.unit, 8)} ${pad(r.occlumTs.toFixed(1), 10)} ${pad(r.nodeWasi.toFixed(1), 10)} ${r.ratio.toFixed(2)}`);
}
console.log(
  `JSPI floor (ns/call): plain import ${floors.plainImportNs.toFixed(1)}, Suspending without suspending ${floors.suspendingNoSuspendNs.toFixed(1)}, ` +
    `suspend+resume ${floors.suspendResumeNs.toFixed(1)}, suspend+run queue+resume ${floors.runQueueSwitchNs.toFixed(1)}`,
);
console.log(
  `clock_time_get floor (ns/call): import of its signature doing nothing ${clockFloors.noopImportNs.toFixed(1)}, reading process.hrtime.bigint() ` +
    `${clockFloors.hrtimeBigintNs.toFixed(1)}, performance.now() ${clockFloors.performanceNowNs.toFixed(1)}, hrtime.bigint() + store ${clockFloors.hrtimeBigintStoreNs.toFixed(1)}`,
);
console.log(
  `clock_time_get, same loop (ns/call): node:wasi's function ${clockFloors.nodeWasiNs.toFixed(1)}; inside WebAssembly.promising: ` +
    `node:wasi's ${clockFloors.nodeWasiJspiNs.toFixed(1)}, occlum-ts's ${clockFloors.occlumJspiNs.toFixed(1)}`,
);
