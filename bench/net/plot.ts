/**
 * Plot of bench/net/guest.ts results: per case, native / occlum-ts / Node as bars relative to the
 * native C server (= 1), each labelled with its absolute rate; the goals as tick marks.
 *
 *   node bench/net/plot.ts [results.json] [out.svg]
 *   (defaults: bench/results/net-guest.json → docs/bench/net.svg)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

interface Row { case: string; unit: string; native?: number; occlum?: number; node?: number }

const repo = fileURLToPath(new URL("../..", import.meta.url));
const input = process.argv[2] ?? join(repo, "bench", "results", "net-guest.json");
const output = process.argv[3] ?? join(repo, "docs", "bench", "net.svg");
const data = JSON.parse(readFileSync(input, "utf8")) as { date: string; reps: number; rows: Row[] };

const IMPLS = [["native", "#555", "native C (gcc)"], ["occlum", "#3b7dd8", "C under occlum-ts"], ["node", "#d8703b", "Node server"]] as const;
/** The goals for occlum-ts, relative to native. */
const GOAL: Record<string, number> = { bulk1: 0.8, bulk4: 0.8, pingpong: 0.5, http: 0.5 };
const LABEL: Record<string, string> = { bulk1: "bulk, 1 stream", bulk4: "bulk, 4 streams", pingpong: "1-byte ping-pong", http: "HTTP keep-alive" };

const W = 680, H = 340, left = 50, right = 20, top = 44, bottom = 70;
const rows = data.rows.filter((r) => r.native);
const hi = Math.max(1.2, ...rows.flatMap((r) => IMPLS.map(([k]) => (r[k] ?? 0) / r.native!))) * 1.1;
const y = (v: number) => top + (H - top - bottom) * (1 - v / hi);
const slot = (W - left - right) / rows.length;
const fmt = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0));
const out = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
  `<text x="${left}" y="16" font-size="13">netbench.c server over loopback, relative to the native C server (median of ${data.reps})</text>`,
];
IMPLS.forEach(([, color, name], i) => {
  out.push(`<rect x="${left + i * 150}" y="26" width="10" height="10" fill="${color}"/>`, `<text x="${left + 14 + i * 150}" y="35">${name}</text>`);
});
for (let v = 0; v <= hi; v += 0.25) {
  out.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="${v === 1 ? "#999" : "#e4e4e4"}"/>`,
    `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(2)}</text>`);
}
rows.forEach((r, i) => {
  const x0 = left + i * slot + slot * 0.1, bw = (slot * 0.8) / IMPLS.length;
  IMPLS.forEach(([k, color], j) => {
    const v = r[k];
    if (v === undefined) return;
    const rel = v / r.native!, x = x0 + j * bw;
    out.push(`<rect x="${x + 2}" y="${y(rel)}" width="${bw - 4}" height="${y(0) - y(rel)}" fill="${color}"/>`,
      `<text x="${x + bw / 2}" y="${y(rel) - 4}" text-anchor="middle">${fmt(v)}</text>`);
  });
  const g = GOAL[r.case];
  if (g !== undefined) {
    const x = x0 + bw;
    out.push(`<line x1="${x}" x2="${x + bw}" y1="${y(g)}" y2="${y(g)}" stroke="#3b7dd8" stroke-width="2" stroke-dasharray="3 2"/>`);
  }
  out.push(`<text x="${left + i * slot + slot / 2}" y="${H - bottom + 16}" text-anchor="middle">${LABEL[r.case] ?? r.case}</text>`,
    `<text x="${left + i * slot + slot / 2}" y="${H - bottom + 30}" text-anchor="middle" fill="#666">${r.unit}</text>`);
});
out.push(`<text x="${left}" y="${H - 12}" fill="#666">dashed: the issue's goal for occlum-ts (bulk ≥ 0.8, request/response ≥ 0.5 of native); ${data.date.slice(0, 10)}</text>`, "</svg>");
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, out.join("\n") + "\n");
console.log(`wrote ${output}`);
