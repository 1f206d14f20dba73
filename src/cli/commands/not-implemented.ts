/** Subcommands that later issues implement: a clear error, exit 1. */
import { exitError, type CliContext } from "../context.ts";

export function notImplemented(name: string) {
  return (_args: readonly string[], _ctx: CliContext): number => {
    throw exitError(`"occlum ${name}" is not implemented yet in occlum-ts`);
  };
}
