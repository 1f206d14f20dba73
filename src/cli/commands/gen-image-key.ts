/**
 * `occlum gen-image-key <path>` (spec 3.2): a random 128-bit key written as 16 lowercase hex
 * pairs joined by "-", plus a newline. A relative path is relative to the instance (cwd).
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { checkError, exitError, type CliContext } from "../context.ts";

export function formatKey(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("-");
}

export function run(args: readonly string[], ctx: CliContext): number {
  const target = args[0];
  if (target === undefined || target === "") throw checkError("target file is not set");
  const file = path.resolve(ctx.cwd, target);
  try {
    writeFileSync(file, formatKey(randomBytes(16)) + "\n", { mode: 0o600 });
  } catch (e) {
    throw exitError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return 0;
}
