/**
 * Entry point of the `occlum` CLI: bin/occlum imports this file under a JSPI-capable Node.
 * Everything testable lives in cli.ts.
 */
import { main } from "./cli.ts";

process.exitCode = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});
