/**
 * The WASI support document, rendered from the syscall table (so it cannot drift from the code):
 * `node src/libos/syscall/support-doc.ts > docs/wasi-support.md`.
 */
import { wasiTable } from "./table.ts";
import { MODULE } from "./abi.ts";

export function supportDoc(): string {
  const lines = [
    `# ${MODULE}: support in occlum-ts`,
    "",
    "Generated from `src/libos/syscall/table.ts`. *Blocking* calls are `WebAssembly.Suspending` imports: they may park the calling",
    "coroutine (only when they really wait); the others are plain imports.",
    "",
    "| call | arguments | result | blocking | support | note |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of wasiTable) {
    const args = r.args.map((a) => a.kind).join(", ");
    lines.push(`| \`${r.name}\` | ${args} | ${r.noreturn ? "noreturn" : r.ret.kind} | ${r.blocking ? "yes" : "no"} | ${r.support} | ${r.note ?? ""} |`);
  }
  const full = wasiTable.filter((r) => r.support === "full").length;
  lines.push("", `${wasiTable.length} calls: ${full} full, ${wasiTable.length - full} partial.`, "");
  return lines.join("\n");
}

if (import.meta.main) process.stdout.write(supportDoc());
