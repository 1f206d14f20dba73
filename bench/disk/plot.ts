/**
 * A dependency-free SVG bar chart of the disk benchmark: one group per phase, one bar per
 * device, bar length = MiB/s on a log scale (raw and PFS differ by 10-50x on some phases).
 */

import type { PhaseResult } from "../../src/block/tool/fio.ts";

const COLORS = ["#6b7280", "#d97706", "#f59e0b", "#2563eb", "#059669", "#7c3aed"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
}

export function svgChart(results: readonly PhaseResult[], title: string): string {
  const ok = results.filter((r) => !r.error && r.mibPerSec > 0);
  const devices = [...new Set(ok.map((r) => r.device))];
  const phases = [...new Set(ok.map((r) => r.phase))];
  const barH = 14;
  const groupGap = 14;
  const left = 130;
  const width = 760;
  const plotW = width - left - 90;
  const max = Math.max(...ok.map((r) => r.mibPerSec), 1);
  const min = Math.min(...ok.map((r) => r.mibPerSec), max) / 2;
  const x = (v: number): number => (Math.log(v / min) / Math.log(max / min)) * plotW;
  const groupH = devices.length * barH + groupGap;
  const top = 40;
  const height = top + phases.length * groupH + 20 + devices.length * 16;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<text x="10" y="20" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left}" y="34" fill="#555">MiB/s, log scale</text>`,
  ];
  phases.forEach((ph, pi) => {
    const y0 = top + pi * groupH;
    out.push(`<text x="10" y="${y0 + (devices.length * barH) / 2 + 4}">${esc(ph)}</text>`);
    devices.forEach((d, di) => {
      const r = ok.find((q) => q.device === d && q.phase === ph);
      if (!r) return;
      const y = y0 + di * barH;
      const w = Math.max(1, x(r.mibPerSec));
      out.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[di % COLORS.length]}"/>`);
      out.push(`<text x="${(left + w + 4).toFixed(1)}" y="${y + barH - 4}">${r.mibPerSec.toFixed(1)}</text>`);
    });
  });
  const ly = top + phases.length * groupH + 10;
  devices.forEach((d, di) => {
    out.push(`<rect x="${left}" y="${ly + di * 16}" width="12" height="12" fill="${COLORS[di % COLORS.length]}"/>`);
    out.push(`<text x="${left + 18}" y="${ly + di * 16 + 10}">${esc(d)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
