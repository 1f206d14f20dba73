/**
 * Entry point of the `occlum` CLI: bin/occlum calls `runCli` under a JSPI-capable Node, from the
 * bundle dist/occlum.cjs (scripts/bundle-cli.ts) or from this file. Everything testable lives in
 * cli.ts.
 */
import module from "node:module";
import { main } from "./cli.ts";

export async function runCli(argv: readonly string[]): Promise<never> {
  const code = await main(argv, {
    cwd: process.cwd(),
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  });
  // Every command is finished when main returns (`occlum run` has unmounted and killed what the
  // program left running), so exit now instead of tearing the heap down page by page: that
  // teardown costs more than Node's own start-up share of a `occlum run /bin/hello`. Standard
  // output and error are synchronous for files, pipes and terminals on Linux, so nothing written
  // is lost; the compile cache is written first, as a normal exit would.
  module.flushCompileCache?.();
  process.exit(code);
}
