/** The gcc build of bench/net/netbench.c (the native baseline), cached under .cache/native by the source's hash. */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));

export async function nativeBinary(): Promise<string> {
  const src = path.join(repo, "bench", "net", "netbench.c");
  const hash = createHash("sha256").update(await readFile(src)).update("gcc -O2").digest("hex").slice(0, 16);
  const out = path.join(repo, ".cache", "native", `netbench-${hash}`);
  if (existsSync(out)) return out;
  await mkdir(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync("gcc", ["-O2", "-o", tmp, src], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`gcc netbench.c: ${r.stderr}`);
  await rename(tmp, out);
  return out;
}
