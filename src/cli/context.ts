/**
 * What every subcommand gets (working directory, environment, output) and the one error type
 * that maps a user mistake to Occlum's message, stream and exit code.
 *
 * Occlum's CLI prints `exit_error` messages ("Error: ...") to stderr and its `check_*` guard
 * messages to stdout, both with exit 1; a build that fails in the generator exits 2 (make's
 * status). We keep those streams and codes; every error is non-zero.
 */

export interface CliContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const EXIT_USAGE = 1;
/** Exit status of `occlum build` when the configuration is rejected (Occlum: make's 2). */
export const EXIT_BUILD = 2;

export class CliError extends Error {
  readonly exitCode: number;
  readonly stream: "stdout" | "stderr";
  /** Print the usage text (to stdout) after the message, as Occlum's report_arg_error does. */
  readonly usage: boolean;
  constructor(message: string, options: { exitCode?: number; stream?: "stdout" | "stderr"; usage?: boolean } = {}) {
    super(message);
    this.name = "CliError";
    this.exitCode = options.exitCode ?? EXIT_USAGE;
    this.stream = options.stream ?? "stderr";
    this.usage = options.usage ?? false;
  }
}

/** Occlum's `exit_error`: "Error: <msg>" on stderr, exit 1. */
export function exitError(message: string): CliError {
  return new CliError(`Error: ${message}`);
}

/** Occlum's `check_*` guards and cmd_new/gen-image-key checks: "Error: <msg>" on stdout, exit 1. */
export function checkError(message: string): CliError {
  return new CliError(`Error: ${message}`, { stream: "stdout" });
}

/** Stack traces only when asked for (OCCLUM_LOG_LEVEL=debug or trace). */
export function isDebug(env: CliContext["env"]): boolean {
  const level = (env.OCCLUM_LOG_LEVEL ?? "").toLowerCase();
  return level === "debug" || level === "trace";
}
