/**
 * `occlum run /bin/hello` end to end (issue 5's benchmark): the real bin/occlum executed as a
 * user runs it (its sh header execs the package's Node), on instances made by `occlum new` +
 * `occlum build` with the EDMM guide's example memory configuration: EDMM on (Init 1MB, Max 64MB / 1GB / 4GB / 16GB; the build raises Max to
 * at least 16GB, so all four resolve alike) and off (user space static 64MB / 1GB / 4GB,
 * committed and touched at boot). bin/occlum runs the CLI bundle (made by `npm install`; the
 * bench says so when it is stale and the sources run instead).
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

/** The guide's example ("all the EDMM-related configurations enabled"). */
const GUIDE_LIMITS = {
  kernel_space_stack_size: "1MB", kernel_space_heap_size: "4MB", kernel_space_heap_max_size: "40MB",
  user_space_size: "1MB", user_space_max_size: "600MB", init_num_of_threads: 2, max_num_of_threads: 64,
};
const GUIDE_PROCESS = { default_stack_size: "4MB", default_heap_size: "8MB", default_mmap_size: "100MB" };

/**
 * `sources`: bin/occlum loads the TypeScript sources instead of the bundle (OCCLUM_TS_SOURCES=1);
 * `defaults`: `occlum new`'s Occlum.json untouched (Init 300MB: what a user pays before sizing).
 */
interface Case { name: string; edmm: boolean; size: string; sources?: boolean; defaults?: boolean }
const cases: Case[] = [
  ...["64MB", "1GB", "4GB", "16GB"].map((size) => ({ name: `EDMM Max ${size}`, edmm: true, size })),
  ...["64MB", "1GB", "4GB"].map((size) => ({ name: `static ${size}`, edmm: false, size })),
  { name: "EDMM Max 1GB, sources instead of the bundle", edmm: true, size: "1GB", sources: true },
  { name: "EDMM, occlum new's defaults (Init 300MB)", edmm: true, size: "", defaults: true },
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
    // The EDMM guide's example memory configuration (seeds/occlum-edmm-configuration-guide.txt:
    // small Init for a fast start, Max what the program may grow to), Max varied; without EDMM
    // the same file with user space static at the given size.
    if (!c.defaults) {
      Object.assign(cfg.resource_limits, GUIDE_LIMITS, { user_space_size: c.edmm ? GUIDE_LIMITS.user_space_size : c.size, user_space_max_size: c.size });
      Object.assign(cfg.process, GUIDE_PROCESS);
    }
    writeFileSync(cfgPath, JSON.stringify(cfg, null, 4));
    const b = sh(process.execPath, [OCCLUM, "build"], inst, c.edmm ? { ENABLE_EDMM: "Y" } : {});
    if (b.code !== 0) throw new Error(`${c.name}: build failed: ${b.out}`);
    insts.set(c, inst);
  }
  // As a user types it: bin/occlum executed, its sh header starting the package's Node.
  const runCase = (c: Case) => sh(OCCLUM, ["run", "/bin/hello"], insts.get(c)!, c.sources ? { OCCLUM_TS_SOURCES: "1" } : {});
  const launch = sh(OCCLUM, ["run", "/bin/hello"], insts.get(cases[0]!)!, { OCCLUM_TS_LAUNCH_DEBUG: "1" }).out;
  const bundled = /launch: bundle/.test(launch);
  if (!bundled) console.log(`note: bin/occlum runs the sources, not the bundle (${/launch: (.*)/.exec(launch)?.[1] ?? "?"}); run npm run bundle`);
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
    bench: "startup-e2e", baseline: "node -e 0", bundled, baselineMs, baselineMinMs, reps, node: process.version, date: new Date().toISOString(),
    rows,
  }, null, 2) + "\n");
  console.log(`baseline node -e 0: median ${baselineMs.toFixed(1)} ms, min ${baselineMinMs.toFixed(1)} ms; ${reps} interleaved rounds\n`);
  console.log("| configuration | median | ratio | min | ratio (min) |\n|---|---:|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.name} | ${r.wallMs.toFixed(1)} ms | ${r.ratio.toFixed(2)}× | ${r.minMs.toFixed(1)} ms | ${r.ratioMin.toFixed(2)}× |`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
