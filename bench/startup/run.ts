/**
 * Start-up cost of the memory manager, EDMM on vs off (issue 5's benchmark, the part that does not
 * need the boot wired yet: the end-to-end `occlum run /bin/hello` variant comes with the boot).
 *
 *   node bench/startup/run.ts [--reps=5] [--only=edmm|static]   (env STARTUP_BENCH_REPS)
 *
 * Each configuration boots vm/ (user space commitment + thread contexts) in a fresh Node process;
 * we time the whole child (spawn to exit, wall clock) and also take the in-process boot time the
 * child reports. Baseline: `node -e 0` with the same Node binary, spawned in the same run, the
 * same number of times; results are medians and ratios against it. Children share Node's compile
 * cache (NODE_COMPILE_CACHE, warmed first), so TypeScript stripping is not what is measured.
 * EDMM on: user_space_size 16MB (Init), Max 64MB / 1GB / 4GB / 16GB, 16 of 4096 threads prepared.
 * EDMM off: static 64MB / 1GB / 4GB, 32 threads (all prepared).
 * Expectation (the SGX1 vs SGX2 shape): flat in Max with EDMM; growing with the size without.
 * Writes bench/results/startup.json and bench/results/startup.svg; prints a markdown table.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { VmLimits } from "../../src/libos/vm/index.ts";

/**
 * Node's compile cache, shared by all children: without it every child pays ~60-120 ms to strip
 * the types of the .ts files it loads, which would hide what we measure (bin/occlum should enable
 * it too: module.enableCompileCache()).
 */
const CACHE = join(tmpdir(), "occlum-ts-bench-compile-cache");
const MB = 2 ** 20;
const GB = 2 ** 30;
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

interface Case {
  readonly name: string;
  readonly edmm: boolean;
  readonly size: number;
  readonly limits: VmLimits;
}

function mk(edmm: boolean, size: number): Case {
  const init = edmm ? 16 * MB : size;
  const label = size >= GB ? `${size / GB}GB` : `${size / MB}MB`;
  return {
    name: edmm ? `EDMM Max ${label}` : `static ${label}`, edmm, size,
    limits: {
      userSpace: { edmm, init, max: size, processHeap: 32 * MB, processStack: 4 * MB },
      kernelHeap: edmm ? { edmm, init: 32 * MB, max: GB } : { edmm, init: 32 * MB, max: 32 * MB },
      threads: edmm ? { edmm, init: 16, max: 4096 } : { edmm, init: 32, max: 32 },
      kernelStack: MB,
    },
  };
}

function args(): { reps: number; only: string | undefined } {
  let reps = Number(process.env["STARTUP_BENCH_REPS"] ?? 5);
  let only: string | undefined;
  for (const a of process.argv.slice(2)) {
    const m = /^--(reps|only)=(.+)$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}`);
    if (m[1] === "reps") reps = Number(m[2]);
    else only = m[2];
  }
  return { reps, only };
}

function wall(argv: string[]): { ms: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { encoding: "utf8", env: { ...process.env, NODE_COMPILE_CACHE: CACHE } });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return { ms, out: r.stdout };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Row {
  readonly name: string;
  readonly edmm: boolean;
  readonly size: number;
  readonly wallMs: number;
  readonly ratio: number;
  readonly bootMs: number;
  readonly committed: number;
  readonly rssDelta: number;
}

function svg(rows: readonly Row[], baselineMs: number): string {
  const W = 640, H = 320, L = 60, B = 40, T = 30, R = 20;
  const xs = rows.map((r) => Math.log2(r.size / MB));
  const xmin = Math.min(...xs), xmax = Math.max(...xs);
  const x = (v: number): number => L + ((v - xmin) / (xmax - xmin || 1)) * (W - L - R);
  // Log scale: EDMM stays near 1-2x while the static sizes reach 100x and more.
  const ymax = Math.log10(Math.max(...rows.map((r) => r.ratio), 2) * 1.2);
  const y = (v: number): number => H - B - (Math.log10(Math.max(v, 1)) / ymax) * (H - B - T);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="10" y="18" font-size="13" font-weight="bold">vm boot, wall time / node -e 0 (${baselineMs.toFixed(0)} ms), log scale</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#000"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#000"/>`];
  for (const [edmm, color] of [[true, "#2563eb"], [false, "#d97706"]] as const) {
    const pts = rows.filter((r) => r.edmm === edmm).map((r) => `${x(Math.log2(r.size / MB)).toFixed(1)},${y(r.ratio).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(" ")}"/>`);
    for (const p of pts) out.push(`<circle cx="${p.split(",")[0]}" cy="${p.split(",")[1]}" r="3" fill="${color}"/>`);
    out.push(`<text x="${W - 150}" y="${edmm ? T + 10 : T + 26}" fill="${color}">${edmm ? "EDMM on (Init 16MB)" : "EDMM off (static)"}</text>`);
  }
  for (const r of rows) {
    const lx = x(Math.log2(r.size / MB));
    out.push(`<text x="${lx - 14}" y="${H - B + 16}">${r.size >= GB ? `${r.size / GB}GB` : `${r.size / MB}MB`}</text>`);
  }
  for (const v of [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]) {
    if (Math.log10(v) <= ymax) out.push(`<text x="${L - 34}" y="${y(v) + 4}">${v}×</text><line x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#ddd"/>`);
  }
  out.push(`<text x="${W / 2 - 60}" y="${H - 6}">user space Max / static size</text></svg>`);
  return out.join("\n");
}

