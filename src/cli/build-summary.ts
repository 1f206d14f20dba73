/**
 * The table `occlum build` ends with: what the resolved configuration means at run time.
 * "Init" is what is committed when the instance starts, "Max" what it may grow to; without EDMM
 * both are the same (everything is committed at start-up, as on SGX1).
 */
import { formatBytes, type Config } from "../config/index.ts";

export function buildSummary(config: Config): string {
  const rows: [string, string, string][] = [
    ["", "Init", "Max"],
    ["Kernel heap", formatBytes(config.kernelHeap.init), formatBytes(config.kernelHeap.max)],
    ["User space", formatBytes(config.userSpace.committedAtBoot), formatBytes(config.userSpace.max)],
    ["Threads", String(config.threads.init), String(config.threads.max)],
    ["Kernel stack", formatBytes(config.kernelStack), ""],
  ];
  const w = [0, 1, 2].map((k) => Math.max(...rows.map((r) => r[k]!.length)));
  const lines = rows.map(([a, b, c]) => `  ${a.padEnd(w[0]!)}  ${b.padStart(w[1]!)}  ${c.padStart(w[2]!)}`.trimEnd());
  const e = config.edmm;
  lines.push(`  EDMM: ${e.enabled ? "on" : "off"}, because ${e.reason}`);
  lines.push(
    e.enabled
      ? "  Init is committed when the instance starts; the rest, up to Max, on demand."
      : "  Without EDMM, Init = Max: all of it is committed when the instance starts.",
  );
  return `Resolved configuration (SGX mode ${config.sgxMode}, EDMM ${e.enabled ? "on" : "off"}):\n${lines.join("\n")}\n`;
}
