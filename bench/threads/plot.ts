/**
 * Plot of bench/threads/run.ts results: switch cost (ns per sysbench op) against thread count N
 * for occlum-ts, thread-per-thread and native pthreads, both axes log scale; the 2-thread
 * ping-pong of each configuration is printed in the caption.
 *
 *   node bench/threads/plot.ts [results.json] [out.svg]
 *   (defaults: bench/results/threads.json → docs/bench/threads.svg)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

interface Row {
  workload: string;
  threads: number;
  config: string;
  nsPerOp: number | null;
}

const repo = fileURLToPath(new URL("../..", import.meta.url));
const input = process.argv[2] ?? join(repo, "bench", "results", "threads.json");
const output = process.argv[3] ?? join(repo, "docs", "bench", "threads.svg");
const data = JSON.parse(readFileSync(input, "utf8")) as { date: string; rows: Row[] };

const configs = [
  { name: "occlum-ts", color: "#3b7dd8" },
  { name: "thread-per-thread", color: "#d8703b" },
  { name: "native", color: "#555" },
];
const sys = data.rows.filter((r) => r.workload === "sysbench" && r.nsPerOp !== null && r.nsPerOp > 0);
const ns = [...new Set(sys.map((r) => r.threads))].sort((a, b) => a - b);
const W = 640, H = 360, left = 60, right = 150, top = 30, bottom = 60;
const lo = 10 ** Math.floor(Math.log10(Math.min(...sys.map((r) => r.nsPerOp!))));
const hi = 10 ** Math.ceil(Math.log10(Math.max(...sys.map((r) => r.nsPerOp!))));
const y = (v: number) => top + (H - top - bottom) * (1 - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)));
const x = (n: number) => left + (W - left - right) * (Math.log10(n) - Math.log10(ns[0]!)) / (Math.log10(ns[ns.length - 1]!) - Math.log10(ns[0]!) || 1);
const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
  `<text x="${left}" y="18" font-size="13">sysbench-threads loop: ns per op (lock, sched_yield, unlock) vs threads, log-log</text>`];
for (let v = lo; v <= hi; v *= 10) {
  out.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`, `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
}
for (const n of ns) out.push(`<text x="${x(n)}" y="${H - bottom + 16}" text-anchor="middle">${n}</text>`);
out.push(`<text x="${(left + W - right) / 2}" y="${H - bottom + 32}" text-anchor="middle">threads (N)</text>`);
configs.forEach((c, i) => {
  const pts = sys.filter((r) => r.config === c.name).sort((a, b) => a.threads - b.threads);
  if (pts.length === 0) return;
  out.push(`<polyline fill="none" stroke="${c.color}" stroke-width="2" points="${pts.map((r) => `${x(r.threads)},${y(r.nsPerOp!)}`).join(" ")}"/>`);
  for (const r of pts) out.push(`<circle cx="${x(r.threads)}" cy="${y(r.nsPerOp!)}" r="3" fill="${c.color}"/>`);
  const ping = data.rows.find((r) => r.workload === "pingpong" && r.config === c.name)?.nsPerOp;
  out.push(`<text x="${W - right + 10}" y="${top + 14 + i * 32}" fill="${c.color}">${c.name}</text>`,
    `<text x="${W - right + 10}" y="${top + 28 + i * 32}" fill="#666">ping-pong ${ping ? Math.round(ping) : "—"} ns</text>`);
});
out.push(`<text x="${left}" y="${H - 8}" fill="#666">${data.date.slice(0, 10)}; thread-per-thread's sched_yield returns at once (no JS yield of an OS thread)</text>`, "</svg>");
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, out.join("\n") + "\n");
console.log(`wrote ${output}`);