function main(): void {
  const { reps, only } = args();
  const cases = [
    ...(only === "static" ? [] : [64 * MB, GB, 4 * GB, 16 * GB].map((s) => mk(true, s))),
    ...(only === "edmm" ? [] : [64 * MB, GB, 4 * GB].map((s) => mk(false, s))),
  ];
  const child = here("./boot-child.ts");
  const base: number[] = [];
  const floor: number[] = [];
  const rows: Row[] = [];
  wall([child, "none"]); // fills the compile cache
  const samples = new Map<string, { wall: number[]; boot: number[]; committed: number; rss: number[] }>();
  for (let i = 0; i < reps; i++) {
    base.push(wall(["-e", "0"]).ms); // interleaved, so drift hits both alike
    floor.push(wall([child, "none"]).ms);
    for (const c of cases) {
      const r = wall([child, JSON.stringify(c.limits)]);
      const j = JSON.parse(r.out) as { bootMs: number; committed: number; rssDelta: number };
      const s = samples.get(c.name) ?? { wall: [], boot: [], committed: j.committed, rss: [] };
      s.wall.push(r.ms); s.boot.push(j.bootMs); s.rss.push(j.rssDelta);
      samples.set(c.name, s);
    }
  }
  const baselineMs = median(base);
  for (const c of cases) {
    const s = samples.get(c.name)!;
    const w = median(s.wall);
    rows.push({ name: c.name, edmm: c.edmm, size: c.size, wallMs: w, ratio: w / baselineMs, bootMs: median(s.boot), committed: s.committed, rssDelta: median(s.rss) });
  }
  const results = here("../results/");
  mkdirSync(results, { recursive: true });
  const importOnlyMs = median(floor);
  const data = { bench: "startup", baseline: "node -e 0 (same binary, same run)", baselineMs, importOnlyMs, reps, node: process.version, rows };
  writeFileSync(results + "startup.json", JSON.stringify(data, null, 2) + "\n");
  writeFileSync(results + "startup.svg", svg(rows, baselineMs) + "\n");
  const f = (n: number): string => n.toFixed(1);
  const lines = [
    `baseline node -e 0: ${f(baselineMs)} ms; the child importing vm/ without booting it: ${f(importOnlyMs)} ms (${(importOnlyMs / baselineMs).toFixed(2)}×); medians of ${reps}`,
    "",
    "| configuration | committed at boot | VmRSS growth | vm boot (in process) | child wall | ratio to node -e 0 |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows.map((r) => `| ${r.name} | ${f(r.committed / MB)} MB | ${f(r.rssDelta / MB)} MB | ${f(r.bootMs)} ms | ${f(r.wallMs)} ms | ${r.ratio.toFixed(2)} |`),
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

main();
