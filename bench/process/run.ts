/**
 * Process benchmarks: occlum-ts vs native Linux running the same C program (bench/process/spawn.c)
 * in the same run.
 *
 *   node bench/process/run.ts [--quick]
 *
 * - spawn: posix_spawn + waitpid of a trivial program (true.c), time per iteration. Native: gcc
 *   build, real fork/exec (posix_spawn → clone+execve). occlum-ts: a new WebAssembly instance and
 *   memory per child, the module from the compile cache.
 * - pipe: a child writes N MiB into a pipe in 4 KiB or 64 KiB writes, the parent reads in 64 KiB;
 *   throughput including the spawn. Native: the same program built with gcc.
 * Median of ROUNDS runs. JSON → bench/results/process.json; a table on stdout.
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildGuest } from "../../test/support/guest.ts";
import { makeInstance, run } from "../../test/libos/helpers.ts";

const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 1 : 3;
const SPAWNS = quick ? 100 : 1000;
const MIB = quick ? 32 : 256;

const here = path.dirname(new URL(import.meta.url).pathname);
const tmp = await mkdtemp(path.join(os.tmpdir(), "occlum-ts-bench-proc-"));
const native = { spawn: path.join(tmp, "spawn"), true: path.join(tmp, "true") };
for (const [n, out] of Object.entries(native)) {
  const r = spawnSync("gcc", ["-O2", "-o", out, path.join(here, `${n}.c`)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`gcc ${n}.c: ${r.stderr}`);
}
const inst = await makeInstance({
  programs: {
    "/bin/spawn": await buildGuest(path.join(here, "spawn.c"), { mode: "posix" }),
    "/bin/true": await buildGuest(path.join(here, "true.c"), { mode: "posix" }),
  },
});

function nativeRun(args: string[]): string {
  const r = spawnSync(native.spawn, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`native ${args.join(" ")}: ${r.status} ${r.stderr}`);
  return r.stdout;
}

async function occlumRun(args: string[]): Promise<string> {
  const r = await run(inst, "/bin/spawn", { args });
  if (r.code !== 0) throw new Error(`occlum-ts ${args.join(" ")}: exit ${r.code} ${r.stdout}${r.stderr}`);
  return r.stdout;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const value = (out: string): number => Number(out.trim().split(" ").pop());

interface Row { name: string; unit: string; native: number; occlum: number; ratio: number }
const rows: Row[] = [];

async function measure(name: string, unit: string, nArgs: string[], oArgs: string[], lowerIsBetter: boolean): Promise<void> {
  const n: number[] = [], o: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    n.push(value(nativeRun(nArgs)));
    o.push(value(await occlumRun(oArgs)));
  }
  const nm = median(n), om = median(o);
  rows.push({ name, unit, native: nm, occlum: om, ratio: lowerIsBetter ? om / nm : nm / om });
}

await measure("spawn+exit+wait", "µs", ["spawn", native.true, String(SPAWNS)], ["spawn", "/bin/true", String(SPAWNS)], true);
rows[rows.length - 1]!.native /= 1000;
rows[rows.length - 1]!.occlum /= 1000;
await measure("pipe 4 KiB writes", "MiB/s", ["pipe", "4096", String(MIB)], ["pipe", "4096", String(MIB)], false);
await measure("pipe 64 KiB writes", "MiB/s", ["pipe", "65536", String(MIB)], ["pipe", "65536", String(MIB)], false);

await mkdir("bench/results", { recursive: true });
await writeFile("bench/results/process.json", JSON.stringify({ date: new Date().toISOString(), quick, spawns: SPAWNS, pipeMiB: MIB, rows }, null, 2));
console.log("benchmark            unit     native   occlum-ts  slowdown (x, vs native)");
for (const r of rows) {
  console.log(`${r.name.padEnd(20)} ${r.unit.padEnd(6)} ${r.native.toFixed(1).padStart(9)} ${r.occlum.toFixed(1).padStart(10)}  ${r.ratio.toFixed(2)}`);
}
await inst.cleanup();
await rm(tmp, { recursive: true, force: true });
