/**
 * `occlum init [--init-ra grpc_ratls|aecs]` (spec 3.2 init row, 3.3): make the current directory
 * an Occlum instance.
 *
 * Same as Occlum: the status file is written first; image/ and initfs/ get Occlum's directories,
 * /etc/hosts and the host's /etc/localtime; the template Occlum.json is written (mode 644); the
 * last line is "<dir> initialized as an Occlum instance". Not copied: the x86 musl/glibc
 * libraries and the x86 init binary, which mean nothing to WebAssembly guests.
 * Better than Occlum: an unknown argument is an error (Occlum loops forever on one), and an
 * existing Occlum.json is kept rather than overwritten.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { instancePaths } from "../../build/instance.ts";
import { TEMPLATE_OCCLUM_JSON } from "../../config/index.ts";
import { checkError, exitError, type CliContext } from "../context.ts";

export const IMAGE_DIRS = ["bin", "lib", "lib64", "root", "host", "tmp", "dev", "proc", "etc", "sbin", "ext2"] as const;
export const INITFS_DIRS = ["bin", "lib", "dev", "proc", "etc"] as const;
export const HOSTS = "127.0.0.1   localhost\n";

export interface InitArgs {
  readonly initRa: string | undefined;
}

/** Parses init's arguments. Throws CliError; never loops. */
export function parseInitArgs(args: readonly string[]): InitArgs {
  let initRa: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--init-ra") {
      const v = args[i + 1];
      if (v === undefined || v === "") throw exitError("Empty init-ra option provided");
      initRa = v;
      i++;
    } else {
      throw exitError(`Unknown option: ${a} (usage: occlum init [--init-ra grpc_ratls|aecs])`);
    }
  }
  if (initRa === "grpc_ratls" || initRa === "aecs") {
    throw exitError(`--init-ra ${initRa}: remote-attestation init is not supported by occlum-ts yet`);
  }
  return { initRa };
}

export function initInstance(dir: string, args: InitArgs, ctx: CliContext): void {
  const p = instancePaths(dir);
  if (existsSync(p.status)) throw checkError("the current working directory has been initialized as an Occlum instance");
  if (args.initRa !== undefined) ctx.stderr(`Warning: unknown --init-ra value ${JSON.stringify(args.initRa)}: using the default init (as Occlum)\n`);
  writeFileSync(p.status, "initialized\n");

  for (const d of IMAGE_DIRS) mkdirSync(path.join(p.image, d), { recursive: true });
  writeFileSync(path.join(p.image, "etc", "hosts"), HOSTS);
  for (const d of INITFS_DIRS) mkdirSync(path.join(p.initfs, d), { recursive: true });
  writeFileSync(path.join(p.initfs, "etc", "hosts"), HOSTS);
  copyLocaltime(path.join(p.image, "etc"));
  copyLocaltime(path.join(p.initfs, "etc"));

  if (existsSync(p.config)) {
    ctx.stderr(`Note: kept the existing ${p.config} (Occlum would overwrite it with the template)\n`);
  } else {
    writeFileSync(p.config, TEMPLATE_OCCLUM_JSON);
    chmodSync(p.config, 0o644);
  }
  ctx.stdout(`${dir} initialized as an Occlum instance\n`);
}

/** The timezone of the host, as Occlum copies it; harmless to skip where the host has none. */
function copyLocaltime(toDir: string): void {
  try {
    copyFileSync("/etc/localtime", path.join(toDir, "localtime"));
  } catch {
    // no /etc/localtime on this host
  }
}

export function run(args: readonly string[], ctx: CliContext): number {
  const parsed = parseInitArgs(args);
  initInstance(ctx.cwd, parsed, ctx);
  return 0;
}
