/**
 * `occlum new <path> [--init-ra ...]` (spec 3.2): create <path> and initialize it.
 * Same messages as Occlum; the init arguments are checked before anything is created.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { checkError, type CliContext } from "../context.ts";
import { initInstance, parseInitArgs } from "./init.ts";

export function run(args: readonly string[], ctx: CliContext): number {
  const target = args[0];
  if (target === undefined || target === "") throw checkError("target directory is not set");
  const dir = path.resolve(ctx.cwd, target);
  const initArgs = parseInitArgs(args.slice(1));
  if (existsSync(dir)) throw checkError(`destination "${dir}" already exists`);
  mkdirSync(dir, { recursive: true });
  initInstance(dir, initArgs, ctx);
  return 0;
}
