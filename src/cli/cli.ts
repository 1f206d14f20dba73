/**
 * The `occlum` CLI: dispatch to one module per subcommand, map errors to messages and exit codes.
 * main.ts runs it on the process; tests call `main` directly.
 *
 * User errors (CliError, carrying Occlum's message, stream and exit code) print one message and
 * no stack trace; anything else is a bug in occlum-ts: "Error: <message>", exit 1, and the stack
 * only with OCCLUM_LOG_LEVEL=debug or trace.
 */
import { notImplemented } from "./commands/not-implemented.ts";
import { CliError, isDebug, type CliContext } from "./context.ts";
import { USAGE } from "./usage.ts";

type Command = (args: readonly string[], ctx: CliContext) => number | Promise<number>;

/**
 * Each subcommand's module is loaded when it runs: `occlum run` does not load the config tool,
 * and `occlum status` does not load the LibOS (start-up time is part of every command).
 */
const lazy = (load: () => Promise<{ run: Command }>): Command => async (args, ctx) => (await load()).run(args, ctx);

export const COMMANDS: Readonly<Record<string, Command>> = {
  new: lazy(() => import("./commands/new.ts")),
  init: lazy(() => import("./commands/init.ts")),
  build: lazy(() => import("./commands/build.ts")),
  status: lazy(() => import("./commands/status.ts")),
  "gen-image-key": lazy(() => import("./commands/gen-image-key.ts")),
  run: lazy(() => import("./commands/run.ts")),
  start: notImplemented("start"),
  exec: notImplemented("exec"),
  stop: notImplemented("stop"),
  package: notImplemented("package"),
  gdb: notImplemented("gdb"),
  mount: notImplemented("mount"),
  print: notImplemented("print"),
};

export async function main(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [cmd, ...args] = argv;
  try {
    if (cmd === undefined) throw new CliError("Error: no sub-command is given", { usage: true });
    const command = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
    if (command === undefined) throw new CliError(`Error: unknown sub-command ${cmd}`, { usage: true });
    return await command(args, ctx);
  } catch (e) {
    if (e instanceof CliError) {
      (e.stream === "stdout" ? ctx.stdout : ctx.stderr)(e.message + "\n");
      if (e.usage) ctx.stdout("\n" + USAGE);
      if (isDebug(ctx.env) && e.stack !== undefined) ctx.stderr(e.stack + "\n");
      return e.exitCode;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    ctx.stderr(`Error: ${err.message}\n`);
    if (isDebug(ctx.env) && err.stack !== undefined) ctx.stderr(err.stack + "\n");
    else ctx.stderr("(this is a bug in occlum-ts; run with OCCLUM_LOG_LEVEL=debug for details)\n");
    return 1;
  }
}
