/**
 * Plot of bench/startup/e2e.ts results: `occlum run /bin/hello` wall time per configuration as
 * bars on a log scale, with the `node -e 0` baseline as a line.
 *
 *   node bench/startup/plot-e2e.ts [results.json] [out.svg]
 *   (defaults: bench/results/startup-e2e.json → docs/bench/startup-e2e.svg)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const input = process.argv[2] ?? join(repo, "bench", "results", "startup-e2e.json");
const output = process.argv[3] ?? join(repo, "docs", "bench", "startup-e2e.svg");
const data = JSON.parse(readFileSync(input, "utf8")) as { baselineMs: number; rows: { name: string; wallMs: number }[] };

const W = 640, H = 320, left = 60, right = 20, top = 30, bottom = 70;
const lo = 10, hi = 10 ** Math.ceil(Math.log10(Math.max(...data.rows.map((r) => r.wallMs))));
const y = (ms: number) => top + (H - top - bottom) * (1 - (Math.log10(ms) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)));
const slot = (W - left - right) / data.rows.length;
const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
  `<text x="${left}" y="18" font-size="13">occlum run /bin/hello, wall time (ms, log scale)</text>`];
for (let v = lo; v <= hi; v *= 10) {
  out.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`, `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
}
data.rows.forEach((r, i) => {
  const x = left + i * slot + slot * 0.15, w = slot * 0.7, color = r.name.startsWith("EDMM") ? "#3b7dd8" : "#d8703b";
  out.push(`<rect x="${x}" y="${y(r.wallMs)}" width="${w}" height="${y(lo) - y(r.wallMs)}" fill="${color}"/>`,
    `<text x="${x + w / 2}" y="${y(r.wallMs) - 4}" text-anchor="middle">${Math.round(r.wallMs)}</text>`,
    `<text x="${x + w / 2}" y="${H - bottom + 16}" text-anchor="middle">${r.name.replace(/^(EDMM Max|static) /, "")}</text>`,
    `<text x="${x + w / 2}" y="${H - bottom + 30}" text-anchor="middle" fill="#666">${r.name.startsWith("EDMM") ? "EDMM Max" : "static"}</text>`);
});
out.push(`<line x1="${left}" x2="${W - right}" y1="${y(data.baselineMs)}" y2="${y(data.baselineMs)}" stroke="#333" stroke-dasharray="4 3"/>`,
  `<text x="${W - right}" y="${y(data.baselineMs) - 4}" text-anchor="end">node -e 0: ${data.baselineMs.toFixed(1)} ms</text>`,
  `<text x="${left}" y="${H - 14}" fill="#666">EDMM: only Init is committed at boot (flat in Max); static: the whole size is allocated and touched at boot</text>`, "</svg>");
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, out.join("\n") + "\n");
console.log(`wrote ${output}`);
