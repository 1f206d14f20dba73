/**
 * JSPI stack placement A/B (issue 6): the sysbench guest (sysbench.c, N threads each looping
 * lock(m[i mod 4]) / sched_yield / unlock) run through the LibOS in child processes started with
 * different V8 stack flags, alternating the configurations round by round so that other jobs on a
 * shared machine weigh on each alike. Each child runs a warm-up and R timed runs in process and
 * reports the guest-timed ns/op (wall, from the barrier to the joins) and the kernel thread's CPU
 * time per op of the whole run (process.threadCpuUsage: time the OS gave other jobs is not in
 * it, thread creation and teardown are). Explicit V8 flags on a child's command line win over
 * the ones the LibOS sets by default (src/libos/jspi-stacks.ts), so "v8-default" is V8's own
 * stacks (984 KB each, fixed) whatever the LibOS's default is.
 *
 *   node bench/threads/stacks.ts [N...] [--rounds=R] [--yields=Y] [--reps=K]   (default N = 1024)
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import os from "node:os";

const self = fileURLToPath(import.meta.url);
const here = path.dirname(self);
const opt = (name: string, d: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : d;
};

if (process.argv[2] === "--child") {
  const [n, yields, reps] = process.argv.slice(3, 6).map(Number) as [number, number, number];
  const { buildGuest } = await import("../../test/support/guest.ts");
  const { makeInstance, run } = await import("../../test/libos/helpers.ts");
  const wasm = await buildGuest(path.join(here, "sysbench.c"), { mode: "posix", flags: ["-pthread"] });
  const inst = await makeInstance({ programs: { "/bin/sysbench": wasm } });
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const c0 = process.threadCpuUsage();
    const r = await run(inst, "/bin/sysbench", { args: [String(n), String(yields), "4"] });
    const c = process.threadCpuUsage(c0);
    const m = /ns=(\d+) ops=(\d+)/.exec(r.stdout);
    if (r.code !== 0 || !m) throw new Error(`sysbench ${n}: exit ${r.code} ${r.stdout} ${r.stderr}`);
    if (i === 0) continue; // warm-up: JIT tiers
    wall.push(Number(m[1]) / Number(m[2]));
    cpu.push(((c.user + c.system) * 1000) / Number(m[2]));
  }
  await inst.cleanup();
  process.stdout.write(JSON.stringify({ wall, cpu }) + "\n");
  process.exit(0);
}

const CONFIGS: { name: string; flags: string[] }[] = [
  { name: "v8-default", flags: ["--no-experimental-wasm-growable-stacks", "--wasm-stack-switching-stack-size=984"] },
  { name: "growable-64", flags: ["--experimental-wasm-growable-stacks", "--wasm-stack-switching-stack-size=64"] },
];
// More configurations for the placement question (which of size, growth code, density matters).
if (process.argv.includes("--all")) {
  CONFIGS.push(
    { name: "fixed-64", flags: ["--no-experimental-wasm-growable-stacks", "--wasm-stack-switching-stack-size=64"] },
    { name: "growable-16", flags: ["--experimental-wasm-growable-stacks", "--wasm-stack-switching-stack-size=16"] },
    { name: "growable-984", flags: ["--experimental-wasm-growable-stacks", "--wasm-stack-switching-stack-size=984"] },
  );
}
const ns = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number);
const NS = ns.length > 0 ? ns : [1024];
const ROUNDS = opt("rounds", 4);
const REPS = opt("reps", 2);
const exec = promisify(execFile);
const min = (xs: number[]): number => Math.min(...xs);
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`load average at start: ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
for (const n of NS) {
  const yields = opt("yields", Math.max(100, Math.ceil(200_000 / n)));
  const got = new Map<string, { wall: number[]; cpu: number[] }>(CONFIGS.map((c) => [c.name, { wall: [], cpu: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of r % 2 === 0 ? CONFIGS : [...CONFIGS].reverse()) {
      const { stdout } = await exec(process.execPath, [...c.flags, self, "--child", String(n), String(yields), String(REPS)], {
        env: { ...process.env, OCCLUM_VCPUS: process.env.OCCLUM_VCPUS ?? "1" }, maxBuffer: 1 << 20,
      });
      const res = JSON.parse(stdout.trim().split("\n").pop()!) as { wall: number[]; cpu: number[] };
      got.get(c.name)!.wall.push(...res.wall);
      got.get(c.name)!.cpu.push(...res.cpu);
    }
  }
  console.log(`N = ${n}, ${yields} yields per thread, ${ROUNDS} rounds x ${REPS} runs (ns per op: min / median)`);
  for (const c of CONFIGS) {
    const g = got.get(c.name)!;
    console.log(`  ${c.name.padEnd(12)} wall ${min(g.wall).toFixed(0).padStart(5)} / ${med(g.wall).toFixed(0).padStart(5)}   cpu ${min(g.cpu).toFixed(0).padStart(5)} / ${med(g.cpu).toFixed(0).padStart(5)}   (${c.flags.join(" ")})`);
  }
}
console.log(`load average at end: ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
