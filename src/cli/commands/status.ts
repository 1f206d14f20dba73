/** `occlum status`: print the status file (initialized, built, running or debugging). */
import { readFileSync } from "node:fs";
import { instancePaths } from "../../build/instance.ts";
import { type CliContext } from "../context.ts";
import { notInitialized } from "./guards.ts";

export function run(_args: readonly string[], ctx: CliContext): number {
  let text: string;
  try {
    text = readFileSync(instancePaths(ctx.cwd).status, "utf8");
  } catch {
    // Occlum's `cat` fails with its own message; the guard's message says what to do.
    throw notInitialized();
  }
  ctx.stdout(text);
  return 0;
}
