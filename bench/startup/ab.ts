/**
 * A/B of `occlum run /bin/hello` between two trees: this one and --base (e.g. a pristine
 * `git worktree add` of HEAD with node_modules linked and `npm run bundle` run), each on its own
 * instance made by its own `occlum new` + `occlum build` (the EDMM guide's example limits, Max
 * 1GB, as e2e.ts). Each round runs `node -e 0`, base and this tree once, the order reversed every
 * other round, so load changes hit all three alike. Reported per configuration: wall time (spawn
 * to exit), and when `perf` is installed the child's CPU time (task-clock) and page faults, which
 * a loaded machine disturbs far less than wall time.
 *
 *   node bench/startup/ab.ts --base=/path/to/tree [--rounds=20]
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuest } from "../../test/support/guest.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const args = new Map(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, "").split("=");
  return [k!, v ?? "1"] as const;
}));
const base = args.get("base");
if (!base || !existsSync(path.join(base, "bin", "occlum"))) throw new Error("--base=<tree with bin/occlum> is required");
const ROUNDS = Number(args.get("rounds") ?? 20);
const tmp = mkdtempSync(path.join(tmpdir(), "occlum-ts-bench-ab-"));
const env: Record<string, string> = { NODE_COMPILE_CACHE: path.join(tmp, "compile-cache") };
for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("OCCLUM") && k !== "ENABLE_EDMM" && k !== "SGX_MODE") env[k] ??= v;
const perf = spawnSync("perf", ["--version"]).status === 0;
const perfOut = path.join(tmp, "perf.txt");

interface Sample { ms: number; cpuMs?: number; faults?: number }
function measure(argv: string[], cwd: string): Sample {
  const cmd = perf ? ["perf", "stat", "-x", ",", "-o", perfOut, "-e", "task-clock,page-faults", ...argv] : argv;
  const t0 = performance.now();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd, env, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(" ")} in ${cwd}: exit ${r.status}: ${r.stdout}${r.stderr}`);
  if (!perf) return { ms };
  const lines = readFileSync(perfOut, "utf8").split("\n");
  const value = (event: string) => Number(lines.find((l) => l.includes(event))?.split(",")[0]);
  return { ms, cpuMs: value("task-clock"), faults: value("page-faults") };
}

function instance(tree: string, name: string, hello: string): string {
  const occlum = path.join(tree, "bin", "occlum");
  const inst = path.join(tmp, name);
  const sh = (a: string[], cwd: string, extra: Record<string, string> = {}) => {
    const r = spawnSync(occlum, a, { cwd, env: { ...env, ...extra }, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${tree}: occlum ${a.join(" ")}: ${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  };
  sh(["new", inst], tmp);
  copyFileSync(hello, path.join(inst, "image", "bin", "hello"));
  const cfgPath = path.join(inst, "Occlum.json");
  const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
  Object.assign(cfg.resource_limits, {
    kernel_space_stack_size: "1MB", kernel_space_heap_size: "4MB", kernel_space_heap_max_size: "40MB",
    user_space_size: "1MB", user_space_max_size: "1GB", init_num_of_threads: 2, max_num_of_threads: 64,
  });
  Object.assign(cfg.process, { default_stack_size: "4MB", default_heap_size: "8MB", default_mmap_size: "100MB" });
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 4));
  sh(["build"], inst, { ENABLE_EDMM: "Y" });
  const launch = sh(["run", "/bin/hello"], inst, { OCCLUM_TS_LAUNCH_DEBUG: "1" });
  if (!/launch: bundle/.test(launch)) console.log(`note: ${tree} runs its sources, not its bundle (${/launch: (.*)/.exec(launch)?.[1] ?? "?"})`);
  return inst;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
try {
  const hello = await buildGuest(path.join(repo, "test/guest/wasi/hello.c"));
  const cases = [
    { name: "node -e 0", argv: [process.execPath, "-e", "0"], cwd: tmp },
    { name: `base (${base})`, argv: [path.join(base, "bin", "occlum"), "run", "/bin/hello"], cwd: instance(base, "base", hello) },
    { name: `this tree (${repo})`, argv: [path.join(repo, "bin", "occlum"), "run", "/bin/hello"], cwd: instance(repo, "this", hello) },
  ].map((c) => ({ ...c, samples: [] as Sample[] }));
  for (const c of cases) for (let i = 0; i < 2; i++) measure(c.argv, c.cwd); // compile caches
  for (let i = 0; i < ROUNDS; i++) for (const c of i % 2 === 0 ? cases : [...cases].reverse()) c.samples.push(measure(c.argv, c.cwd));
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(`${ROUNDS} rounds, load average ${load}${perf ? "" : " (no perf: wall time only)"}\n`);
  console.log("| | wall median | wall min | CPU median | CPU min | page faults |\n|---|---:|---:|---:|---:|---:|");
  for (const c of cases) {
    const s = c.samples;
    const f = (xs: (number | undefined)[], pick: (v: number[]) => number) => (xs.every((x) => x !== undefined) ? `${pick(xs as number[]).toFixed(1)} ms` : "-");
    const faults = s.every((x) => x.faults !== undefined) ? String(median(s.map((x) => x.faults!))) : "-";
    console.log(`| ${c.name} | ${f(s.map((x) => x.ms), median)} | ${f(s.map((x) => x.ms), (v) => Math.min(...v))} | ${f(s.map((x) => x.cpuMs), median)} | ${f(s.map((x) => x.cpuMs), (v) => Math.min(...v))} | ${faults} |`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
