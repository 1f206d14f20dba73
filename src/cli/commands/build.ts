/**
 * `occlum build` (spec 3.2 build row, 3.4), configuration stage: flags parsed exactly as Occlum's
 * bash loop (a flag's value is the next argument, whatever it looks like), Occlum's messages for
 * unknown options, missing values and bad paths, then src/build/config-stage.ts, then the table.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { runConfigStage } from "../../build/config-stage.ts";
import { ConfigError, formatIssue, type ConfigIssue } from "../../config/index.ts";
import { buildSummary } from "../build-summary.ts";
import { CliError, EXIT_BUILD, exitError, isDebug, type CliContext } from "../context.ts";
import { checkHasInit } from "./guards.ts";

export interface BuildArgs {
  readonly signKey: string | undefined;
  readonly signTool: string | undefined;
  readonly sgxMode: string | undefined;
  readonly enableEdmm: string | undefined;
  readonly imageKey: string | undefined;
  readonly buildinImageKey: boolean;
  readonly force: boolean;
}

const VALUE_FLAGS: Record<string, [keyof BuildArgs, string]> = {
  "--sign-key": ["signKey", "empty signing key path"],
  "--sign-tool": ["signTool", "empty signing tool path"],
  "--sgx-mode": ["sgxMode", "empty sgx mode"],
  "--enable-edmm": ["enableEdmm", "empty edmm mode"],
  "--image-key": ["imageKey", "empty secure image key path"],
};

export function parseBuildArgs(args: readonly string[]): BuildArgs {
  const out: Record<string, string | boolean | undefined> = { buildinImageKey: false, force: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const valued = VALUE_FLAGS[a];
    if (valued !== undefined) {
      const v = args[i + 1];
      if (v === undefined || v === "") throw exitError(valued[1]);
      out[valued[0]] = v;
      i++;
    } else if (a === "--buildin-image-key") {
      out.buildinImageKey = true;
    } else if (a === "-f" || a === "--force") {
      out.force = true;
    } else {
      throw exitError(`Unknown option: ${a}`);
    }
  }
  return out as unknown as BuildArgs;
}

export async function run(args: readonly string[], ctx: CliContext): Promise<number> {
  checkHasInit(ctx.cwd);
  const a = parseBuildArgs(args);
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(ctx.cwd, p));
  const signKey = abs(a.signKey);
  const signTool = abs(a.signTool);
  const imageKey = abs(a.imageKey);
  if (signKey !== undefined && !existsSync(signKey)) throw exitError(`invalid signing key path: ${a.signKey}`);
  if (signTool !== undefined && !existsSync(signTool)) throw exitError(`invalid signing tool path: ${a.signTool}`);
  if (imageKey !== undefined && !existsSync(imageKey)) throw exitError(`invalid secure image key path: ${a.imageKey}`);
  ctx.stdout(`Enclave sign-tool: ${signTool ?? "built-in"}\n`);
  ctx.stdout(`Enclave sign-key: ${signKey ?? "built-in development key"}\n`);
  if (imageKey !== undefined) ctx.stdout(`Image encryption key: ${imageKey}\n`);

  const warn = (w: string | ConfigIssue) => ctx.stderr(typeof w === "string" ? `Warning: ${w}\n` : `${formatIssue("Occlum.json", w, "warning")}\n`);
  try {
    const { loaded } = await runConfigStage({
      instanceDir: ctx.cwd,
      edmm: { envSgxMode: ctx.env.SGX_MODE, envEnableEdmm: ctx.env.ENABLE_EDMM, flagSgxMode: a.sgxMode, flagEnableEdmm: a.enableEdmm },
      signKey,
      signTool,
      imageKey,
      buildinImageKey: a.buildinImageKey,
      force: a.force,
      log: (line) => ctx.stdout(line + "\n"),
      warn,
    });
    ctx.stdout(buildSummary(loaded.config));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const w of e.warnings) warn(w);
    const n = e.issues.length;
    let text = e.message + "\n";
    if (isDebug(ctx.env)) text += e.issues.filter((i) => i.occlum !== undefined).map((i) => `  (Occlum: ${i.occlum})\n`).join("");
    text += `Error: ${n === 1 ? "Occlum.json has an error" : `Occlum.json has ${n} errors`}; nothing was built`;
    throw new CliError(text, { exitCode: EXIT_BUILD });
  }
  ctx.stdout("Built the Occlum image and enclave successfully\n");
  return 0;
}
