/**
 * `occlum run /bin/hello` end to end (issue 5's benchmark): the real bin/occlum in a fresh Node
 * process, on instances made by `occlum new` + `occlum build`: EDMM on
 * (user_space_size 16MB, Max 64MB / 1GB / 4GB / 16GB; the build raises Max to at least 16GB, so
 * all four resolve alike) and off (static 64MB / 1GB / 4GB, committed and touched at boot).
 * Baseline: `node -e 0` with the same binary. The runs are interleaved (one of each per round,
 * baseline included), so a noisy machine slows all of them alike; min and median of --reps, and
 * their ratios against the baseline's.
 *
 *   node bench/startup/e2e.ts [--reps=5]      (env STARTUP_BENCH_REPS)
 *
 * Writes bench/results/startup-e2e.json and prints a markdown table.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuest } from "../../test/support/guest.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const OCCLUM = join(repo, "bin", "occlum");
const CACHE = join(tmpdir(), "occlum-ts-bench-compile-cache");
const reps = Number(/^--reps=(\d+)$/.exec(process.argv[2] ?? "")?.[1] ?? process.env["STARTUP_BENCH_REPS"] ?? 5);

const cleanEnv: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("OCCLUM") && k !== "ENABLE_EDMM" && k !== "SGX_MODE") cleanEnv[k] = v;
const env = { ...cleanEnv, NODE_COMPILE_CACHE: CACHE };

function sh(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}): { ms: number; code: number | null; out: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...env, ...extra } });
  return { ms: performance.now() - t0, code: r.status, out: r.stdout + r.stderr };
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

interface Case { name: string; edmm: boolean; size: string }
const cases: Case[] = [
  ...["64MB", "1GB", "4GB", "16GB"].map((size) => ({ name: `EDMM Max ${size}`, edmm: true, size })),
  ...["64MB", "1GB", "4GB"].map((size) => ({ name: `static ${size}`, edmm: false, size })),
];

const hello = await buildGuest(join(repo, "test/guest/wasi/hello.c"));
const tmp = mkdtempSync(join(tmpdir(), "occlum-ts-bench-e2e-"));
try {
  const insts = new Map<Case, string>();
  for (const c of cases) {
    const inst = join(tmp, c.name.replace(/\W+/g, "_"));
    const made = sh(process.execPath, [OCCLUM, "new", inst], tmp);
    if (made.code !== 0) throw new Error(made.out);
    copyFileSync(hello, join(inst, "image", "bin", "hello"));
    const cfgPath = join(inst, "Occlum.json");
    const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
    cfg.resource_limits.user_space_size = c.edmm ? "16MB" : c.size;
    cfg.resource_limits.user_space_max_size = c.size;
    writeFileSync(cfgPath, JSON.stringify(cfg, null, 4));
    const b = sh(process.execPath, [OCCLUM, "build"], inst, c.edmm ? { ENABLE_EDMM: "Y" } : {});
    if (b.code !== 0) throw new Error(`${c.name}: build failed: ${b.out}`);
    insts.set(c, inst);
  }
  const runCase = (c: Case) => sh(process.execPath, [OCCLUM, "run", "/bin/hello"], insts.get(c)!);
  // Warm-up: fills the compile caches.
  sh(process.execPath, ["-e", "0"], tmp);
  for (const c of cases) {
    const first = runCase(c);
    if (first.code !== 0) throw new Error(`${c.name}: run failed: ${first.out}`);
  }
  const base: number[] = [];
  const times = new Map<Case, number[]>(cases.map((c) => [c, []]));
  for (let i = 0; i < reps; i++) {
    base.push(sh(process.execPath, ["-e", "0"], tmp).ms);
    for (const c of cases) {
      const r = runCase(c);
      if (r.code !== 0) throw new Error(`${c.name}: run failed: ${r.out}`);
      times.get(c)!.push(r.ms);
    }
  }
  const baselineMs = median(base);
  const baselineMinMs = Math.min(...base);
  const rows = cases.map((c) => {
    const ts = times.get(c)!;
    const wallMs = median(ts), minMs = Math.min(...ts);
    return { name: c.name, wallMs, minMs, ratio: wallMs / baselineMs, ratioMin: minMs / baselineMinMs };
  });
  mkdirSync(join(repo, "bench", "results"), { recursive: true });
  writeFileSync(join(repo, "bench", "results", "startup-e2e.json"), JSON.stringify({
    bench: "startup-e2e", baseline: "node -e 0", baselineMs, baselineMinMs, reps, node: process.version, date: new Date().toISOString(),
    rows,
  }, null, 2) + "\n");
  console.log(`baseline node -e 0: median ${baselineMs.toFixed(1)} ms, min ${baselineMinMs.toFixed(1)} ms; ${reps} interleaved rounds\n`);
  console.log("| configuration | median | ratio | min | ratio (min) |\n|---|---:|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.name} | ${r.wallMs.toFixed(1)} ms | ${r.ratio.toFixed(2)}× | ${r.minMs.toFixed(1)} ms | ${r.ratioMin.toFixed(2)}× |`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
