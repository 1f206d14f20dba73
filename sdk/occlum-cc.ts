/**
 * occlum-cc: the C/C++ compiler driver for occlum-ts guests. Two toolchains behind one command:
 *  - wasip1 mode: @yowasp/clang (LLVM 22 in wasm, wasm32-wasip1 sysroot), in this process;
 *  - POSIX mode (WASIX ABI): Debian's clang with Debian's wasix-libc sysroot (sdk/setup-wasix.sh),
 *    chosen when the program needs it: -pthread, --posix, or an #include of a POSIX header that
 *    wasip1 lacks (pthread.h, spawn.h, sys/wait.h, signal.h, sys/socket.h, poll.h ...).
 * Everything else on the command line is clang's. Exported functions serve test/support/guest.ts.
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { parseCcArgs, UsageError } from "./cc/args.ts";
import type { CcArgs } from "./cc/args.ts";
import { findPosixToolchain, posixArgs, posixIdentity, posixToolchainProblem, runPosixClang } from "./cc/posix.ts";
import { detectMode } from "./cc/scan.ts";
import type { CcMode } from "./cc/scan.ts";
import { runWasip1Clang, wasip1Identity } from "./cc/wasip1.ts";

export type { CcMode } from "./cc/scan.ts";
export { detectMode, localIncludeClosure, needsPosix, POSIX_HEADERS } from "./cc/scan.ts";
export { findPosixToolchain, posixToolchainProblem } from "./cc/posix.ts";

/** Bump when default flags change, so cached guest builds are redone. */
const DEFAULTS_REVISION = 1;

const USAGE = `usage: occlum-cc [--posix|--wasip1] [--instance <dir>] [--show-command] [clang options] <files> [-o <out>]

  --wasip1          plain WASI preview 1 (no threads/processes/sockets): @yowasp/clang, -O2
  --posix           POSIX programs (WASIX ABI): Debian clang + wasix-libc, -pthread, shared memory
                    (default when -pthread is given or a POSIX header such as pthread.h, spawn.h,
                    sys/wait.h, signal.h, sys/socket.h, poll.h is included; else wasip1)
  --instance <dir>  write the program to <dir>/image/bin/<name> of an Occlum instance
                    (<name>: the -o name, else the first source's name without extension)
  --show-command    print the underlying compiler command on stderr
  -o <out>          output (default a.out, as cc does)
POSIX mode needs the toolchain from \`sudo sdk/setup-wasix.sh\`.`;

/** A user-caused problem: printed as one line by the CLI. */
export class CcError extends Error {}

/** The compiler failed; `stderr` holds its diagnostics. */
export class CompileError extends Error {
  readonly code: number;
  readonly stderr: string;
  constructor(code: number, stderr: string, what: string) {
    super(`occlum-cc: compiling ${what} failed (exit ${code})${stderr ? `:\n${stderr.trimEnd()}` : ""}`);
    this.code = code;
    this.stderr = stderr;
  }
}

/** Identifies the compiler + libc + default flags of a mode: part of guest cache keys. */
export async function toolchainIdentity(mode: CcMode): Promise<string> {
  return `occlum-cc:${DEFAULTS_REVISION}|${mode === "posix" ? posixIdentity() : wasip1Identity()}`;
}

interface Prepared {
  mode: CcMode;
  output?: string;
}

function prepare(a: CcArgs, cwd: string): Prepared {
  const sources = a.inputs.filter((s) => !/\.(o|a|so|wasm)$/.test(s));
  const mode = detectMode(sources, a.clangArgs, a.forcedMode, cwd);
  let output = a.output;
  if (a.instance !== undefined) {
    const inst = path.resolve(cwd, a.instance);
    if (!existsSync(path.join(inst, "image")) || !statSync(path.join(inst, "image")).isDirectory()) {
      throw new CcError(`${a.instance} is not an Occlum instance (no image/ folder; run \`occlum init\` there)`);
    }
    const first = sources[0] ?? a.inputs[0];
    const name = output !== undefined ? path.basename(output) : first !== undefined ? path.basename(first).replace(/\.[^.]+$/, "") : "a.out";
    mkdirSync(path.join(inst, "image", "bin"), { recursive: true });
    output = path.join(inst, "image", "bin", name);
  }
  if (output === undefined && a.links && a.inputs.length > 0) output = "a.out";
  if (mode === "wasip1" && (a.clangArgs.includes("-pthread") || a.clangArgs.includes("-pthreads"))) {
    throw new CcError("wasip1 has no threads: drop -pthread or use --posix");
  }
  return { mode, output };
}

async function runCc(a: CcArgs, cwd: string, echo: boolean): Promise<{ mode: CcMode; code: number; stderr: string; output?: string }> {
  const { mode, output } = prepare(a, cwd);
  const outArgs = output !== undefined ? ["-o", output] : [];
  if (mode === "posix") {
    const tc = findPosixToolchain();
    if (!tc) throw new CcError(`POSIX mode: ${posixToolchainProblem()}`);
    const args = posixArgs(tc, [...a.clangArgs, ...outArgs], a.links);
    if (a.showCommand) process.stderr.write(`${[a.cxx ? tc.clangxx : tc.clang, ...args].join(" ")}\n`);
    const r = await runPosixClang(tc, a.cxx, args, echo, cwd);
    return { mode, ...r, output };
  }
  if (wasip1Identity().endsWith(":missing")) throw new CcError("wasip1 mode: @yowasp/clang is not installed: run `npm install`");
  const args = [...(a.clangArgs.some((x) => /^-O/.test(x)) ? [] : ["-O2"]), ...a.clangArgs, ...outArgs];
  if (a.showCommand) process.stderr.write(`@yowasp/clang ${a.cxx ? "clang++" : "clang"} ${args.join(" ")}\n`);
  const r = await runWasip1Clang({ cxx: a.cxx, args, inputs: a.inputs, cwd, echo });
  return { mode, code: r.code, stderr: r.stderr, output };
}

export interface CompileRequest {
  sources: readonly string[];
  output: string;
  flags?: readonly string[];
  /** Force a toolchain; default: detected as the CLI does. */
  mode?: CcMode;
  cwd?: string;
}

/** Compiles and links `sources` into `output`. Rejects with CompileError or CcError. */
export async function compile(req: CompileRequest): Promise<{ mode: CcMode; output: string; stderr: string }> {
  const cwd = req.cwd ?? process.cwd();
  const argv = [...(req.mode ? [`--${req.mode}`] : []), ...(req.flags ?? []), ...req.sources, "-o", req.output];
  const a = parseCcArgs(argv);
  const r = await runCc(a, cwd, false);
  if (r.code !== 0) throw new CompileError(r.code, r.stderr, req.sources.join(" "));
  return { mode: r.mode, output: path.resolve(cwd, req.output), stderr: r.stderr };
}

/** The CLI: returns the exit status. */
export async function main(argv: readonly string[], invokedAs = "occlum-cc"): Promise<number> {
  try {
    const a = parseCcArgs(argv, invokedAs);
    if (a.help || argv.length === 0) {
      process.stdout.write(`${USAGE}\n`);
      return a.help ? 0 : 1;
    }
    const r = await runCc(a, process.cwd(), true);
    return r.code;
  } catch (err) {
    if (err instanceof UsageError || err instanceof CcError) {
      process.stderr.write(`occlum-cc: error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
