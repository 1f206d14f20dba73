/**
 * The WASI support document, rendered from the syscall table (so it cannot drift from the code):
 * `node src/libos/syscall/support-doc.ts > docs/wasi-support.md`.
 */
import { wasiTable } from "./table.ts";
import { MODULE } from "./abi.ts";
import { OCCLUM_MODULE, occlumTable } from "./occlum/table.ts";

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
  lines.push(
    `## ${OCCLUM_MODULE}: occlum-ts's own calls`,
    "",
    "Generated from `src/libos/syscall/occlum/table.ts`. What neither WASI nor WASIX has; occlum-cc links the libc overrides",
    "that make these calls into every POSIX program (`sdk/libc/signals.c`, `sdk/libc/pgroup.c`). Signal sets are u64, bit sig-1.",
    "",
    "| call | arguments | result | blocking | note |",
    "|---|---|---|---|---|",
  );
  for (const r of occlumTable) {
    lines.push(`| \`${r.name}\` | ${r.args.map((a) => a.kind).join(", ")} | ${r.ret.kind} | ${r.blocking ? "yes" : "no"} | ${r.note ?? ""} |`);
  }
  lines.push("");
  return lines.join("\n");
}

if (import.meta.main) process.stdout.write(supportDoc());
